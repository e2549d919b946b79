// SPDX-License-Identifier: Apache-2.0
#pragma once

// Weighbridge device class. A driver polls its indicator on its own worker thread (libmodbus
// calls block) and hands every sample to the ReadingCallback *on that worker thread*; the
// daemon post()s it into the control loop. A reading is kStable only when the indicator's
// stability flag is set AND the weight stayed within stable_band_kg for stable_time_ms.
//
// Run recipes (HIL):
//   kordon-sim-weighbridge --modbus 127.0.0.1:1502 --map laumas
//     [lanes.weighbridge] type = "modbus-tcp"  host = "127.0.0.1"  port = 1502
//   kordon-sim-weighbridge --rtu /tmp/pty/a --map flintec-ft111     (socat pty pair a <-> b)
//     type = "modbus-rtu"  serial_device = "/tmp/pty/b"  register_map = "flintec-ft111"
//   kordon-sim-weighbridge --toledo-tcp 127.0.0.1:4001
//     type = "toledo-tcp"  host = "127.0.0.1"  port = 4001  toledo_checksum = true

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "drivers/common/device_context.hpp"
#include "drivers/common/device_counters.hpp"
#include "edge/base/clock.hpp"
#include "edge/base/status.hpp"
#include "edge/msg/weight_reading.hpp"

namespace kordon::drivers {

struct WeighbridgeConfig {
  std::string device_id = "wb1";
  std::string lane = "L1";
  // Factory key: "modbus-tcp", "modbus-rtu", "toledo-tcp", "toledo-serial".
  std::string type = "modbus-tcp";
  std::string host = "127.0.0.1";  // modbus-tcp, toledo-tcp (a serial-to-Ethernet converter)
  std::uint16_t port = 1502;
  // Serial line: modbus-rtu, toledo-serial.
  std::string serial_device = "/dev/ttyUSB0";
  int baud = 9600;
  char parity = 'N';  // 'N', 'E' or 'O'
  int data_bits = 8;  // 7 or 8
  int stop_bits = 1;  // 1 or 2
  int unit_id = 1;
  std::string register_map = "laumas";  // Modbus: "laumas" | "flintec" | "flintec-ft111"
  bool toledo_checksum = true;          // Toledo: frames carry the 18th (checksum) byte
  int poll_interval_ms = 200;
  int response_timeout_ms = 500;
  std::int64_t stable_band_kg = 20;
  int stable_time_ms = 1000;
  int backoff_initial_ms = 250;
  int backoff_max_ms = 8000;
  // No good sample (Toledo: no valid frame; FT-111: no heartbeat change) for this long -> kNoData.
  int stale_after_ms = 2000;
};

class Weighbridge {
 public:
  using ReadingCallback = std::function<void(const msg::WeightReading&)>;
  // Called on the control loop (device_context.hpp).
  struct Sink {
    ReadingCallback reading;
  };
  virtual ~Weighbridge() = default;
  virtual void start() = 0;  // spawns the worker; returns at once
  virtual void stop() = 0;   // stops and joins the worker; idempotent
  virtual const DeviceCounters& counters() const = 0;
};

// Builds a driver by type name from a table, never an if/else chain. Unknown type or register
// map is an error naming it.
Result<std::unique_ptr<Weighbridge>> makeWeighbridge(const WeighbridgeConfig& config,
                                                     const DeviceContext& context,
                                                     Weighbridge::Sink sink);

}  // namespace kordon::drivers
