// SPDX-License-Identifier: Apache-2.0
#pragma once

// Radiation portal monitor device class. Two real protocols (device-protocols.md §2):
//   "vm250-tcp"  the Rapiscan/TSA VM-250 CSV line stream (GB/GS/GA/NB/NS/NA/GX/SP/TT...) read
//                from a TCP socket (serial-to-Ethernet converters pass it through);
//   "n42-folder" ANSI N42.42-2012 occupancy documents dropped into a folder (one per vehicle).
// A driver runs on its own worker thread and calls both callbacks there; the daemon post()s
// them into the control loop. A driver never invents a reading: a truncated occupancy (stream
// lost before GX) is reported as a fault, not as a clean pass.
//
// Run recipe (HIL): build/bin/kordon-sim-rpm --vm250 127.0.0.1:1601 --control 127.0.0.1:8503
// paired with config  [lanes.radiation] type = "vm250-tcp"  host = "127.0.0.1"  port = 1601

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
#include "edge/msg/radiation_occupancy.hpp"

namespace kordon::drivers {

struct RadiationPortalConfig {
  std::string device_id = "rpm1";
  std::string lane = "L1";
  std::string type = "vm250-tcp";  // factory key: "vm250-tcp" | "n42-folder"
  std::string host = "127.0.0.1";  // vm250-tcp
  std::uint16_t port = 1601;       // vm250-tcp
  std::string folder;              // n42-folder: watched; files move to done/ or failed/
  double alarm_sigma = 4.0;        // vm250: gamma alarm also when counts > B + N*sqrt(B)
  int poll_interval_ms = 250;      // n42-folder scan interval
  int stale_after_ms = 5000;       // no line (vm250) for this long -> kNoData
  int backoff_initial_ms = 250;
  int backoff_max_ms = 8000;
};

class RadiationPortal {
 public:
  // Ok once the occupancy is durable (journalled): only then does a folder driver move its
  // document to done/. Runs on the driver's worker.
  using OccupancyCallback = std::function<Status(const msg::RadiationOccupancy&)>;
  using StatusCallback = std::function<void(const msg::DeviceStatus&)>;
  // Called on the control loop; the worker waits for the occupancy's answer.
  struct Sink {
    OccupancyCallback occupancy;
    StatusCallback status;
  };
  virtual ~RadiationPortal() = default;
  virtual void start() = 0;
  virtual void stop() = 0;  // idempotent, joins the worker
  virtual const DeviceCounters& counters() const = 0;
};

Result<std::unique_ptr<RadiationPortal>> makeRadiationPortal(const RadiationPortalConfig& config,
                                                             const DeviceContext& context,
                                                             RadiationPortal::Sink sink);

}  // namespace kordon::drivers
