// SPDX-License-Identifier: Apache-2.0
#pragma once

// Barrier device class. kordond *requests* open and close; the device (in production the lane
// controller of issue 5, which owns the safety interlocks) decides and reports its position.
// All calls and callbacks run on the control loop's io_context.

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "edge/base/clock.hpp"
#include "edge/base/status.hpp"
#include "edge/msg/barrier_status.hpp"

namespace kordon::drivers {

struct BarrierConfig {
  std::string device_id = "barrier1";
  std::string lane = "L1";
  std::string type = "sim";  // factory key; "sim" until the lane controller lands
  int travel_ms = 1500;      // simulated motion time
};

class Barrier {
 public:
  using StatusCallback = std::function<void(const msg::BarrierStatus&)>;
  virtual ~Barrier() = default;
  virtual void start() = 0;
  virtual void stop() = 0;
  virtual void requestOpen(const std::string& command_id) = 0;
  virtual void requestClose(const std::string& command_id) = 0;
};

Result<std::unique_ptr<Barrier>> makeBarrier(const BarrierConfig& config,
                                             boost::asio::io_context& io, const Clock& clock,
                                             Barrier::StatusCallback on_status);

}  // namespace kordon::drivers
