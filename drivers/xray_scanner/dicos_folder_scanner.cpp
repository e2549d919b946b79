// SPDX-License-Identifier: Apache-2.0
#include "drivers/xray_scanner/dicos_folder_scanner.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <exception>
#include <fstream>
#include <iterator>
#include <set>
#include <utility>

#include "drivers/xray_scanner/tdr_parser.hpp"
#include "edge/base/log.hpp"

#include <dcmtk/config/osconfig.h>  // must come first among DCMTK headers
#include <dcmtk/oflog/oflog.h>

namespace kordon::drivers {

namespace fs = std::filesystem;

namespace {

bool isTdrFileName(const std::string& name) {
  if (name.empty() || name.front() == '.' || name.size() < 5) return false;
  std::string extension = name.substr(name.size() - 4);
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return extension == ".dcs" || extension == ".dcm";
}

Result<std::string> readFile(const fs::path& path) {
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) return Status::error("stat " + path.string() + ": " + ec.message());
  if (size > kMaxTdrBytes) {
    return Status::error("file of " + std::to_string(size) + " bytes exceeds the limit of " +
                         std::to_string(kMaxTdrBytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::error("cannot open " + path.string());
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::error("cannot read " + path.string());
  return bytes;
}

}  // namespace

DicosFolderScanner::DicosFolderScanner(XrayScannerConfig config, EvidenceStore& evidence,
                                       const Clock& clock, ResultCallback on_result,
                                       StatusCallback on_status)
    : config_(std::move(config)),
      evidence_(evidence),
      clock_(clock),
      on_result_(std::move(on_result)),
      on_status_(std::move(on_status)) {}

DicosFolderScanner::~DicosFolderScanner() { stop(); }

Status DicosFolderScanner::start() {
  if (running_) return Status::ok();
  const std::string where =
      "x-ray scanner " + config_.device_id + ": dicos-folder '" + config_.folder + "'";
  if (config_.folder.empty()) return Status::error(where + ": folder is empty");
  if (config_.poll_interval_ms < 10) {
    return Status::error(where + ": poll_interval_ms must be >= 10");
  }
  std::error_code ec;
  if (!fs::is_directory(config_.folder, ec)) {
    const std::string reason = where + ": not a directory";
    setHealth(msg::DeviceHealth::kNotConnected, reason);
    return Status::error(reason);
  }
  for (const char* subdir : {"done", "failed"}) {
    fs::create_directories(fs::path(config_.folder) / subdir, ec);
    if (ec) {
      const std::string reason = where + ": cannot create " + subdir + "/: " + ec.message();
      setHealth(msg::DeviceHealth::kNotConnected, reason);
      return Status::error(reason);
    }
  }
  // DCMTK would print its own "E: ..." lines for every bad file; we count and log instead.
  OFLog::getLogger("dcmtk").setLogLevel(OFLogger::FATAL_LOG_LEVEL);
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = false;
  }
  setHealth(msg::DeviceHealth::kGood, "");
  worker_ = std::thread([this] { run(); });
  running_ = true;
  return Status::ok();
}

void DicosFolderScanner::stop() {
  if (!running_) return;
  {
    std::lock_guard lock(mutex_);
    stop_requested_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
  running_ = false;
}

void DicosFolderScanner::run() {
  const auto interval = std::chrono::milliseconds(config_.poll_interval_ms);
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, interval, [this] { return stop_requested_; })) return;
    }
    try {
      pollOnce();
    } catch (const std::exception& e) {
      counters_.comms_errors++;
      log::error("x-ray folder poll threw", {{"device", config_.device_id}, {"error", e.what()}});
    }
  }
}

void DicosFolderScanner::pollOnce() {
  std::error_code ec;
  fs::directory_iterator it(config_.folder, ec);
  if (ec) {
    setHealth(msg::DeviceHealth::kNotConnected,
              "cannot list " + config_.folder + ": " + ec.message());
    return;
  }
  setHealth(msg::DeviceHealth::kGood, "");
  std::map<std::string, Seen> current;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const fs::directory_entry& entry = *it;
    std::error_code entry_ec;
    if (!entry.is_regular_file(entry_ec) || !isTdrFileName(entry.path().filename().string())) {
      continue;
    }
    Seen seen;
    seen.size = entry.file_size(entry_ec);
    if (entry_ec) continue;
    seen.mtime = entry.last_write_time(entry_ec);
    if (entry_ec) continue;
    current[entry.path().string()] = seen;
  }
  std::vector<fs::path> stable;
  for (const auto& [path, seen] : current) {
    const auto before = candidates_.find(path);
    if (before != candidates_.end() && before->second.size == seen.size &&
        before->second.mtime == seen.mtime) {
      stable.emplace_back(path);
    }
  }
  candidates_ = std::move(current);
  for (const fs::path& path : stable) {
    candidates_.erase(path.string());
    take(path);
  }
}

void DicosFolderScanner::take(const fs::path& path) {
  const WallMs received_ms = clock_.nowWallMs();
  auto bytes = readFile(path);
  if (!bytes) {
    reject(path, bytes.status().message());
    return;
  }
  auto report = parseTdr(*bytes);
  if (!report) {
    reject(path, report.status().message());
    return;
  }
  if (!last_reject_reason_.empty()) {
    last_reject_reason_.clear();
    log::info("x-ray folder has valid TDRs again", {{"device", config_.device_id}});
  }
  msg::XrayResult result = toXrayResult(*report, config_.device_id, config_.lane, received_ms);
  auto stored = evidence_.put(*bytes, "application/dicom", "tdr");
  if (stored) {
    if (evidence_failing_) {
      evidence_failing_ = false;
      log::info("x-ray TDR evidence stored again", {{"device", config_.device_id}});
    }
    result.evidence.push_back(std::move(stored).value());
  } else if (!evidence_failing_) {
    evidence_failing_ = true;
    log::warn("x-ray TDR evidence not stored; results continue without it",
              {{"device", config_.device_id}, {"error", stored.status().message()}});
  }
  moveTo(path, "done");
  counters_.readings++;
  if (on_result_) {
    try {
      on_result_(result);
    } catch (const std::exception& e) {
      log::error("x-ray result callback threw",
                 {{"device", config_.device_id}, {"error", e.what()}});
    }
  }
}

void DicosFolderScanner::reject(const fs::path& path, const std::string& reason) {
  counters_.comms_errors++;
  const auto level = reason == last_reject_reason_ ? log::Level::kDebug : log::Level::kWarn;
  last_reject_reason_ = reason;
  log::write(level, "x-ray TDR file rejected",
             {{"device", config_.device_id},
              {"file", path.filename().string()},
              {"reason", reason},
              {"comms_errors", counters_.comms_errors.load()}});
  moveTo(path, "failed");
}

void DicosFolderScanner::moveTo(const fs::path& path, const char* subdir) {
  const fs::path dir = fs::path(config_.folder) / subdir;
  std::error_code ec;
  fs::create_directories(dir, ec);  // start() made it; recreate if someone removed it
  fs::path target = dir / path.filename();
  for (int n = 1; fs::exists(target, ec) && n < 1000; ++n) {
    target = dir / (path.filename().string() + "." + std::to_string(n));
  }
  fs::rename(path, target, ec);
  if (ec) {
    // Left in place it would be taken again; delete rather than loop on it.
    counters_.comms_errors++;
    log::warn("x-ray TDR file could not be moved; removed", {{"device", config_.device_id},
                                                             {"file", path.string()},
                                                             {"to", target.string()},
                                                             {"error", ec.message()}});
    fs::remove(path, ec);
  }
}

void DicosFolderScanner::setHealth(msg::DeviceHealth health, const std::string& reason) {
  if (health_published_ && health == health_) return;
  health_ = health;
  health_published_ = true;
  if (health == msg::DeviceHealth::kGood) {
    log::info("x-ray folder watched", {{"device", config_.device_id}, {"folder", config_.folder}});
  } else {
    log::warn("x-ray folder unavailable", {{"device", config_.device_id}, {"reason", reason}});
  }
  if (!on_status_) return;
  msg::DeviceStatus status;
  status.device_id = config_.device_id;
  status.lane = config_.lane;
  status.device_class = "xray_scanner";
  status.time_ms = clock_.nowWallMs();
  status.health = health;
  status.reason = reason;
  status.counters = counters_.toJson();
  on_status_(status);
}

}  // namespace kordon::drivers
