// SPDX-License-Identifier: Apache-2.0
#include "firmware/core/lane_controller.hpp"

namespace kordon::firmware {

LaneController::LaneController(const CoreConfig& config, Hal& hal) : core_(config), hal_(hal) {
  hal_.writeOutputs(core_.outputs());  // S4: at rest from the first instant
}

void LaneController::cycle(std::uint32_t now_ms) {
  Effects fx;
  const Inputs inputs = hal_.readInputs();
  if (!started_ || !(inputs == core_.state().inputs)) core_.onInputs(inputs, fx);
  if (started_ && now_ms > now_ms_) core_.onElapsed(now_ms - now_ms_, fx);
  started_ = true;
  now_ms_ = now_ms;
  record(fx);
  hal_.writeOutputs(core_.outputs());
  // The watchdog proves this loop runs; a hung loop stops kicking and the hardware resets
  // the box, whose relays then fall to rest.
  hal_.kickWatchdog();
}

bool LaneController::onRegisterWrite(int addr, std::uint16_t value) {
  if (addr == regs::kHeartbeat) {
    heartbeat_reg_ = value;
    core_.onHeartbeat();
    return true;
  }
  if (addr != regs::kCommand) return false;
  if (value == command_reg_) return true;  // a retry of the command already executed
  command_reg_ = value;
  Command command = Command::kNone;
  switch (value & 0xFFU) {
    case 1:
      command = Command::kOpen;
      break;
    case 2:
      command = Command::kClose;
      break;
    case 3:
      command = Command::kAckAlarms;
      break;
    default:
      command_result_ = regs::kResultRefused;
      return true;
  }
  Effects fx;
  core_.onCommand(command, fx);
  command_result_ = regs::kResultDone;
  for (int i = 0; i < fx.count; ++i) {
    const Action a = fx.records[i].action;
    if (a == Action::kOpenRefused || a == Action::kCloseRefused) {
      command_result_ = regs::kResultRefused;
    } else if (a == Action::kCloseDeferred) {
      command_result_ = regs::kResultDeferred;
    }
  }
  record(fx);
  hal_.writeOutputs(core_.outputs());
  return true;
}

void LaneController::exportRegisters(std::uint16_t* out) const {
  for (int i = 0; i < regs::kCount; ++i) out[i] = 0;
  const CoreState& s = core_.state();
  out[regs::kMagic] = regs::kMagicValue;
  out[regs::kVersion] = regs::kVersionValue;
  out[regs::kBarrier] = static_cast<std::uint16_t>(s.barrier);
  out[regs::kInputs] = encodeInputs(s.inputs);
  out[regs::kOutputs] = encodeOutputs(core_.outputs());
  out[regs::kAlarms] = s.alarms;
  out[regs::kFlags] =
      static_cast<std::uint16_t>((s.heartbeat_alive ? 1U : 0U) | (s.released ? 2U : 0U) |
                                 (s.close_wanted ? 4U : 0U) | (s.vehicles << 8));
  out[regs::kCommandEcho] = command_reg_;
  out[regs::kCommandResult] = command_result_;
  out[regs::kLogCount] = static_cast<std::uint16_t>(log_.total() & 0xFFFFU);
  out[regs::kUptime] = static_cast<std::uint16_t>((now_ms_ / 1000U) & 0xFFFFU);
  out[regs::kHeartbeat] = heartbeat_reg_;
  out[regs::kCommand] = command_reg_;
  for (std::uint32_t age = 0; age < log_.size() && age < regs::kLogRecords; ++age) {
    const LogRecord& r = log_.newest(age);
    std::uint16_t* o = out + regs::kLogBase + age * regs::kLogRecordSize;
    o[0] = static_cast<std::uint16_t>(r.seq & 0xFFFFU);
    o[1] = static_cast<std::uint16_t>(static_cast<unsigned>(r.action) << 8 |
                                      static_cast<unsigned>(r.reason));
    o[2] = r.inputs;
    o[3] = r.alarms;
    o[4] = static_cast<std::uint16_t>(r.barrier);
    o[5] = static_cast<std::uint16_t>((r.time_ms / 100U) & 0xFFFFU);
  }
}

void LaneController::record(const Effects& fx) {
  for (int i = 0; i < fx.count; ++i) {
    LogRecord r = fx.records[i];
    r.time_ms = now_ms_;
    log_.append(r);
  }
}

}  // namespace kordon::firmware
