// SPDX-License-Identifier: Apache-2.0
#pragma once

// Barrier device class. kordond *requests* open and close; the device (in production the lane
// controller of issue 5, which owns the safety interlocks) decides and reports its position.
// All calls and callbacks run on the control loop's io_context.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "drivers/common/device_context.hpp"
#include "edge/base/clock.hpp"
#include "edge/base/status.hpp"
#include "edge/msg/barrier_status.hpp"

namespace kordon::drivers {

struct BarrierConfig {
  std::string device_id = "barrier1";
  std::string lane = "L1";
  std::string type = "lane-modbus-tcp";  // factory key: also "lane-modbus-rtu", "sim"
  int travel_ms = 1500;                  // "sim": simulated motion time

  // "lane-modbus-*": the lane controller (firmware/, docs/LANE.md) or a PLC serving its map.
  std::string host = "127.0.0.1";
  std::uint16_t port = 1602;
  int unit_id = 1;
  std::string serial_device;  // lane-modbus-rtu
  int baud = 19200;
  char parity = 'N';
  int data_bits = 8;
  int stop_bits = 1;
  int poll_interval_ms = 100;
  int response_timeout_ms = 300;
  int heartbeat_ms = 500;  // well inside the controller's heartbeat timeout (3000 ms default)
  int backoff_initial_ms = 200;
  int backoff_max_ms = 5000;
};

class Barrier {
 public:
  using StatusCallback = std::function<void(const msg::BarrierStatus&)>;
  // Called on the control loop.
  struct Sink {
    StatusCallback status;
  };
  virtual ~Barrier() = default;
  virtual void start() = 0;
  virtual void stop() = 0;
  virtual void requestOpen(const std::string& command_id) = 0;
  virtual void requestClose(const std::string& command_id) = 0;
};

Result<std::unique_ptr<Barrier>> makeBarrier(const BarrierConfig& config,
                                             const DeviceContext& context, Barrier::Sink sink);

}  // namespace kordon::drivers
