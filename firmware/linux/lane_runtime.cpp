// SPDX-License-Identifier: Apache-2.0
#include "firmware/linux/lane_runtime.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

#include <systemd/sd-daemon.h>

#include "edge/base/log.hpp"
#include "edge/base/signals.hpp"

namespace kordon::firmware {
namespace {

std::uint32_t uptimeMs(std::chrono::steady_clock::time_point start) {
  return static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now() - start)
                                        .count());
}

}  // namespace

nlohmann::json recordJson(const LogRecord& r) {
  const Inputs in = decodeInputs(r.inputs);
  return {{"seq", r.seq},
          {"time_ms", r.time_ms},
          {"action", toString(r.action)},
          {"reason", toString(r.reason)},
          {"barrier", toString(r.barrier)},
          {"presence_loop", in.presence_loop},
          {"safety_loop", in.safety_loop},
          {"photocell_broken", in.photocell_broken},
          {"limit_open", in.limit_open},
          {"limit_closed", in.limit_closed},
          {"loop_fault", in.loop_fault},
          {"barrier_fault", in.barrier_fault},
          {"stale", in.stale},
          {"alarms", r.alarms}};
}

LaneRuntime::LaneRuntime(const LaneAppConfig& config, Hal& hal)
    : config_(config),
      hal_(hal),
      controller_(config.core, hal),
      server_(config.modbus, controller_, mutex_) {}

Status LaneRuntime::open() { return server_.open(); }

void LaneRuntime::run(const BeforeCycle& before_cycle) {
  std::thread modbus_thread([this] { server_.run(); });
  log::info("lane controller started",
            {{"modbus", config_.modbus.mode == "tcp"
                            ? config_.modbus.host + ":" + std::to_string(config_.modbus.port)
                            : config_.modbus.serial_device},
             {"heartbeat_timeout_ms", config_.core.heartbeat_timeout_ms}});
  sd_notify(0, "READY=1");

  const auto start = std::chrono::steady_clock::now();
  std::uint32_t printed = 0;
  while (!stopRequested()) {
    {
      MutexLock lock(mutex_);
      const std::uint32_t now = uptimeMs(start);
      if (before_cycle) before_cycle(now);
      controller_.cycle(now);
      // Print each new command record once (the ring keeps the last CommandLog::kCapacity).
      const CommandLog& log = controller_.log();
      const std::uint32_t fresh = std::min(log.total() - printed, log.size());
      for (std::uint32_t age = fresh; age-- > 0;)
        log::info("lane command", {{"record", recordJson(log.newest(age))}});
      printed = log.total();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(config_.cycle_ms));
  }

  sd_notify(0, "STOPPING=1");
  server_.stop();
  modbus_thread.join();
  {
    MutexLock lock(mutex_);
    hal_.writeOutputs(Outputs{});  // leave every relay at rest
  }
  log::info("lane controller stopped", {});
}

}  // namespace kordon::firmware
