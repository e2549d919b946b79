// SPDX-License-Identifier: Apache-2.0
#pragma once

// "dicos-folder": DICOS TDR files dropped into a folder by the scanner's workstation.
//
// Every poll_interval_ms the worker lists `folder` (not recursively) for regular files named
// *.dcs or *.dcm (any case, not starting with '.'). A file is taken once its size and mtime are
// unchanged since the previous poll (so a file still being written is left alone; writers
// should still write a temp name and rename). Taken files are read (at most kMaxTdrBytes),
// parsed with parseTdr(), kept as evidence ("application/dicom", role "tdr") and published,
// then moved to <folder>/done/; an unreadable or invalid file is moved to <folder>/failed/,
// counted in comms_errors and warn-logged once per change of reason, and never yields a
// result. A name that already exists in done/ or failed/ gets a ".N" suffix.
//
// DCMTK console logging is set to FATAL process-wide by start() (we count and log instead).
// Health: start() creates done/ and failed/ and fails if the folder is missing; kGood while
// the folder can be listed, kNotConnected (warn log once) while it cannot.
//
// Threads: one worker; callbacks run on it. start()/stop() from one controlling thread.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>

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
  void pollOnceForTest() { pollOnce(); }

 private:
  struct Seen {
    std::uintmax_t size = 0;
    std::filesystem::file_time_type mtime{};
  };

  void run();
  void pollOnce();
  void take(const std::filesystem::path& path);
  void moveTo(const std::filesystem::path& path, const char* subdir);
  void reject(const std::filesystem::path& path, const std::string& reason);
  void setHealth(msg::DeviceHealth health, const std::string& reason);

  XrayScannerConfig config_;
  EvidenceStore& evidence_;
  const Clock& clock_;
  ResultCallback on_result_;
  StatusCallback on_status_;
  DeviceCounters counters_;
  std::map<std::string, Seen> candidates_;  // worker only
  msg::DeviceHealth health_ = msg::DeviceHealth::kNotConnected;
  bool health_published_ = false;
  std::string last_reject_reason_;
  bool evidence_failing_ = false;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_requested_ = false;  // guarded by mutex_
  std::thread worker_;
  bool running_ = false;
};

}  // namespace kordon::drivers
