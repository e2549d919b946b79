// SPDX-License-Identifier: Apache-2.0
#pragma once

// "dicos-folder": DICOS TDR files dropped into a folder by the scanner's workstation.
//
// The folder mechanics are a FolderWatcher (folder_watcher.hpp): every poll_interval_ms it
// lists `folder` (not recursively) for regular files named *.dcs or *.dcm (any case, not
// starting with '.'). A file is taken once its size and mtime are unchanged since the previous
// poll (so a file still being written is left alone; writers should still write a temp name
// and rename). Taken files are read (at most kMaxTdrBytes), parsed with parseTdr(), kept as
// evidence ("application/dicom", role "tdr") and published, then, once the callback says the
// result is journalled, moved to <folder>/done/ (an evidence or journal failure leaves the file
// in place for a later poll, store_failures + 1); an
// unreadable or invalid file is moved to <folder>/failed/, counted in comms_errors and
// warn-logged once per change of reason, and never yields a result. A name that already exists
// in done/ or failed/ gets a ".N" suffix. A file that cannot be moved is counted once and its
// move retried at later polls (never published twice).
//
// DCMTK console logging is set to FATAL process-wide by start() (we count and log instead).
// Health: start() creates done/ and failed/ and fails if the folder is missing; kGood while
// the folder can be listed, kNotConnected (warn log once) while it cannot.
//
// Threads: one worker (the watcher's); callbacks run on it. start()/stop() from one
// controlling thread.

#include <filesystem>
#include <string>

#include "drivers/common/folder_watcher.hpp"
#include "drivers/common/health_reporter.hpp"
#include "drivers/xray_scanner/xray_scanner.hpp"

namespace kordon::drivers {

class DicosFolderScanner final : public XrayScanner {
 public:
  DicosFolderScanner(XrayScannerConfig config, EvidenceStore& evidence, const Clock& clock,
                     ResultCallback on_result, StatusCallback on_status);
  ~DicosFolderScanner() override;
  DicosFolderScanner(const DicosFolderScanner&) = delete;
  DicosFolderScanner& operator=(const DicosFolderScanner&) = delete;

  Status start() override;
  void stop() override;
  const DeviceCounters& counters() const override { return counters_; }

  // One poll, as the worker does it (tests call it directly without start()).
  void pollOnceForTest() { watcher_.scanOnce(); }

 private:
  FileOutcome take(const std::filesystem::path& path, const std::string& bytes);
  void onProblem(FolderProblem problem, const std::filesystem::path& path,
                 const std::string& reason);
  void reject(const std::filesystem::path& path, const std::string& reason);

  XrayScannerConfig config_;
  EvidenceStore& evidence_;
  const Clock& clock_;
  ResultCallback on_result_;
  DeviceCounters counters_;
  HealthReporter reporter_;
  std::string last_reject_reason_;
  bool evidence_failing_ = false;
  bool running_ = false;

  FolderWatcher watcher_;  // last: its worker uses the members above
};

}  // namespace kordon::drivers
