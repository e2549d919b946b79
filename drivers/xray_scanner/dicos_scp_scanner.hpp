// SPDX-License-Identifier: Apache-2.0
#pragma once

// "dicos-scp": a DICOM Storage SCP (DCMTK DcmSCP) that the scanner's workstation pushes its
// DICOS TDRs to (device-protocols.md §3.1).
//
// Negotiated: Verification (C-ECHO) and DICOS TDR Storage 1.2.840.10008.5.1.4.1.1.501.3, each
// with explicit and implicit VR little endian. The called AE title must be config.ae_title.
// Each C-STORE dataset goes through parseTdrDataset(); a good one is re-encoded as a Part 10
// file, kept as evidence ("application/dicom", role "tdr"), turned into a msg::XrayResult and
// answered with status 0x0000 once the callback says it is journalled. A bad one is answered
// 0xA900 (wrong SOP class) or 0xC000 (cannot understand), counted in comms_errors and
// warn-logged once per change of reason. One that could not be saved (the evidence or the
// journal write failed: a full disk) is answered 0xA700 (out of resources), which the scanner
// retries, and counted in store_failures (warn once per transition).
//
// Listening: DCMTK 3.6.7 binds every interface; when listen_host is a specific address, an
// association that arrived on another local address is refused, so the effect is the same as
// binding it. listen_host must be an IP literal, "localhost" or empty / 0.0.0.0 (any).
// Timeouts: an association that stays silent (or stalls mid-dataset) for
// association_timeout_s is aborted and counted in `timeouts`; the accept loop wakes every
// second. stop() shuts down the sockets of open associations, so it returns within ~1 s.
//
// Health: kGood once listening (start() succeeded); start() returns the bind error and
// publishes kNotConnected with it. DCMTK's own console logging is turned down to FATAL
// process-wide: this driver counts and logs in Kordon's format instead.
//
// Threads: one worker runs DCMTK's accept loop; callbacks run on it. start()/stop() from one
// controlling thread; counters() from any thread.

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "drivers/common/health_reporter.hpp"
#include "drivers/xray_scanner/xray_scanner.hpp"

namespace kordon::drivers {

class DicosScpScanner final : public XrayScanner {
 public:
  DicosScpScanner(XrayScannerConfig config, EvidenceStore& evidence, const Clock& clock,
                  ResultCallback on_result, StatusCallback on_status);
  ~DicosScpScanner() override;
  DicosScpScanner(const DicosScpScanner&) = delete;
  DicosScpScanner& operator=(const DicosScpScanner&) = delete;

  Status start() override;
  void stop() override;
  const DeviceCounters& counters() const override { return counters_; }

  // Called by the DCMTK worker; public only for the implementation's SCP class.
  struct Impl;

 private:
  XrayScannerConfig config_;
  EvidenceStore& evidence_;
  const Clock& clock_;
  ResultCallback on_result_;
  DeviceCounters counters_;
  HealthReporter reporter_;
  std::unique_ptr<Impl> impl_;
  std::thread worker_;
  bool running_ = false;
};

}  // namespace kordon::drivers
