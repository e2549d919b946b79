// SPDX-License-Identifier: Apache-2.0
// HIL, protocol depth: the production drivers (makeWeighbridge) against kordon-sim-weighbridge as
// a separate process, with every fault knob of the simulator set while both run:
//   - Modbus TCP (laumas): disconnect, silence, garbage, bad-crc (= garbage on TCP), slow
//   - Toledo continuous over TCP: happy path with motion, overload/error states, bad checksum,
//     garbage, silence, disconnect, slow, stuck
//   - Modbus RTU over a socat pty pair (flintec-ft111): happy path, bad-crc, silence, and the
//     FT-111 heartbeat freezing under "stuck"
// For each: the health the driver reports, recovery once the fault is cleared (with the counter
// that proves it), and never a kStable reading while the fault is on.
// Timeouts and backoffs are short so the whole file runs in well under a minute.

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "drivers/weighbridge/weighbridge.hpp"
#include "edge/base/clock.hpp"
#include "edge/base/http.hpp"
#include "tests/hil/process.hpp"
#include "tests/hil/pty_pair.hpp"
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
using Match = std::function<bool(const WeightReading&)>;

const char* const kSimulator = KORDON_BIN_DIR "/kordon-sim-weighbridge";

Match stableAt(std::int64_t kg) {
  return [kg](const WeightReading& r) {
    return r.health == DeviceHealth::kGood && r.state == WeightState::kStable && r.gross_kg == kg;
  };
}
Match healthIs(DeviceHealth health) {
  return [health](const WeightReading& r) { return r.health == health; };
}
Match stateIs(WeightState state) {
  return [state](const WeightReading& r) {
    return r.health == DeviceHealth::kGood && r.state == state;
  };
}

class WeighbridgeFaultsHilTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "kordon-wb-faults-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto port = test::freeLoopbackPort();
    auto control_port = test::freeLoopbackPort();
    ASSERT_TRUE(port && control_port);
    port_ = *port;
    control_port_ = *control_port;

    config_.device_id = "wb-faults";
    config_.lane = "L1";
    config_.host = "127.0.0.1";
    config_.port = port_;
    config_.poll_interval_ms = 50;
    config_.response_timeout_ms = 200;
    config_.stable_band_kg = 20;
    config_.stable_time_ms = 300;
    config_.backoff_initial_ms = 50;
    config_.backoff_max_ms = 300;
    config_.stale_after_ms = 500;
  }

  void TearDown() override {
    if (driver_) driver_->stop();
    if (sim_) (void)sim_->terminate();
    if (pty_) (void)pty_->socat.terminate();
    if (HasFailure()) {
      std::cerr << "---- simulator log (tail) ----\n"
                << test::readTail(dir_ + "/sim.log") << "---- end of simulator log ----\n";
    } else {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  // Starts the simulator with `transport` args (e.g. {"--modbus", "127.0.0.1:P"}).
  void startSimulator(std::vector<std::string> args, bool tcp) {
    std::vector<std::string> argv{kSimulator, "--control",
                                  "127.0.0.1:" + std::to_string(control_port_)};
    argv.insert(argv.end(), args.begin(), args.end());
    auto sim = test::Process::spawn(argv, dir_ + "/sim.log");
    ASSERT_TRUE(sim) << sim.status().message();
    sim_.emplace(std::move(*sim));
    ASSERT_TRUE(test::waitForTcpPort("127.0.0.1", control_port_, seconds(5)));
    if (tcp) {
      ASSERT_TRUE(test::waitForTcpPort("127.0.0.1", port_, seconds(5)));
    }
  }

  void startDriver() {
    auto made = makeWeighbridge(config_, loop_.context(clock_),
                                {[this](const WeightReading& r) { recorder_.add(r); }});
    ASSERT_TRUE(made) << made.status().message();
    driver_ = std::move(*made);
    driver_->start();
  }

  void post(const std::string& target) {
    auto response =
        http::request("POST", "http://127.0.0.1:" + std::to_string(control_port_) + target);
    ASSERT_TRUE(response) << response.status().message();
    ASSERT_EQ(response->status, 200) << target << ": " << response->body;
  }

  // Sets a fault, waits for `expected` health, holds it for `hold`, checks that no reading
  // sampled after the fault took effect (plus `grace` for replies already in flight) was stable,
  // clears it and waits for a stable `kg` again.
  void faultCycle(const std::string& kind, const Match& expected, std::int64_t kg,
                  milliseconds hold = milliseconds(600), milliseconds grace = milliseconds(150)) {
    SCOPED_TRACE("fault " + kind);
    const std::size_t mark = recorder_.size();
    ASSERT_NO_FATAL_FAILURE(post("/fault?kind=" + kind));
    const auto fault_on = Steady::now();
    ASSERT_TRUE(recorder_.indexOf(mark, expected, seconds(4))) << "expected health never seen";
    std::this_thread::sleep_for(hold);
    const auto fault_off = Steady::now();
    ASSERT_NO_FATAL_FAILURE(post("/fault?kind=none"));
    for (const auto& r : recorder_.since(mark)) {
      if (r.sampled_at < fault_on + grace || r.sampled_at > fault_off) continue;
      EXPECT_NE(r.state, WeightState::kStable) << "stable reading of " << r.gross_kg << " kg";
      if (r.health != DeviceHealth::kGood) {
        EXPECT_EQ(r.gross_kg, 0);
      }
    }
    ASSERT_TRUE(recorder_.indexOf(recorder_.size(), stableAt(kg), seconds(5)))
        << "no recovery after " << kind;
  }

  std::string dir_;
  std::uint16_t port_ = 0;
  std::uint16_t control_port_ = 0;
  WeighbridgeConfig config_;
  SystemClock clock_;
  // kordond's control loop: the driver's sink runs there. Outlives the driver.
  test::DeviceLoop loop_;
  test::Recorder<WeightReading> recorder_;
  std::optional<test::PtyPair> pty_;
  std::optional<test::Process> sim_;
  std::unique_ptr<Weighbridge> driver_;
};

// --- Modbus TCP --------------------------------------------------------------------------------

TEST_F(WeighbridgeFaultsHilTest, ModbusTcpFaultKnobs) {
  ASSERT_NO_FATAL_FAILURE(
      startSimulator({"--modbus", "127.0.0.1:" + std::to_string(port_), "--map", "laumas"}, true));
  config_.type = "modbus-tcp";
  config_.register_map = "laumas";
  ASSERT_NO_FATAL_FAILURE(startDriver());
  ASSERT_NO_FATAL_FAILURE(post("/weight?kg=24000&settle_ms=0"));
  ASSERT_TRUE(recorder_.indexOf(0, stableAt(24000), seconds(5)));
  const auto& counters = driver_->counters();

  auto reconnects = counters.reconnects.load();
  ASSERT_NO_FATAL_FAILURE(faultCycle("disconnect", healthIs(DeviceHealth::kNotConnected), 24000));
  EXPECT_GT(counters.reconnects.load(), reconnects);

  auto timeouts = counters.timeouts.load();
  ASSERT_NO_FATAL_FAILURE(faultCycle("silence", healthIs(DeviceHealth::kNotConnected), 24000));
  EXPECT_GE(counters.timeouts.load(), timeouts + 3);

  for (const char* kind : {"garbage", "bad-crc"}) {
    const auto failures = counters.timeouts.load() + counters.comms_errors.load();
    reconnects = counters.reconnects.load();
    ASSERT_NO_FATAL_FAILURE(faultCycle(kind, healthIs(DeviceHealth::kNotConnected), 24000));
    EXPECT_GE(counters.timeouts.load() + counters.comms_errors.load(), failures + 3) << kind;
    EXPECT_GT(counters.reconnects.load(), reconnects) << kind;
  }

  timeouts = counters.timeouts.load();
  ASSERT_NO_FATAL_FAILURE(post("/fault?kind=slow&delay_ms=300"));  // 1.5 x response timeout
  ASSERT_NO_FATAL_FAILURE(faultCycle(
      "slow", [](const WeightReading& r) { return r.health != DeviceHealth::kGood; }, 24000));
  EXPECT_GT(counters.timeouts.load(), timeouts);
}

// --- Toledo continuous over TCP ------------------------------------------------------------------

TEST_F(WeighbridgeFaultsHilTest, ToledoTcpHappyPathMotionAndStates) {
  ASSERT_NO_FATAL_FAILURE(
      startSimulator({"--toledo-tcp", "127.0.0.1:" + std::to_string(port_)}, true));
  config_.type = "toledo-tcp";
  ASSERT_NO_FATAL_FAILURE(startDriver());
  ASSERT_TRUE(recorder_.indexOf(0, stableAt(0), seconds(5))) << "empty bridge never settled";

  const std::size_t ramp = recorder_.size();
  ASSERT_NO_FATAL_FAILURE(post("/weight?kg=38420&settle_ms=1200"));
  const auto posted = Steady::now();
  const auto stable = recorder_.indexOf(ramp, stableAt(38420), seconds(5));
  ASSERT_TRUE(stable);
  int motion = 0;
  for (const auto& r : recorder_.since(ramp)) {
    if (r.state == WeightState::kMotion) ++motion;
    if (r.sampled_at > posted + milliseconds(200) && r.sampled_at < posted + milliseconds(1200)) {
      EXPECT_NE(r.state, WeightState::kStable) << "stable during the ramp at " << r.gross_kg;
    }
  }
  EXPECT_GE(motion, 5) << "the ramp should stream motion frames";
  EXPECT_GT(driver_->counters().readings.load(), 10U);
  EXPECT_EQ(driver_->counters().comms_errors.load(), 0U);

  std::size_t mark = recorder_.size();
  ASSERT_NO_FATAL_FAILURE(post("/fault?kind=overload"));
  ASSERT_TRUE(recorder_.indexOf(mark, stateIs(WeightState::kOverload), seconds(2)));
  mark = recorder_.size();
  ASSERT_NO_FATAL_FAILURE(post("/fault?kind=error"));
  ASSERT_TRUE(recorder_.indexOf(mark, stateIs(WeightState::kError), seconds(2)));
  mark = recorder_.size();
  ASSERT_NO_FATAL_FAILURE(post("/fault?kind=none"));
  ASSERT_NO_FATAL_FAILURE(post("/weight?kg=-60&settle_ms=0"));
  ASSERT_TRUE(recorder_.indexOf(mark, stateIs(WeightState::kUnderZero), seconds(2)));
  for (const auto& r : recorder_.since(mark)) {
    if (r.state != WeightState::kStable && r.state != WeightState::kMotion) {
      EXPECT_EQ(r.gross_kg, 0);
    }
  }
}

TEST_F(WeighbridgeFaultsHilTest, ToledoTcpFaultKnobs) {
  ASSERT_NO_FATAL_FAILURE(
      startSimulator({"--toledo-tcp", "127.0.0.1:" + std::to_string(port_)}, true));
  config_.type = "toledo-tcp";
  ASSERT_NO_FATAL_FAILURE(startDriver());
  ASSERT_NO_FATAL_FAILURE(post("/weight?kg=15000&settle_ms=0"));
  ASSERT_TRUE(recorder_.indexOf(0, stableAt(15000), seconds(5)));
  const auto& counters = driver_->counters();

  auto errors = counters.comms_errors.load();
  ASSERT_NO_FATAL_FAILURE(faultCycle("bad-crc", healthIs(DeviceHealth::kNoData), 15000));
  EXPECT_GE(counters.comms_errors.load(), errors + 3) << "bad checksums are counted";

  errors = counters.comms_errors.load();
  ASSERT_NO_FATAL_FAILURE(faultCycle("garbage", healthIs(DeviceHealth::kNoData), 15000));
  EXPECT_GT(counters.comms_errors.load(), errors) << "garbage with stray STX is counted";

  auto timeouts = counters.timeouts.load();
  ASSERT_NO_FATAL_FAILURE(faultCycle("silence", healthIs(DeviceHealth::kNoData), 15000));
  EXPECT_GT(counters.timeouts.load(), timeouts);

  auto reconnects = counters.reconnects.load();
  ASSERT_NO_FATAL_FAILURE(faultCycle("disconnect", healthIs(DeviceHealth::kNotConnected), 15000));
  EXPECT_GT(counters.reconnects.load(), reconnects);

  // One frame a second against stale_after_ms 500: stale between frames, never stable.
  timeouts = counters.timeouts.load();
  ASSERT_NO_FATAL_FAILURE(post("/fault?kind=slow&delay_ms=1000"));
  ASSERT_NO_FATAL_FAILURE(faultCycle("slow", healthIs(DeviceHealth::kNoData), 15000,
                                     milliseconds(1500), milliseconds(300)));
  EXPECT_GT(counters.timeouts.load(), timeouts);
}

TEST_F(WeighbridgeFaultsHilTest, ToledoStuckIndicatorReportsOnlyTheFrozenValue) {
  // Toledo continuous has no heartbeat: a frozen indicator that keeps streaming looks like a
  // parked truck. The driver must at least never report a value the indicator did not send.
  ASSERT_NO_FATAL_FAILURE(
      startSimulator({"--toledo-tcp", "127.0.0.1:" + std::to_string(port_)}, true));
  config_.type = "toledo-tcp";
  ASSERT_NO_FATAL_FAILURE(startDriver());
  ASSERT_NO_FATAL_FAILURE(post("/weight?kg=9000&settle_ms=0"));
  ASSERT_TRUE(recorder_.indexOf(0, stableAt(9000), seconds(5)));
  ASSERT_NO_FATAL_FAILURE(post("/fault?kind=stuck"));
  const std::size_t mark = recorder_.size();
  ASSERT_NO_FATAL_FAILURE(post("/weight?kg=31000&settle_ms=0"));
  std::this_thread::sleep_for(milliseconds(700));
  for (const auto& r : recorder_.since(mark)) {
    if (r.health == DeviceHealth::kGood) {
      EXPECT_EQ(r.gross_kg, 9000);
    }
  }
  ASSERT_NO_FATAL_FAILURE(post("/fault?kind=none"));
  EXPECT_TRUE(recorder_.indexOf(mark, stableAt(31000), seconds(3)));
}

// --- Modbus RTU over a pty pair ----------------------------------------------------------------

TEST_F(WeighbridgeFaultsHilTest, ModbusRtuOverPtyWithFt111Heartbeat) {
  auto pty = test::startPtyPair(dir_);
  ASSERT_TRUE(pty) << pty.status().message();
  pty_.emplace(std::move(*pty));
  ASSERT_NO_FATAL_FAILURE(startSimulator(
      {"--rtu", pty_->a, "--baud", "19200", "--map", "flintec-ft111", "--unit", "1"}, false));
  config_.type = "modbus-rtu";
  config_.serial_device = pty_->b;
  config_.baud = 19200;
  config_.unit_id = 1;
  config_.register_map = "flintec-ft111";
  config_.poll_interval_ms = 100;
  ASSERT_NO_FATAL_FAILURE(startDriver());
  ASSERT_NO_FATAL_FAILURE(post("/weight?kg=123456&settle_ms=300"));  // > 65535: word order
  ASSERT_TRUE(recorder_.indexOf(0, stableAt(123456), seconds(5)));
  const auto& counters = driver_->counters();

  auto errors = counters.comms_errors.load();
  ASSERT_NO_FATAL_FAILURE(faultCycle("bad-crc", healthIs(DeviceHealth::kNotConnected), 123456));
  EXPECT_GE(counters.comms_errors.load(), errors + 3) << "CRC errors are comms errors";

  auto timeouts = counters.timeouts.load();
  ASSERT_NO_FATAL_FAILURE(faultCycle("silence", healthIs(DeviceHealth::kNotConnected), 123456));
  EXPECT_GE(counters.timeouts.load(), timeouts + 3);

  // FT-111 heartbeat frozen: no data after stale_after_ms (500), never stable after that.
  timeouts = counters.timeouts.load();
  ASSERT_NO_FATAL_FAILURE(faultCycle("stuck", healthIs(DeviceHealth::kNoData), 123456,
                                     milliseconds(600), milliseconds(700)));
  EXPECT_EQ(counters.timeouts.load(), timeouts + 1) << "one timeout per frozen episode";
}

// --- Toledo continuous on a serial line (pty pair)
// ------------------------------------------------

TEST_F(WeighbridgeFaultsHilTest, ToledoSerialOverPty) {
  auto pty = test::startPtyPair(dir_);
  ASSERT_TRUE(pty) << pty.status().message();
  pty_.emplace(std::move(*pty));
  ASSERT_NO_FATAL_FAILURE(startSimulator(
      {"--toledo-serial", pty_->a, "--baud", "9600", "--toledo-checksum", "off"}, false));
  config_.type = "toledo-serial";
  config_.serial_device = pty_->b;
  config_.baud = 9600;
  config_.toledo_checksum = false;
  ASSERT_NO_FATAL_FAILURE(startDriver());
  ASSERT_NO_FATAL_FAILURE(post("/weight?kg=41000&settle_ms=400"));
  ASSERT_TRUE(recorder_.indexOf(0, stableAt(41000), seconds(5)));
  // Without checksums a corrupted CR is all the framer can catch.
  const auto errors = driver_->counters().comms_errors.load();
  ASSERT_NO_FATAL_FAILURE(faultCycle("bad-crc", healthIs(DeviceHealth::kNoData), 41000));
  EXPECT_GT(driver_->counters().comms_errors.load(), errors);
}

}  // namespace
}  // namespace kordon::drivers
