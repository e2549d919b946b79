// SPDX-License-Identifier: Apache-2.0
#pragma once

// The lane controller's Modbus map: holding registers only (FC03 read, FC06/FC16 write), wire
// addresses 0-based. docs/LANE.md is the reference a PLC integrator follows; keep both in step.
// kordond's driver (drivers/barrier/lane_registers.hpp) has its own copy of the numbers on
// purpose (STYLE.md §C.3: encode independently), pinned together by the HIL tests.
//
//   addr  name            access  content
//   0     magic           R       0x4B4C ("KL")
//   1     version         R       1
//   2     barrier         R       0 unknown, 1 closed, 2 opening, 3 open, 4 closing
//   3     inputs          R       bit 0 presence loop, 1 safety loop, 2 photocell broken,
//                                 3 limit open, 4 limit closed, 5 loop fault, 6 barrier
//                                 fault, 7 stale input
//   4     outputs         R       bit 0 open pulse, 1 close pulse, 2 green light, 3 alarm
//   5     alarms          R       bit 0 heartbeat lost, 1 tailgating, 2 motion timeout,
//                                 3 loop fault, 4 barrier fault, 5 stale input, 6 limit conflict
//   6     flags           R       bit 0 heartbeat alive, 1 released, 2 close wanted;
//                                 bits 8-15 vehicles under the current release
//   7     command echo    R       the last command register value executed
//   8     command result  R       0 none, 1 done, 2 refused, 3 deferred (for that command)
//   9     log count       R       records ever logged, low 16 bits
//   10    uptime          R       seconds since start, low 16 bits
//   16    heartbeat       R/W     kordond writes it every period; any write is a heartbeat
//   17    command         R/W     high byte sequence 1-255, low byte 1 open, 2 close,
//                                 3 acknowledge alarms; executed once per new value
//   32+6i log record i    R       i = 0 newest .. 7; seq low 16, action<<8 | reason, inputs,
//                                 alarms, barrier, time in 100 ms units low 16
// Writes to any other register are answered with exception 02 (illegal data address).

#include <cstdint>

namespace kordon::firmware::regs {

constexpr int kMagic = 0;
constexpr int kVersion = 1;
constexpr int kBarrier = 2;
constexpr int kInputs = 3;
constexpr int kOutputs = 4;
constexpr int kAlarms = 5;
constexpr int kFlags = 6;
constexpr int kCommandEcho = 7;
constexpr int kCommandResult = 8;
constexpr int kLogCount = 9;
constexpr int kUptime = 10;
constexpr int kHeartbeat = 16;
constexpr int kCommand = 17;
constexpr int kLogBase = 32;
constexpr int kLogRecords = 8;
constexpr int kLogRecordSize = 6;
constexpr int kCount = kLogBase + kLogRecords * kLogRecordSize;  // 80

constexpr std::uint16_t kMagicValue = 0x4B4C;
constexpr std::uint16_t kVersionValue = 1;

enum CommandResult : std::uint16_t {
  kResultNone = 0,
  kResultDone,
  kResultRefused,
  kResultDeferred
};

}  // namespace kordon::firmware::regs
