// SPDX-License-Identifier: Apache-2.0
#include "drivers/radiation_portal/n42_folder_portal.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <utility>
#include <vector>

#include <boost/asio/post.hpp>

#include "drivers/radiation_portal/n42_parser.hpp"
#include "edge/base/log.hpp"

namespace kordon::drivers {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

namespace {

bool wantedName(const fs::path& path) {
  const std::string name = path.filename().string();
  if (name.empty() || name.front() == '.') return false;
  std::string ext = path.extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext == ".n42" || ext == ".xml";
}

}  // namespace

N42FolderPortal::N42FolderPortal(RadiationPortalConfig config, EvidenceStore& evidence,
                                 const Clock& clock, OccupancyCallback on_occupancy,
                                 StatusCallback on_status)
    : config_(std::move(config)),
      evidence_(evidence),
      clock_(clock),
      on_occupancy_(std::move(on_occupancy)),
      on_status_(std::move(on_status)) {}

N42FolderPortal::~N42FolderPortal() { stop(); }

void N42FolderPortal::start() {
  if (worker_.joinable()) return;
  io_.restart();
  boost::asio::post(io_, [this] {
    scan();
    schedule();
  });
  worker_ = std::thread([this] { io_.run(); });
}

void N42FolderPortal::stop() {
  if (!worker_.joinable()) return;
  io_.stop();
  worker_.join();
  timer_.cancel();
  io_.restart();
  io_.poll();
}

void N42FolderPortal::schedule() {
  timer_.expires_after(milliseconds(config_.poll_interval_ms));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    scan();
    schedule();
  });
}

void N42FolderPortal::scan() {
  std::error_code ec;
  const fs::path folder(config_.folder);
  std::vector<std::pair<fs::path, Seen>> files;
  fs::directory_iterator it(folder, ec);
  if (ec || !fs::is_directory(folder)) {
    publishStatus(msg::DeviceHealth::kNotConnected,
                  "folder " + config_.folder + ": " + (ec ? ec.message() : "not a directory"));
    previous_.clear();
    return;
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    std::error_code entry_ec;
    if (!it->is_regular_file(entry_ec) || !wantedName(it->path())) continue;
    Seen seen;
    seen.size = it->file_size(entry_ec);
    if (entry_ec) continue;
    seen.mtime = it->last_write_time(entry_ec);
    if (entry_ec) continue;
    files.emplace_back(it->path(), seen);
  }
  if (ec) {
    publishStatus(msg::DeviceHealth::kNotConnected,
                  "folder " + config_.folder + ": " + ec.message());
    return;
  }
  publishStatus(degraded_ ? msg::DeviceHealth::kDegraded : msg::DeviceHealth::kGood,
                degraded_ ? "last document failed" : "");
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.first.filename() < b.first.filename(); });
  std::map<std::string, Seen> now;
  for (const auto& [path, seen] : files) {
    const auto prev = previous_.find(path.string());
    const bool settled = prev != previous_.end() && prev->second.size == seen.size &&
                         prev->second.mtime == seen.mtime && seen.size > 0;
    if (settled) {
      process(path);
    } else {
      now[path.string()] = seen;
    }
  }
  previous_ = std::move(now);
}

void N42FolderPortal::process(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    ++counters_.comms_errors;
    return;  // retried at the next scans
  }
  Result<msg::RadiationOccupancy> occupancy = Status::error("unparsed");
  if (auto doc = parseN42(bytes); doc) {
    occupancy = toRadiationOccupancy(*doc);
  } else {
    occupancy = doc.status();
  }
  if (!occupancy) {
    ++counters_.comms_errors;
    log::warn("n42 document rejected", {{"device_id", config_.device_id},
                                        {"lane", config_.lane},
                                        {"file", file.filename().string()},
                                        {"error", occupancy.status().message()}});
    moveTo(file, "failed");
    degraded_ = true;
    publishStatus(msg::DeviceHealth::kDegraded, "document " + file.filename().string() +
                                                    " rejected: " + occupancy.status().message());
    return;
  }
  auto stored = evidence_.put(bytes, "application/xml", "n42");
  if (!stored) {
    ++counters_.comms_errors;
    publishStatus(msg::DeviceHealth::kDegraded, "evidence store: " + stored.status().message());
    return;  // left in place; retried
  }
  msg::RadiationOccupancy& occ = *occupancy;
  occ.device_id = config_.device_id;
  occ.lane = config_.lane;
  if (occ.time_ms == 0) occ.time_ms = clock_.nowWallMs();
  occ.phase = msg::OccupancyPhase::kEnd;
  occ.evidence.push_back(*stored);
  moveTo(file, "done");
  degraded_ = false;
  ++counters_.readings;
  publishStatus(msg::DeviceHealth::kGood, "");
  occ.health = health_.load();
  on_occupancy_(occ);
}

void N42FolderPortal::moveTo(const fs::path& file, const char* subdir) {
  std::error_code ec;
  const fs::path dir = file.parent_path() / subdir;
  fs::create_directories(dir, ec);
  fs::path target = dir / file.filename();
  for (int n = 1; fs::exists(target, ec) && n < 1000; ++n) {
    target = dir / (file.filename().string() + "." + std::to_string(n));
  }
  fs::rename(file, target, ec);
  if (ec) {
    // Cannot move it: remember it as seen-and-handled is not possible across restarts, so
    // count it; the next scan will see it again only if it changes.
    ++counters_.comms_errors;
    log::warn("n42 document not moved",
              {{"device_id", config_.device_id}, {"file", file.string()}, {"error", ec.message()}});
  }
}

void N42FolderPortal::publishStatus(msg::DeviceHealth health, const std::string& reason) {
  health_.store(health);
  if (published_health_ == health) return;
  const auto level = health == msg::DeviceHealth::kGood ? log::Level::kInfo : log::Level::kWarn;
  log::write(level, "radiation portal health changed",
             {{"device_id", config_.device_id},
              {"lane", config_.lane},
              {"folder", config_.folder},
              {"from", published_health_ ? toString(*published_health_) : "none"},
              {"to", toString(health)},
              {"reason", reason},
              {"counters", counters_.toJson()}});
  published_health_ = health;
  msg::DeviceStatus status;
  status.device_id = config_.device_id;
  status.lane = config_.lane;
  status.device_class = "radiation_portal";
  status.time_ms = clock_.nowWallMs();
  status.health = health;
  status.reason = reason;
  status.counters = counters_.toJson();
  on_status_(status);
}

}  // namespace kordon::drivers
