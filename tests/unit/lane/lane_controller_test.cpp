// SPDX-License-Identifier: Apache-2.0
// LaneController: the command log ring and its Modbus window, command-register semantics.
// (The state machine itself is proven by lane_core_exhaustive_test.)

#include "firmware/core/lane_controller.hpp"

#include <cstdint>

#include <gtest/gtest.h>

#include "firmware/core/command_log.hpp"
#include "simulators/lane_sim/sim_hal.hpp"

namespace kordon::firmware {
namespace {

using sim::SimHal;
using sim::SimWorld;

TEST(CommandLog, KeepsTheNewestRecordsWhenItWraps) {
  CommandLog log;
  for (int i = 0; i < 70; ++i) log.append(LogRecord{});
  EXPECT_EQ(log.total(), 70U);
  EXPECT_EQ(log.size(), CommandLog::kCapacity);
  EXPECT_EQ(log.newest(0).seq, 70U);
  EXPECT_EQ(log.newest(CommandLog::kCapacity - 1).seq, 70U - CommandLog::kCapacity + 1);
}

struct Rig {
  SimHal hal{300};
  LaneController controller{CoreConfig{}, hal};
  std::uint16_t regs_[regs::kCount] = {};

  Rig() {
    hal.advance(0);
    controller.cycle(0);
    EXPECT_TRUE(controller.onRegisterWrite(regs::kHeartbeat, 1));
  }
  const std::uint16_t* image() {
    controller.exportRegisters(regs_);
    return regs_;
  }
};

TEST(LaneController, AnOpenIsLoggedWithItsInputsInTheModbusWindow) {
  Rig rig;
  ASSERT_TRUE(rig.controller.onRegisterWrite(regs::kCommand, 0x0101));
  const std::uint16_t* r = rig.image();
  EXPECT_EQ(r[regs::kMagic], regs::kMagicValue);
  EXPECT_EQ(r[regs::kBarrier], 2);  // opening
  EXPECT_EQ(r[regs::kCommandEcho], 0x0101);
  EXPECT_EQ(r[regs::kCommandResult], regs::kResultDone);
  EXPECT_EQ(r[regs::kLogCount], 1);
  const std::uint16_t* rec = r + regs::kLogBase;
  EXPECT_EQ(rec[0], 1);             // seq
  EXPECT_EQ(rec[1], (1 << 8) | 1);  // open pulse, by command
  EXPECT_EQ(rec[2], 1U << 4);       // the closed limit was made
  EXPECT_EQ(rec[4], 2);             // the state the command put the barrier in: opening
}

TEST(LaneController, ARetriedCommandRunsOnceAndUnknownCodesAreRefused) {
  Rig rig;
  ASSERT_TRUE(rig.controller.onRegisterWrite(regs::kCommand, 0x0101));
  ASSERT_TRUE(rig.controller.onRegisterWrite(regs::kCommand, 0x0101));
  EXPECT_EQ(rig.controller.log().total(), 1U);
  ASSERT_TRUE(rig.controller.onRegisterWrite(regs::kCommand, 0x0209));
  EXPECT_EQ(rig.image()[regs::kCommandResult], regs::kResultRefused);
  EXPECT_FALSE(rig.controller.onRegisterWrite(regs::kBarrier, 3));
}

TEST(LaneController, OpenWithoutHeartbeatIsRefusedAndLogged) {
  SimHal hal{300};
  LaneController controller{CoreConfig{}, hal};
  controller.cycle(0);
  ASSERT_TRUE(controller.onRegisterWrite(regs::kCommand, 0x0101));
  std::uint16_t r[regs::kCount];
  controller.exportRegisters(r);
  EXPECT_EQ(r[regs::kCommandResult], regs::kResultRefused);
  EXPECT_EQ(r[regs::kLogBase + 1], (3 << 8) | 5);  // open refused, no heartbeat
  EXPECT_FALSE(hal.outputs().open_pulse);
}

}  // namespace
}  // namespace kordon::firmware
