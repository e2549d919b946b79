// SPDX-License-Identifier: Apache-2.0
#pragma once

// Weighbridge device class. A driver polls its indicator on its own worker thread (libmodbus
// calls block) and hands every sample to the ReadingCallback *on that worker thread*; the
// daemon post()s it into the control loop. A reading is kStable only when the indicator's
// stability flag is set AND the weight stayed within stable_band_kg for stable_time_ms.
//
// Run recipe (HIL): build/bin/kordon-sim-weighbridge --modbus 127.0.0.1:1502 --map laumas
// paired with config  [lanes.weighbridge] type = "modbus-tcp"  host = "127.0.0.1"  port = 1502

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "drivers/common/device_counters.hpp"
#include "edge/base/clock.hpp"
#include "edge/base/status.hpp"
#include "edge/msg/weight_reading.hpp"

namespace kordon::drivers {

struct WeighbridgeConfig {
  std::string device_id = "wb1";
  std::string lane = "L1";
  std::string type = "modbus-tcp";  // factory key: "modbus-tcp" (more in later issues)
  std::string host = "127.0.0.1";
  std::uint16_t port = 1502;
  int unit_id = 1;
  std::string register_map = "laumas";  // "laumas" | "flintec"
  int poll_interval_ms = 200;
  int response_timeout_ms = 500;
  std::int64_t stable_band_kg = 20;
  int stable_time_ms = 1000;
  int backoff_initial_ms = 250;
  int backoff_max_ms = 8000;
  int stale_after_ms = 2000;  // no good sample for this long -> health kNoData
};

class Weighbridge {
 public:
  using ReadingCallback = std::function<void(const msg::WeightReading&)>;
  virtual ~Weighbridge() = default;
  virtual void start() = 0;  // spawns the worker; returns at once
  virtual void stop() = 0;   // stops and joins the worker; idempotent
  virtual const DeviceCounters& counters() const = 0;
};

// Builds a driver by type name from a table, never an if/else chain. Unknown type or register
// map is an error naming it.
Result<std::unique_ptr<Weighbridge>> makeWeighbridge(const WeighbridgeConfig& config,
                                                     Weighbridge::ReadingCallback on_reading,
                                                     const Clock& clock);

}  // namespace kordon::drivers
