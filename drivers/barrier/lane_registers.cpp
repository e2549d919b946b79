// SPDX-License-Identifier: Apache-2.0
#include "drivers/barrier/lane_registers.hpp"

#include <string>

namespace kordon::drivers::lane {

Result<LaneStatus> decodeLaneStatus(std::span<const std::uint16_t> regs) {
  if (regs.size() < static_cast<std::size_t>(kStatusCount)) {
    return Status::error("lane status: " + std::to_string(regs.size()) + " registers, expected " +
                         std::to_string(kStatusCount));
  }
  if (regs[0] != kMagic) {
    return Status::error("lane status: magic " + std::to_string(regs[0]) +
                         " is not a lane controller's");
  }
  if (regs[1] != kVersion) {
    return Status::error("lane status: map version " + std::to_string(regs[1]) +
                         " unsupported (expected 1)");
  }
  LaneStatus s;
  switch (regs[2]) {
    case 0:
      s.position = msg::BarrierPosition::kUnknown;
      break;
    case 1:
      s.position = msg::BarrierPosition::kClosed;
      break;
    case 2:
      s.position = msg::BarrierPosition::kOpening;
      break;
    case 3:
      s.position = msg::BarrierPosition::kOpen;
      break;
    case 4:
      s.position = msg::BarrierPosition::kClosing;
      break;
    default:
      return Status::error("lane status: barrier state " + std::to_string(regs[2]));
  }
  if (regs[8] > static_cast<std::uint16_t>(CommandResult::kDeferred)) {
    return Status::error("lane status: command result " + std::to_string(regs[8]));
  }
  s.inputs = regs[3];
  s.green_light = (regs[4] & 4U) != 0;
  s.alarms = regs[5];
  s.heartbeat_alive = (regs[6] & 1U) != 0;
  s.released = (regs[6] & 2U) != 0;
  s.vehicles = regs[6] >> 8;
  s.command_echo = regs[7];
  s.command_result = static_cast<CommandResult>(regs[8]);
  s.log_count = regs[9];
  return s;
}

std::uint16_t encodeCommand(std::uint8_t sequence, Command command) {
  if (sequence == 0) sequence = 1;
  return static_cast<std::uint16_t>(sequence << 8 | static_cast<std::uint8_t>(command));
}

}  // namespace kordon::drivers::lane
