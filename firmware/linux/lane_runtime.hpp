// SPDX-License-Identifier: Apache-2.0
#pragma once

// The lane controller as a process: the controller over a HAL, its Modbus server on its own
// thread, the control cycle on the calling thread, each new command record printed once as a
// JSON log line ("lane command"), sd_notify readiness, and every relay at rest on the way out.
// kordon-lane (firmware/linux/main.cpp, the libgpiod HAL) and the simulated lane
// (simulators/lane_sim, a simulated barrier and its control surface) are both this.
//
// Threads: run() is the control cycle; the Modbus server has its own thread. Both (and
// whatever the owner adds, such as a control surface) touch the controller only under mutex().

#include <cstdint>
#include <functional>

#include <nlohmann/json.hpp>

#include "edge/base/status.hpp"
#include "edge/base/thread_annotations.hpp"
#include "firmware/core/hal.hpp"
#include "firmware/core/lane_controller.hpp"
#include "firmware/linux/lane_config.hpp"
#include "firmware/linux/modbus_server.hpp"

namespace kordon::firmware {

class LaneRuntime {
 public:
  // Called under mutex() at the start of every cycle with the controller's clock (e.g. the
  // simulated barrier moves to that time).
  using BeforeCycle = std::function<void(std::uint32_t now_ms)>;

  LaneRuntime(const LaneAppConfig& config, Hal& hal);

  // Binds the Modbus server (TCP port or serial device); an error names why it cannot.
  Status open();
  // Cycles until stopRequested() (edge/base/signals.hpp), then stops the Modbus server and
  // leaves every output at rest.
  void run(const BeforeCycle& before_cycle = {});

  Mutex& mutex() RETURN_CAPABILITY(mutex_) { return mutex_; }
  const LaneController& controller() const REQUIRES(mutex_) { return controller_; }
  const ModbusServer& server() const { return server_; }

 private:
  const LaneAppConfig& config_;
  Hal& hal_;
  Mutex mutex_;
  LaneController controller_ GUARDED_BY(mutex_);
  ModbusServer server_;
};

// One command record as the log line and the simulated lane's /log show it.
nlohmann::json recordJson(const LogRecord& record);

}  // namespace kordon::firmware
