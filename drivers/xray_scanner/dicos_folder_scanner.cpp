// SPDX-License-Identifier: Apache-2.0
#include "drivers/xray_scanner/dicos_folder_scanner.hpp"

#include <exception>
#include <utility>

#include "drivers/xray_scanner/tdr_parser.hpp"
#include "edge/base/log.hpp"

#include <dcmtk/config/osconfig.h>  // must come first among DCMTK headers
#include <dcmtk/oflog/oflog.h>

namespace kordon::drivers {

namespace fs = std::filesystem;

namespace {

FolderWatcherConfig watcherConfig(const XrayScannerConfig& config) {
  FolderWatcherConfig watch;
  watch.folder = config.folder;
  watch.extensions = {".dcs", ".dcm"};
  watch.poll_interval_ms = config.poll_interval_ms;
  watch.max_bytes = kMaxTdrBytes;
  return watch;
}

}  // namespace

DicosFolderScanner::DicosFolderScanner(XrayScannerConfig config, EvidenceStore& evidence,
                                       const Clock& clock, ResultCallback on_result,
                                       StatusCallback on_status)
    : config_(std::move(config)),
      evidence_(evidence),
      clock_(clock),
      on_result_(std::move(on_result)),
      reporter_(config_.device_id, config_.lane, "xray_scanner", config_.folder, clock,
                std::move(on_status)),
      watcher_(
          watcherConfig(config_),
          [this](const fs::path& path, const std::string& bytes) { return take(path, bytes); },
          [this](bool available, const std::string& reason) {
            reporter_.report(
                available ? msg::DeviceHealth::kGood : msg::DeviceHealth::kNotConnected, reason,
                counters_);
          },
          [this](FolderProblem problem, const fs::path& path, const std::string& reason) {
            onProblem(problem, path, reason);
          }) {}

DicosFolderScanner::~DicosFolderScanner() { stop(); }

Status DicosFolderScanner::start() {
  if (running_) return Status::ok();
  const std::string where =
      "x-ray scanner " + config_.device_id + ": dicos-folder '" + config_.folder + "'";
  if (config_.folder.empty()) return Status::error(where + ": folder is empty");
  if (config_.poll_interval_ms < 10) {
    return Status::error(where + ": poll_interval_ms must be >= 10");
  }
  if (Status ready = watcher_.prepare(); !ready) {
    const std::string reason = where + ": " + ready.message();
    reporter_.report(msg::DeviceHealth::kNotConnected, reason, counters_);
    return Status::error(reason);
  }
  // DCMTK would print its own "E: ..." lines for every bad file; we count and log instead.
  OFLog::getLogger("dcmtk").setLogLevel(OFLogger::FATAL_LOG_LEVEL);
  reporter_.report(msg::DeviceHealth::kGood, "", counters_);
  watcher_.start();
  running_ = true;
  return Status::ok();
}

void DicosFolderScanner::stop() {
  if (!running_) return;
  watcher_.stop();
  running_ = false;
}

FileOutcome DicosFolderScanner::take(const fs::path& path, const std::string& bytes) {
  const WallMs received_ms = clock_.nowWallMs();
  auto report = parseTdr(bytes);
  if (!report) {
    reject(path, report.status().message());
    return report.status();  // -> failed/
  }
  if (!last_reject_reason_.empty()) {
    last_reject_reason_.clear();
    log::info("x-ray folder has valid TDRs again", {{"device", config_.device_id}});
  }
  msg::XrayResult result = toXrayResult(*report, config_.device_id, config_.lane, received_ms);
  auto stored = evidence_.put(bytes, "application/dicom", "tdr");
  if (!stored) {
    counters_.store_failures++;
    if (!evidence_failing_) {
      evidence_failing_ = true;
      log::warn("x-ray TDR evidence not stored; TDRs stay in the folder until it is",
                {{"device", config_.device_id}, {"error", stored.status().message()}});
    }
    return FileOutcome::retry(stored.status().message());
  }
  if (evidence_failing_) {
    evidence_failing_ = false;
    log::info("x-ray TDR evidence stored again", {{"device", config_.device_id}});
  }
  result.evidence.push_back(std::move(stored).value());
  // The file moves to done/ only once its result is journalled.
  if (on_result_) {
    Status saved = Status::error("not delivered");
    try {
      saved = on_result_(result);
    } catch (const std::exception& e) {
      saved = Status::error(std::string("the result callback threw: ") + e.what());
    }
    if (!saved) {
      counters_.store_failures++;
      log::warn("x-ray result not saved; the TDR stays in the folder",
                {{"device", config_.device_id}, {"error", saved.message()}});
      return FileOutcome::retry(saved.message());
    }
  }
  return FileOutcome::done().andThen([this] { counters_.readings++; });
}

void DicosFolderScanner::onProblem(FolderProblem problem, const fs::path& path,
                                   const std::string& reason) {
  switch (problem) {
    case FolderProblem::kUnreadable:
      reject(path, reason);  // the watcher moves it to failed/
      return;
    case FolderProblem::kNotMoved:
      counters_.comms_errors++;
      log::warn("x-ray TDR file could not be moved; retried",
                {{"device", config_.device_id}, {"file", path.string()}, {"error", reason}});
      return;
    case FolderProblem::kException:
      counters_.comms_errors++;
      log::error("x-ray folder poll threw", {{"device", config_.device_id}, {"error", reason}});
      return;
  }
}

// Counts and logs; the watcher moves the file to failed/.
void DicosFolderScanner::reject(const fs::path& path, const std::string& reason) {
  counters_.comms_errors++;
  const auto level = reason == last_reject_reason_ ? log::Level::kDebug : log::Level::kWarn;
  last_reject_reason_ = reason;
  log::write(level, "x-ray TDR file rejected",
             {{"device", config_.device_id},
              {"file", path.filename().string()},
              {"reason", reason},
              {"comms_errors", counters_.comms_errors.load()}});
}

}  // namespace kordon::drivers
