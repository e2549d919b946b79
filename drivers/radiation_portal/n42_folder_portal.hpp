// SPDX-License-Identifier: Apache-2.0
#pragma once

// "n42-folder": a portal (or its vendor software) that writes one ANSI N42.42-2012 document per
// occupancy into a folder (n42_parser.hpp).
//
// Every poll_interval_ms the worker scans `folder` (not its subfolders) for regular files named
// *.n42 or *.xml (any case). Files whose name starts with '.' are ignored. A file is taken only
// when its size and modification time are unchanged since the previous scan (so a file still
// being written is left alone), or at once when it was renamed into place by a writer that uses
// the write-to-temp-then-rename convention (the two look the same to us: the second scan takes
// it). Then:
//   parsed and a portal occupancy -> stored in the EvidenceStore (application/xml, role "n42"),
//       published as one kEnd occupancy with that evidence and, once the callback says it is
//       journalled, moved to <folder>/done/ (not saved: left in place, store_failures + 1)
//   otherwise (malformed, truncated, not a portal document) -> moved to <folder>/failed/,
//       comms_errors + 1, one warn log, health kDegraded until the next good document
//   evidence store failure -> left in place for the next scans, comms_errors + 1
//   unreadable -> moved to <folder>/failed/, comms_errors + 1
// A name already taken in done/ or failed/ gets a ".<n>" suffix; a file that cannot be moved
// counts comms_errors + 1 once and its move is retried (FolderWatcher, folder_watcher.hpp).
//
// Health: kGood when the folder is readable, kNotConnected when it is missing or unreadable,
// kDegraded after a failed document (above). Counters: readings (documents published),
// comms_errors. Logs on health changes and per failed document.
//
// Thread-safety: as Vm250Portal (the FolderWatcher's own io_context and worker thread;
// callbacks on the worker).

#include <filesystem>
#include <string>

#include "drivers/common/folder_watcher.hpp"
#include "drivers/common/health_reporter.hpp"
#include "drivers/radiation_portal/radiation_portal.hpp"

namespace kordon::drivers {

class N42FolderPortal final : public RadiationPortal {
 public:
  N42FolderPortal(RadiationPortalConfig config, EvidenceStore& evidence, const Clock& clock,
                  OccupancyCallback on_occupancy, StatusCallback on_status);
  ~N42FolderPortal() override;
  N42FolderPortal(const N42FolderPortal&) = delete;
  N42FolderPortal& operator=(const N42FolderPortal&) = delete;

  void start() override;
  void stop() override;
  const DeviceCounters& counters() const override { return counters_; }
  msg::DeviceHealth health() const { return reporter_.health(); }

  // One scan on the calling thread (unit tests; not mixed with start()).
  void scanForTest() { watcher_.scanOnce(); }

 private:
  FileOutcome process(const std::filesystem::path& file, const std::string& bytes);
  void onFolder(bool available, const std::string& reason);
  void onProblem(FolderProblem problem, const std::filesystem::path& file,
                 const std::string& reason);

  const RadiationPortalConfig config_;
  EvidenceStore& evidence_;
  const Clock& clock_;
  const OccupancyCallback on_occupancy_;
  DeviceCounters counters_;
  HealthReporter reporter_;

  bool degraded_ = false;  // worker thread only

  FolderWatcher watcher_;  // last: its worker uses the members above
};

}  // namespace kordon::drivers
