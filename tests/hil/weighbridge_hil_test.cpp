// SPDX-License-Identifier: Apache-2.0
// HIL: the production driver (makeWeighbridge, LibmodbusLink) against kordon-sim-weighbridge
// running as a separate process on free loopback ports, driven through its control API.
// The simulator's log is kept in a temporary directory and printed when a test fails.

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "drivers/weighbridge/weighbridge.hpp"
#include "edge/base/clock.hpp"
#include "edge/base/http.hpp"
#include "tests/hil/process.hpp"
#include "tests/hil/recorder.hpp"
#include "tests/support/device_loop.hpp"

namespace kordon::drivers {
namespace {

using msg::DeviceHealth;
using msg::WeightReading;
using msg::WeightState;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Steady = std::chrono::steady_clock;

const char* const kSimulator = KORDON_BIN_DIR "/kordon-sim-weighbridge";

std::function<bool(const WeightReading&)> stableAt(std::int64_t kg) {
  return [kg](const WeightReading& r) {
    return r.health == DeviceHealth::kGood && r.state == WeightState::kStable && r.gross_kg == kg;
  };
}

std::function<bool(const WeightReading&)> inState(WeightState state) {
  return [state](const WeightReading& r) {
    return r.health == DeviceHealth::kGood && r.state == state;
  };
}

class WeighbridgeHilTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "kordon-wb-hil-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto modbus_port = test::freeLoopbackPort();
    auto control_port = test::freeLoopbackPort();
    ASSERT_TRUE(modbus_port && control_port);
    modbus_port_ = *modbus_port;
    control_port_ = *control_port;
  }

  void TearDown() override {
    if (driver_) driver_->stop();
    if (sim_) (void)sim_->terminate();
    if (HasFailure()) {
      std::cerr << "---- simulator log " << logPath() << " (tail) ----\n"
                << test::readTail(logPath()) << "---- end of simulator log ----\n";
    } else {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  std::string logPath() const { return dir_ + "/sim-weighbridge.log"; }
  std::string controlUrl(const std::string& target) const {
    return "http://127.0.0.1:" + std::to_string(control_port_) + target;
  }

  // Starts (or restarts) the simulator and waits until both of its ports accept.
  void startSimulator(const std::string& map) {
    auto sim = test::Process::spawn(
        {kSimulator, "--modbus", "127.0.0.1:" + std::to_string(modbus_port_), "--control",
         "127.0.0.1:" + std::to_string(control_port_), "--map", map},
        logPath());
    ASSERT_TRUE(sim) << sim.status().message();
    sim_.emplace(std::move(*sim));
    for (const std::uint16_t port : {control_port_, modbus_port_}) {
      const Status up = test::waitForTcpPort("127.0.0.1", port, seconds(5));
      ASSERT_TRUE(up) << up.message() << "; simulator running: " << sim_->isRunning();
    }
  }

  void startDriver(const std::string& map) {
    WeighbridgeConfig config;
    config.device_id = "wb-hil";
    config.lane = "L1";
    config.type = "modbus-tcp";
    config.host = "127.0.0.1";
    config.port = modbus_port_;
    config.register_map = map;
    config.poll_interval_ms = 50;
    config.response_timeout_ms = 300;
    config.stable_band_kg = 20;
    config.stable_time_ms = 500;
    config.backoff_initial_ms = 50;
    config.backoff_max_ms = 400;
    config.stale_after_ms = 1000;
    auto made = makeWeighbridge(config, loop_.context(clock_),
                                {[this](const WeightReading& r) { recorder_.add(r); }});
    ASSERT_TRUE(made) << made.status().message();
    driver_ = std::move(*made);
    driver_->start();
  }

  http::Response control(const std::string& method, const std::string& target) {
    auto response = http::request(method, controlUrl(target));
    EXPECT_TRUE(response) << response.status().message();
    return response ? *response : http::Response{};
  }

  void post(const std::string& target) {
    const auto response = control("POST", target);
    ASSERT_EQ(response.status, 200) << target << ": " << response.body;
  }

  std::string dir_;
  std::uint16_t modbus_port_ = 0;
  std::uint16_t control_port_ = 0;
  SystemClock clock_;
  // kordond's control loop: the driver's sink runs there. Outlives the driver.
  test::DeviceLoop loop_;
  test::Recorder<WeightReading> recorder_;
  std::optional<test::Process> sim_;
  std::unique_ptr<Weighbridge> driver_;
};

TEST_F(WeighbridgeHilTest, LaumasTruckWeighingSurvivesASimulatorCrash) {
  ASSERT_NO_FATAL_FAILURE(startSimulator("laumas"));
  ASSERT_NO_FATAL_FAILURE(startDriver("laumas"));
  ASSERT_TRUE(recorder_.indexOf(0, stableAt(0), seconds(5))) << "empty bridge never settled";

  // A truck drives on: motion for settle_ms, then exactly 38 420 kg.
  const std::size_t ramp_start = recorder_.size();
  const auto posted_at = Steady::now();
  ASSERT_NO_FATAL_FAILURE(post("/weight?kg=38420&settle_ms=1500"));
  const auto posted_done = Steady::now();
  const auto stable = recorder_.indexOf(ramp_start, stableAt(38420), seconds(6));
  ASSERT_TRUE(stable) << "no stable 38420 kg reading";
  EXPECT_GE(recorder_.at(*stable).sampled_at - posted_at, milliseconds(1500))
      << "stable before the simulator settled";

  int motion_readings = 0;
  for (const auto& r : recorder_.since(ramp_start)) {
    if (r.sampled_at >= recorder_.at(*stable).sampled_at) break;
    if (r.state == WeightState::kMotion && r.health == DeviceHealth::kGood) ++motion_readings;
    // Only a reply computed before the POST took effect may still say "stable at 0 kg".
    if (r.sampled_at > posted_done + milliseconds(50)) {
      EXPECT_NE(r.state, WeightState::kStable) << "stable during the ramp at " << r.gross_kg;
    } else if (r.state == WeightState::kStable) {
      EXPECT_EQ(r.gross_kg, 0);
    }
  }
  EXPECT_GE(motion_readings, 10) << "the ramp should be seen in motion";

  // The simulator crashes: health goes not_connected and no weight is reported.
  const std::uint64_t reconnects_before = driver_->counters().reconnects.load();
  const std::size_t crash_start = recorder_.size();
  ASSERT_TRUE(sim_->sendSignal(SIGKILL));
  ASSERT_TRUE(sim_->wait(seconds(2)));
  const auto lost = recorder_.indexOf(
      crash_start, [](const WeightReading& r) { return r.health == DeviceHealth::kNotConnected; },
      seconds(3));
  ASSERT_TRUE(lost) << "health never went not_connected";
  std::this_thread::sleep_for(seconds(1));
  const auto down = recorder_.since(*lost);
  EXPECT_GE(down.size(), 3U) << "reconnect attempts should keep reporting health";
  for (const auto& r : down) {
    EXPECT_EQ(r.health, DeviceHealth::kNotConnected);
    EXPECT_NE(r.state, WeightState::kStable);
    EXPECT_EQ(r.gross_kg, 0);
  }

  // It comes back: the driver reconnects on its own.
  const std::size_t restart_start = recorder_.size();
  ASSERT_NO_FATAL_FAILURE(startSimulator("laumas"));
  EXPECT_TRUE(recorder_.indexOf(restart_start, stableAt(0), seconds(5))) << "no recovery";
  EXPECT_GT(driver_->counters().reconnects.load(), reconnects_before);

  driver_->stop();
  const auto ended = sim_->terminate();
  ASSERT_TRUE(ended) << ended.status().message();
  EXPECT_TRUE(ended->cleanExit()) << ended->toString();
}

TEST_F(WeighbridgeHilTest, FlintecWordOrderSignAndFaultsOverTheWire) {
  ASSERT_NO_FATAL_FAILURE(startSimulator("flintec"));
  ASSERT_NO_FATAL_FAILURE(startDriver("flintec"));

  // Above 65 535 kg, so a word-order mistake cannot go unnoticed.
  ASSERT_NO_FATAL_FAILURE(post("/weight?kg=123456&settle_ms=300"));
  EXPECT_TRUE(recorder_.indexOf(0, stableAt(123456), seconds(5)));

  std::size_t mark = recorder_.size();
  ASSERT_NO_FATAL_FAILURE(post("/weight?kg=-200&settle_ms=0"));
  auto under = recorder_.indexOf(mark, inState(WeightState::kUnderZero), seconds(3));
  ASSERT_TRUE(under);
  EXPECT_EQ(recorder_.at(*under).gross_kg, 0);

  mark = recorder_.size();
  ASSERT_NO_FATAL_FAILURE(post("/fault?kind=overload"));
  auto overload = recorder_.indexOf(mark, inState(WeightState::kOverload), seconds(3));
  ASSERT_TRUE(overload);
  EXPECT_EQ(recorder_.at(*overload).gross_kg, 0);

  // A silent indicator: timeouts are counted and health degrades; no weight meanwhile.
  mark = recorder_.size();
  ASSERT_NO_FATAL_FAILURE(post("/fault?kind=silent"));
  const auto silent = recorder_.indexOf(
      mark, [](const WeightReading& r) { return r.health == DeviceHealth::kNotConnected; },
      seconds(5));
  ASSERT_TRUE(silent);
  EXPECT_GE(driver_->counters().timeouts.load(), 3U);
  for (const auto& r : recorder_.since(mark)) {
    if (r.health != DeviceHealth::kGood) {
      EXPECT_EQ(r.gross_kg, 0);
    }
  }

  mark = recorder_.size();
  ASSERT_NO_FATAL_FAILURE(post("/fault?kind=none"));
  ASSERT_NO_FATAL_FAILURE(post("/weight?kg=500&settle_ms=0"));
  EXPECT_TRUE(recorder_.indexOf(mark, stableAt(500), seconds(5))) << "no recovery after silence";
}

TEST_F(WeighbridgeHilTest, ControlApiValidatesAndReportsState) {
  ASSERT_NO_FATAL_FAILURE(startSimulator("flintec"));
  EXPECT_EQ(control("POST", "/weight?kg=heavy").status, 400);
  EXPECT_EQ(control("POST", "/weight?kg=1000000").status, 400);
  EXPECT_EQ(control("POST", "/weight?kg=10&settle_ms=-1").status, 400);
  EXPECT_EQ(control("POST", "/fault?kind=gremlins").status, 400);
  EXPECT_EQ(control("GET", "/nowhere").status, 404);
  ASSERT_NO_FATAL_FAILURE(post("/weight?kg=7200&settle_ms=0"));

  const auto state = control("GET", "/state");
  ASSERT_EQ(state.status, 200);
  const auto json = nlohmann::json::parse(state.body, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << state.body;
  EXPECT_EQ(json.value("gross_kg", -1), 7200);
  EXPECT_EQ(json.value("stable", false), true);
  EXPECT_EQ(json.value("map", ""), "flintec");

  const auto ended = sim_->terminate();
  ASSERT_TRUE(ended) << ended.status().message();
  EXPECT_TRUE(ended->cleanExit()) << ended->toString();
}

}  // namespace
}  // namespace kordon::drivers
