// SPDX-License-Identifier: Apache-2.0
// kordond's lane-controller barrier driver, against the real controller firmware in-process:
// a ModbusLink whose registers are LaneController::exportRegisters() and whose writes go to
// onRegisterWrite(), with the simulated barrier as HAL. The wire itself (libmodbus, TCP, RTU)
// is covered by tests/hil/lane_controller_hil_test.cpp.

#include "drivers/barrier/lane_modbus_barrier.hpp"

#include <chrono>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "drivers/barrier/lane_registers.hpp"
#include "firmware/core/lane_controller.hpp"
#include "simulators/lane_sim/sim_hal.hpp"
#include "tests/unit/edge/test_support.hpp"

namespace kordon::drivers {
namespace {

using std::chrono::milliseconds;

// The controller and its simulated barrier, advanced by the test's clock.
struct Bench {
  sim::SimHal hal{300};
  firmware::LaneController controller{firmware::CoreConfig{}, hal};
  std::uint32_t now_ms = 0;

  void run(std::uint32_t ms) {
    for (std::uint32_t t = 0; t < ms; t += 20) {
      now_ms += 20;
      hal.advance(now_ms);
      controller.cycle(now_ms);
    }
  }
};

class ControllerLink final : public ModbusLink {
 public:
  explicit ControllerLink(Bench& bench) : bench_(bench) {}
  Result<std::vector<std::uint16_t>> readHolding(int, int addr, int count) override {
    if (broken) return modbusError("read", ETIMEDOUT);
    std::vector<std::uint16_t> image(firmware::regs::kCount);
    bench_.controller.exportRegisters(image.data());
    return std::vector<std::uint16_t>(image.begin() + addr, image.begin() + addr + count);
  }
  Status writeRegister(int, int addr, std::uint16_t value) override {
    if (broken) return modbusError("write", ETIMEDOUT);
    writes.push_back(addr);
    if (!bench_.controller.onRegisterWrite(addr, value)) return Status::error("exception 02");
    return Status::ok();
  }
  Status connect() override {
    connected_ = !refuse;
    return refuse ? Status::error("refused") : Status::ok();
  }
  void close() override { connected_ = false; }
  bool isConnected() const override { return connected_; }
  std::string describe() const override { return "in-process lane controller"; }

  bool broken = false;
  bool refuse = false;
  std::vector<int> writes;

 private:
  Bench& bench_;
  bool connected_ = false;
};

class LaneBarrierTest : public ::testing::Test {
 protected:
  LaneBarrierTest() {
    auto link = std::make_unique<ControllerLink>(bench);
    link_ = link.get();
    BarrierConfig config;
    config.type = "lane-modbus-tcp";
    barrier = std::make_unique<LaneModbusBarrier>(
        config, std::move(link), [this](const msg::BarrierStatus& s) { statuses.push_back(s); },
        clock);
  }

  // One driver step, then the world moves on for `ms`.
  void step(std::uint32_t ms = 100) {
    (void)barrier->stepForTest();
    clock.advance(milliseconds(ms));
    bench.run(ms);
  }
  void steps(int n) {
    for (int i = 0; i < n; ++i) step();
  }
  // Connected, heartbeat given, then `command_id` opens the barrier all the way.
  void open(const std::string& command_id) {
    bench.run(100);
    step();
    barrier->requestOpen(command_id);
    steps(8);
  }

  Bench bench;
  testing::FakeClock clock;
  ControllerLink* link_ = nullptr;
  std::vector<msg::BarrierStatus> statuses;
  std::unique_ptr<LaneModbusBarrier> barrier;
};

TEST_F(LaneBarrierTest, HeartbeatFirstThenReportsClosed) {
  bench.run(100);
  step();
  ASSERT_FALSE(link_->writes.empty());
  EXPECT_EQ(link_->writes.front(), lane::kHeartbeatRegister);
  EXPECT_TRUE(bench.controller.core().state().heartbeat_alive);
  ASSERT_FALSE(statuses.empty());
  EXPECT_EQ(statuses.back().position, msg::BarrierPosition::kClosed);
  EXPECT_EQ(statuses.back().health, msg::DeviceHealth::kGood);
}

TEST_F(LaneBarrierTest, OpenAndCloseCarryTheCommandIds) {
  open("open-1");
  ASSERT_FALSE(statuses.empty());
  EXPECT_EQ(statuses.back().position, msg::BarrierPosition::kOpen);
  EXPECT_EQ(statuses.back().command_id, "open-1");
  barrier->requestClose("close-1");
  steps(8);
  EXPECT_EQ(statuses.back().position, msg::BarrierPosition::kClosed);
  EXPECT_EQ(statuses.back().command_id, "close-1");
  // Nothing beyond heartbeat and command registers was ever written.
  for (int addr : link_->writes) {
    EXPECT_TRUE(addr == lane::kHeartbeatRegister || addr == lane::kCommandRegister) << addr;
  }
}

TEST_F(LaneBarrierTest, CloseOntoAVehicleIsDeferredUntilTheLaneIsClear) {
  open("open-1");
  bench.hal.world().presence_loop = true;
  step();
  barrier->requestClose("close-1");
  steps(8);
  EXPECT_EQ(statuses.back().position, msg::BarrierPosition::kOpen);  // kordond cannot override
  bench.hal.world().presence_loop = false;
  steps(8);
  EXPECT_EQ(statuses.back().position, msg::BarrierPosition::kClosed);
}

TEST_F(LaneBarrierTest, ControllerFaultDegradesHealth) {
  bench.run(100);
  step();
  bench.hal.world().loop_fault = true;
  step();
  step();
  EXPECT_EQ(statuses.back().health, msg::DeviceHealth::kDegraded);
}

TEST_F(LaneBarrierTest, LostLinkReportsNotConnectedAndTheControllerGoesSafe) {
  open("open-1");
  link_->broken = true;  // the controller stops answering, then refuses connections
  link_->refuse = true;
  steps(40);
  EXPECT_EQ(statuses.back().health, msg::DeviceHealth::kNotConnected);
  // No heartbeat for longer than the timeout: red light, alarm, and (close_when_clear) closed.
  const auto& s = bench.controller.core().state();
  EXPECT_FALSE(s.heartbeat_alive);
  EXPECT_NE(s.alarms & firmware::kAlarmHeartbeatLost, 0);
  EXPECT_FALSE(bench.controller.core().outputs().green_light);
  EXPECT_EQ(s.barrier, firmware::BarrierState::kClosed);
}

TEST(LaneRegisters, DecodesAGoldenBlock) {
  const std::vector<std::uint16_t> block = {0x4B4C, 1,      3, 0x0011, 0x0004, 0,
                                            0x0103, 0x0101, 1, 7,      42};
  auto s = lane::decodeLaneStatus(block);
  ASSERT_TRUE(s) << s.status().message();
  EXPECT_EQ(s->position, msg::BarrierPosition::kOpen);
  EXPECT_TRUE(s->green_light);
  EXPECT_TRUE(s->heartbeat_alive);
  EXPECT_TRUE(s->released);
  EXPECT_EQ(s->vehicles, 1);
  EXPECT_EQ(s->command_echo, 0x0101);
  EXPECT_EQ(s->command_result, lane::CommandResult::kDone);
  EXPECT_EQ(s->log_count, 7);
}

TEST(LaneRegisters, RejectsWhatIsNotALaneController) {
  std::vector<std::uint16_t> block = {0x4B4C, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_FALSE(lane::decodeLaneStatus(std::span(block).first(10)));
  block[0] = 0x1234;
  EXPECT_FALSE(lane::decodeLaneStatus(block));
  block[0] = 0x4B4C;
  block[1] = 2;
  EXPECT_FALSE(lane::decodeLaneStatus(block));
  block[1] = 1;
  block[2] = 5;
  EXPECT_FALSE(lane::decodeLaneStatus(block));
  block[2] = 1;
  block[8] = 4;
  EXPECT_FALSE(lane::decodeLaneStatus(block));
}

TEST(LaneRegisters, CommandValueSkipsSequenceZero) {
  EXPECT_EQ(lane::encodeCommand(0, lane::Command::kOpen), 0x0101);
  EXPECT_EQ(lane::encodeCommand(2, lane::Command::kClose), 0x0202);
}

}  // namespace
}  // namespace kordon::drivers
