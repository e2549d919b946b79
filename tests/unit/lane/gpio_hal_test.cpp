// SPDX-License-Identifier: Apache-2.0
// The libgpiod HAL against a fake chip behind the GpioLines seam, kordon-lane's config parser,
// and (when the kernel has gpio-sim) the real GpiodLines against a simulated chip.

#include "firmware/linux/gpio_hal.hpp"

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "firmware/core/lane_controller.hpp"
#include "firmware/linux/lane_config.hpp"

#include <unistd.h>

namespace kordon::firmware {
namespace {

// A chip of logical line values. Requests are recorded; a line can be made to fail.
class FakeChip final : public GpioLines {
 public:
  Status requestInput(unsigned offset, bool active_low) override {
    if (requested.count(offset) != 0) return Status::error("busy");
    requested[offset] = active_low ? "in-low" : "in";
    return Status::ok();
  }
  Status requestOutput(unsigned offset, bool active_low, int initial) override {
    if (requested.count(offset) != 0) return Status::error("busy");
    requested[offset] = active_low ? "out-low" : "out";
    values[offset] = initial;
    return Status::ok();
  }
  Result<int> get(unsigned offset) override {
    if (failing.count(offset) != 0 || requested.count(offset) == 0) return Status::error("EIO");
    return values[offset];
  }
  Status set(unsigned offset, int value) override {
    if (failing.count(offset) != 0 || requested.count(offset) == 0) return Status::error("EIO");
    values[offset] = value;
    return Status::ok();
  }

  std::map<unsigned, std::string> requested;
  std::map<unsigned, int> values;
  std::map<unsigned, bool> failing;
};

GpioMap wiring() {
  GpioMap m;
  m.presence_loop = {4, false};
  m.safety_loop = {5, false};
  m.photocell = {6, false};
  m.limit_open = {7, false};
  m.limit_closed = {8, false};
  m.loop_fault = {9, false};
  m.barrier_fault = {10, true};
  m.open_relay = {20, false};
  m.close_relay = {21, false};
  m.green_relay = {22, false};
  m.alarm_relay = {23, false};
  return m;
}

TEST(GpioHal, RequestsEveryWiredLineWithOutputsAtRest) {
  FakeChip chip;
  GpioHal hal(chip, wiring(), nullptr);
  ASSERT_TRUE(hal.open());
  EXPECT_EQ(chip.requested.size(), 11U);
  EXPECT_EQ(chip.requested[10], "in-low");
  for (unsigned out : {20U, 21U, 22U, 23U}) {
    EXPECT_EQ(chip.requested[out], "out");
    EXPECT_EQ(chip.values[out], 0) << out;
  }
}

TEST(GpioHal, ReadsInputsAndTreatsAnOpenPhotocellContactAsBroken) {
  FakeChip chip;
  GpioHal hal(chip, wiring(), nullptr);
  ASSERT_TRUE(hal.open());
  chip.values[6] = 1;  // beam intact: N.C. contact made
  chip.values[8] = 1;
  chip.values[4] = 1;
  Inputs in = hal.readInputs();
  EXPECT_TRUE(in.presence_loop);
  EXPECT_FALSE(in.photocell_broken);
  EXPECT_TRUE(in.limit_closed);
  EXPECT_FALSE(in.stale);
  chip.values[6] = 0;  // beam broken, or its wire cut
  EXPECT_TRUE(hal.readInputs().photocell_broken);
}

// A controller on the fake chip, photocell intact, barrier at one limit, kordond's heartbeat
// received.
struct Box {
  explicit Box(int limit_line, std::function<void()> watchdog = nullptr)
      : hal(chip, wiring(), std::move(watchdog)) {
    EXPECT_TRUE(hal.open());
    chip.values[6] = 1;
    chip.values[static_cast<unsigned>(limit_line)] = 1;
    controller.cycle(0);
    EXPECT_TRUE(controller.onRegisterWrite(regs::kHeartbeat, 1));
  }
  FakeChip chip;
  GpioHal hal;
  LaneController controller{CoreConfig{}, hal};
};

TEST(GpioHal, AFailedReadMakesTheScanStaleAndTheCoreHoldsTheBarrierOpen) {
  Box box(7);  // open
  box.chip.failing[5] = true;
  box.controller.cycle(20);
  EXPECT_TRUE(box.controller.core().state().inputs.stale);
  ASSERT_TRUE(box.controller.onRegisterWrite(regs::kCommand, 0x0102));  // close
  box.controller.cycle(40);
  EXPECT_EQ(box.chip.values[21], 0) << "closed onto a lane it cannot see";
  EXPECT_GE(box.hal.readErrors(), 1U);
}

TEST(GpioHal, OutputsFollowTheCoreAndTheWatchdogIsKickedEachCycle) {
  int kicks = 0;
  Box box(8, [&kicks] { ++kicks; });                                    // closed
  ASSERT_TRUE(box.controller.onRegisterWrite(regs::kCommand, 0x0101));  // open
  EXPECT_EQ(box.chip.values[20], 1);
  EXPECT_EQ(box.chip.values[21], 0);
  box.controller.cycle(600);  // the pulse (500 ms) is over
  EXPECT_EQ(box.chip.values[20], 0);
  EXPECT_EQ(kicks, 2);
}

TEST(GpioHal, UnwiredAndBusyLines) {
  FakeChip chip;
  GpioMap m = wiring();
  m.photocell.offset = -1;  // no photocell fitted: never "broken"
  m.alarm_relay.offset = -1;
  GpioHal hal(chip, m, nullptr);
  ASSERT_TRUE(hal.open());
  EXPECT_FALSE(hal.readInputs().photocell_broken);
  EXPECT_EQ(chip.requested.count(23), 0U);
  GpioHal again(chip, m, nullptr);
  EXPECT_FALSE(again.open());  // lines already taken
}

TEST(LaneConfig, TheShippedExampleParses) {
  std::ifstream file(KORDON_SOURCE_DIR "/systemd/kordon-lane.toml.example");
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  auto c = parseLaneConfig(text, "kordon-lane.toml.example");
  ASSERT_TRUE(c) << c.status().message();
  EXPECT_EQ(c->gpio.open_relay.offset, 20);
  EXPECT_TRUE(c->gpio.barrier_fault.active_low);
  EXPECT_EQ(c->core.heartbeat_timeout_ms, 3000U);
}

TEST(LaneConfig, RejectsUnknownKeysAndMissingRequiredLines) {
  EXPECT_FALSE(parseLaneConfig("[controller]\nbogus = 1\n", "t", GpioWiring::kNotUsed));
  auto c = parseLaneConfig("", "t");
  ASSERT_FALSE(c);
  EXPECT_NE(c.status().message().find("open_relay"), std::string::npos);
  EXPECT_FALSE(parseLaneConfig("[modbus]\nmode = \"rtu\"\n", "t", GpioWiring::kNotUsed));
  EXPECT_TRUE(parseLaneConfig("", "t", GpioWiring::kNotUsed));
  // The box's binary has no simulated barrier: the key that chose one is gone.
  EXPECT_FALSE(parseLaneConfig("[hal]\ntype = \"sim\"\n", "t", GpioWiring::kNotUsed));
}

TEST(LaneConfig, TheModbusAllowListIsReadAndChecked) {
  const std::string wired =
      "[gpio.open_relay]\nline = 1\n[gpio.close_relay]\nline = 2\n"
      "[gpio.limit_open]\nline = 3\n[gpio.limit_closed]\nline = 4\n";
  auto c = parseLaneConfig(wired, "t");
  ASSERT_TRUE(c) << c.status().message();
  EXPECT_EQ(c->modbus.allow_from, (std::vector<std::string>{"127.0.0.1", "::1"}));  // kordond
  c = parseLaneConfig(wired + "[modbus]\nallow_from = [\"10.10.1.5\", \"fd00::/64\"]\n", "t");
  ASSERT_TRUE(c) << c.status().message();
  EXPECT_EQ(c->modbus.allow_from, (std::vector<std::string>{"10.10.1.5", "fd00::/64"}));
  auto bad = parseLaneConfig(wired + "[modbus]\nallow_from = [\"10.0.0.0/33\"]\n", "t");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.status().message().find("modbus.allow_from"), std::string::npos);
}

// gpio-sim (kernel >= 5.17, configfs): a real chardev chip whose input pulls the test sets.
// Needs root and the module; most CI kernels, this one included, lack it.
TEST(GpioSim, RealLibgpiodAgainstAKernelSimulatedChip) {
  const std::filesystem::path root = "/sys/kernel/config/gpio-sim";
  if (!std::filesystem::exists(root)) {
    GTEST_SKIP() << "kernel has no gpio-sim (no " << root
                 << "; needs CONFIG_GPIO_SIM and configfs mounted): integration test skipped";
  }
  if (geteuid() != 0) GTEST_SKIP() << "gpio-sim needs root: integration test skipped";
  const std::filesystem::path dev = root / ("kordon-lane-test-" + std::to_string(getpid()));
  std::error_code ec;
  std::filesystem::create_directory(dev, ec);
  std::filesystem::create_directory(dev / "bank0", ec);
  if (ec) GTEST_SKIP() << "cannot create a gpio-sim device: " << ec.message();
  std::ofstream(dev / "bank0" / "num_lines") << 16;
  std::ofstream(dev / "live") << 1;
  std::string chip_name;
  std::ifstream(dev / "bank0" / "chip_name") >> chip_name;
  std::string dev_name;
  std::ifstream(dev / "dev_name") >> dev_name;
  auto cleanup = [&] {
    std::ofstream(dev / "live") << 0;
    std::filesystem::remove(dev / "bank0", ec);
    std::filesystem::remove(dev, ec);
  };
  if (chip_name.empty()) {
    cleanup();
    GTEST_SKIP() << "gpio-sim device did not come live";
  }
  auto lines = openGpiodChip(chip_name, "kordon-lane-test");
  ASSERT_TRUE(lines) << lines.status().message();
  GpioHal hal(**lines, wiring(), nullptr);
  ASSERT_TRUE(hal.open());
  const std::filesystem::path sim_dir =
      std::filesystem::path("/sys/devices/platform") / dev_name / chip_name;
  auto pull = [&](int line, const char* value) {
    std::ofstream(sim_dir / ("sim_gpio" + std::to_string(line)) / "pull") << value;
  };
  auto value = [&](int line) {
    int v = -1;
    std::ifstream(sim_dir / ("sim_gpio" + std::to_string(line)) / "value") >> v;
    return v;
  };
  pull(6, "pull-up");  // photocell intact
  pull(8, "pull-up");  // closed
  pull(4, "pull-up");  // a vehicle on the presence loop
  const Inputs in = hal.readInputs();
  EXPECT_TRUE(in.presence_loop);
  EXPECT_TRUE(in.limit_closed);
  EXPECT_FALSE(in.photocell_broken);
  Outputs out;
  out.open_pulse = true;
  hal.writeOutputs(out);
  EXPECT_EQ(value(20), 1);
  EXPECT_EQ(value(21), 0);
  hal.writeOutputs(Outputs{});
  EXPECT_EQ(value(20), 0);
  lines->reset();
  cleanup();
}

}  // namespace
}  // namespace kordon::firmware
