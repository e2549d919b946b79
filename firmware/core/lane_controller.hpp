// SPDX-License-Identifier: Apache-2.0
#pragma once

// Glue between the core, its HAL, the command log and the Modbus register image. The owner
// calls cycle() periodically (every 20-50 ms) with a monotonic time, and onRegisterWrite()
// for each Modbus write. No heap, no exceptions: the object is built once at start.
//
// Thread-safety: none. The Linux and host builds call it under one mutex from their loop and
// server threads.

#include <cstdint>

#include "firmware/core/command_log.hpp"
#include "firmware/core/hal.hpp"
#include "firmware/core/lane_core.hpp"
#include "firmware/core/register_map.hpp"

namespace kordon::firmware {

class LaneController {
 public:
  LaneController(const CoreConfig& config, Hal& hal);

  // Reads inputs, advances time to now_ms, writes outputs and kicks the watchdog.
  void cycle(std::uint32_t now_ms);
  // A Modbus write; false when the register is not writable (exception 02).
  bool onRegisterWrite(int addr, std::uint16_t value);
  // The register image (regs::kCount registers) as a master reads it now.
  void exportRegisters(std::uint16_t* out) const;

  const LaneCore& core() const { return core_; }
  const CommandLog& log() const { return log_; }

 private:
  void record(const Effects& fx);

  LaneCore core_;
  Hal& hal_;
  CommandLog log_;
  std::uint32_t now_ms_ = 0;
  bool started_ = false;
  std::uint16_t heartbeat_reg_ = 0;
  std::uint16_t command_reg_ = 0;
  std::uint16_t command_result_ = regs::kResultNone;
};

}  // namespace kordon::firmware
