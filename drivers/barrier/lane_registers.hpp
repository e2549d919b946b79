// SPDX-License-Identifier: Apache-2.0
#pragma once

// kordond's side of the lane controller's Modbus map (docs/LANE.md; the controller's own copy
// is firmware/core/register_map.hpp, kept separate on purpose: STYLE.md §C.3). Holding
// registers, 0-based wire addresses:
//
//   0 magic 0x4B4C   1 version 1   2 barrier (0 unknown, 1 closed, 2 opening, 3 open, 4 closing)
//   3 inputs bits    4 outputs bits (bit 2 green light)   5 alarms bits
//   6 flags: bit 0 heartbeat alive, 1 released, 2 close wanted, bits 8-15 vehicles
//   7 command echo   8 command result (0 none, 1 done, 2 refused, 3 deferred)
//   9 log count      10 uptime s
//   16 heartbeat (written by kordond every heartbeat_ms)
//   17 command: high byte sequence 1-255, low byte 1 open, 2 close, 3 acknowledge alarms
//
// decodeLaneStatus() is pure and fuzzed (tests/fuzz/lane_status_fuzz.cpp).

#include <cstdint>
#include <span>

#include "edge/base/status.hpp"
#include "edge/msg/barrier_status.hpp"

namespace kordon::drivers::lane {

constexpr int kStatusStart = 0;
constexpr int kStatusCount = 11;
constexpr int kHeartbeatRegister = 16;
constexpr int kCommandRegister = 17;
constexpr std::uint16_t kMagic = 0x4B4C;
constexpr std::uint16_t kVersion = 1;

enum class Command : std::uint8_t { kOpen = 1, kClose = 2, kAckAlarms = 3 };
enum class CommandResult : std::uint16_t { kNone = 0, kDone = 1, kRefused = 2, kDeferred = 3 };

// Alarm bits (register 5).
constexpr std::uint16_t kAlarmHeartbeatLost = 1U << 0;
constexpr std::uint16_t kAlarmTailgating = 1U << 1;
constexpr std::uint16_t kAlarmMotionTimeout = 1U << 2;
constexpr std::uint16_t kAlarmLoopFault = 1U << 3;
constexpr std::uint16_t kAlarmBarrierFault = 1U << 4;
constexpr std::uint16_t kAlarmInputStale = 1U << 5;
constexpr std::uint16_t kAlarmLimitConflict = 1U << 6;
// Alarms that mean the barrier or its sensors are not trustworthy (health kDegraded).
constexpr std::uint16_t kDeviceFaultAlarms = kAlarmMotionTimeout | kAlarmLoopFault |
                                             kAlarmBarrierFault | kAlarmInputStale |
                                             kAlarmLimitConflict;

struct LaneStatus {
  msg::BarrierPosition position = msg::BarrierPosition::kUnknown;
  std::uint16_t inputs = 0;
  std::uint16_t alarms = 0;
  bool green_light = false;
  bool heartbeat_alive = false;
  bool released = false;
  int vehicles = 0;
  std::uint16_t command_echo = 0;
  CommandResult command_result = CommandResult::kNone;
  std::uint16_t log_count = 0;
};

// Decodes registers kStatusStart..kStatusStart+kStatusCount-1. Errors: short block, wrong
// magic or version (not a lane controller, or a newer map), out-of-range enumerations.
Result<LaneStatus> decodeLaneStatus(std::span<const std::uint16_t> regs);

// The command register's value: sequence 1-255 in the high byte (0 is skipped so the first
// command differs from the register's power-on 0).
std::uint16_t encodeCommand(std::uint8_t sequence, Command command);

}  // namespace kordon::drivers::lane
