// SPDX-License-Identifier: Apache-2.0
#include "drivers/radiation_portal/n42_folder_portal.hpp"

#include <utility>

#include "drivers/radiation_portal/n42_parser.hpp"
#include "edge/base/log.hpp"

namespace kordon::drivers {

namespace fs = std::filesystem;

namespace {

FolderWatcherConfig watcherConfig(const RadiationPortalConfig& config) {
  FolderWatcherConfig watch;
  watch.folder = config.folder;
  watch.extensions = {".n42", ".xml"};
  watch.poll_interval_ms = config.poll_interval_ms;
  watch.ignore_empty_files = true;
  return watch;
}

}  // namespace

N42FolderPortal::N42FolderPortal(RadiationPortalConfig config, EvidenceStore& evidence,
                                 const Clock& clock, OccupancyCallback on_occupancy,
                                 StatusCallback on_status)
    : config_(std::move(config)),
      evidence_(evidence),
      clock_(clock),
      on_occupancy_(std::move(on_occupancy)),
      reporter_(config_.device_id, config_.lane, "radiation_portal", config_.folder, clock,
                std::move(on_status)),
      watcher_(
          watcherConfig(config_),
          [this](const fs::path& file, const std::string& bytes) { return process(file, bytes); },
          [this](bool available, const std::string& reason) { onFolder(available, reason); },
          [this](FolderProblem problem, const fs::path& file, const std::string& reason) {
            onProblem(problem, file, reason);
          }) {}

N42FolderPortal::~N42FolderPortal() { stop(); }

void N42FolderPortal::start() { watcher_.start(); }

void N42FolderPortal::stop() { watcher_.stop(); }

void N42FolderPortal::onFolder(bool available, const std::string& reason) {
  if (!available) {
    reporter_.report(msg::DeviceHealth::kNotConnected, reason, counters_);
    return;
  }
  reporter_.report(degraded_ ? msg::DeviceHealth::kDegraded : msg::DeviceHealth::kGood,
                   degraded_ ? "last document failed" : "", counters_);
}

void N42FolderPortal::onProblem(FolderProblem problem, const fs::path& file,
                                const std::string& reason) {
  ++counters_.comms_errors;
  const char* what = problem == FolderProblem::kUnreadable ? "n42 document unreadable"
                     : problem == FolderProblem::kNotMoved ? "n42 document not moved"
                                                           : "n42 folder scan failed";
  log::warn(what, {{"device_id", config_.device_id}, {"file", file.string()}, {"error", reason}});
}

FileOutcome N42FolderPortal::process(const fs::path& file, const std::string& bytes) {
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
    const std::string reason =
        "document " + file.filename().string() + " rejected: " + occupancy.status().message();
    return FileOutcome::failed(occupancy.status().message()).andThen([this, reason] {
      degraded_ = true;  // once the file is in failed/
      reporter_.report(msg::DeviceHealth::kDegraded, reason, counters_);
    });
  }
  auto stored = evidence_.put(bytes, "application/xml", "n42");
  if (!stored) {
    ++counters_.comms_errors;
    degraded_ = true;  // until a document is saved again
    reporter_.report(msg::DeviceHealth::kDegraded, "evidence store: " + stored.status().message(),
                     counters_);
    return FileOutcome::retry(stored.status().message());  // left in place
  }
  msg::RadiationOccupancy occ = std::move(occupancy).value();
  occ.device_id = config_.device_id;
  occ.lane = config_.lane;
  if (occ.time_ms == 0) occ.time_ms = clock_.nowWallMs();
  occ.phase = msg::OccupancyPhase::kEnd;
  occ.evidence.push_back(*stored);
  occ.health = msg::DeviceHealth::kGood;
  // The document moves to done/ only once its occupancy is journalled; until then it stays in
  // the folder and is taken again (a crash in between records it twice, never not at all).
  if (Status saved = on_occupancy_(occ); !saved) {
    ++counters_.store_failures;
    degraded_ = true;
    reporter_.report(msg::DeviceHealth::kDegraded, "not saved: " + saved.message(), counters_);
    return FileOutcome::retry(saved.message());
  }
  return FileOutcome::done().andThen([this] {
    degraded_ = false;
    ++counters_.readings;
    reporter_.report(msg::DeviceHealth::kGood, "", counters_);
  });
}

}  // namespace kordon::drivers
