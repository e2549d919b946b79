// SPDX-License-Identifier: Apache-2.0
#pragma once

// X-ray scanner device class: DICOS Threat Detection Reports (NEMA IIC 1), read with DCMTK
// (device-protocols.md §3). Two ways in, one parser:
//   "dicos-folder"  TDR files (.dcs/.dcm) dropped into a folder; moved to done/ or failed/;
//   "dicos-scp"     a DICOM C-STORE SCP (DCMTK DcmSCP) the scanner's workstation pushes to.
// Each TDR becomes one msg::XrayResult; the TDR itself is kept as evidence. Callbacks run on
// the driver's worker thread and return once the daemon's control loop has journalled the
// result (edge/base/loop_call.hpp): only then is the scanner answered success (C-STORE) or the
// file moved to done/. A result that could not be saved is refused (0xA700, out of resources),
// or its file left in place, and the scanner or the next scan tries again.
//
// Run recipe (HIL): build/bin/kordon-sim-xray --scp 127.0.0.1:11112 --control 127.0.0.1:8504
// paired with config  [lanes.xray] type = "dicos-scp"  port = 11112  ae_title = "KORDON"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "drivers/common/device_context.hpp"
#include "drivers/common/device_counters.hpp"
#include "drivers/common/evidence_store.hpp"
#include "edge/base/clock.hpp"
#include "edge/base/status.hpp"
#include "edge/msg/device_status.hpp"
#include "edge/msg/xray_result.hpp"

namespace kordon::drivers {

struct XrayScannerConfig {
  std::string device_id = "xray1";
  std::string lane = "L1";
  std::string type = "dicos-scp";         // factory key: "dicos-scp" | "dicos-folder"
  std::string listen_host = "127.0.0.1";  // dicos-scp
  std::uint16_t port = 11112;             // dicos-scp
  std::string ae_title = "KORDON";        // dicos-scp: our Application Entity title
  std::string folder;                     // dicos-folder
  int poll_interval_ms = 250;             // dicos-folder
  int association_timeout_s = 30;         // dicos-scp: an idle or stalled association is dropped
};

class XrayScanner {
 public:
  using ResultCallback = std::function<Status(const msg::XrayResult&)>;  // ok once durable
  using StatusCallback = std::function<void(const msg::DeviceStatus&)>;
  // Called on the control loop; the worker (and the scanner, for a C-STORE) waits for the
  // result's answer.
  struct Sink {
    ResultCallback result;
    StatusCallback status;
  };
  virtual ~XrayScanner() = default;
  virtual Status start() = 0;  // binds the SCP port or checks the folder; errors are values
  virtual void stop() = 0;     // idempotent, joins the worker
  virtual const DeviceCounters& counters() const = 0;
};

Result<std::unique_ptr<XrayScanner>> makeXrayScanner(const XrayScannerConfig& config,
                                                     const DeviceContext& context,
                                                     XrayScanner::Sink sink);

}  // namespace kordon::drivers
