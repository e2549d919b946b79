// SPDX-License-Identifier: Apache-2.0
// HIL: the production radiation portal drivers (makeRadiationPortal: "vm250-tcp" and
// "n42-folder") against kordon-sim-rpm running as a separate process on free loopback ports,
// driven through its control API; the simulator's ground truth (GET /state) is compared with
// what the driver reports. Short stale/backoff settings keep the suite fast.

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

#include "drivers/radiation_portal/radiation_portal.hpp"
#include "edge/base/clock.hpp"
#include "edge/base/http.hpp"
#include "tests/hil/process.hpp"
#include "tests/hil/recorder.hpp"
#include "tests/support/device_loop.hpp"

namespace kordon::drivers {
namespace {

using msg::DeviceHealth;
using msg::DeviceStatus;
using msg::OccupancyPhase;
using msg::RadiationAlarm;
using msg::RadiationOccupancy;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Steady = std::chrono::steady_clock;

const char* const kSimulator = KORDON_BIN_DIR "/kordon-sim-rpm";

std::function<bool(const DeviceStatus&)> healthIs(DeviceHealth h) {
  return [h](const DeviceStatus& s) { return s.health == h; };
}

std::function<bool(const RadiationOccupancy&)> phaseIs(OccupancyPhase p) {
  return [p](const RadiationOccupancy& o) { return o.phase == p; };
}

bool hasFault(const RadiationOccupancy& occ, const std::string& code) {
  for (const auto& f : occ.faults) {
    if (f.code == code) return true;
  }
  return false;
}

class RpmHilTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "kordon-rpm-hil-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto vm250_port = test::freeLoopbackPort();
    auto control_port = test::freeLoopbackPort();
    ASSERT_TRUE(vm250_port && control_port);
    vm250_port_ = *vm250_port;
    control_port_ = *control_port;
    evidence_ = std::make_unique<EvidenceStore>(dir_ + "/evidence");
  }

  void TearDown() override {
    if (driver_) driver_->stop();
    if (sim_) {
      const auto ended = sim_->terminate();
      EXPECT_TRUE(ended && ended->cleanExit()) << "simulator did not exit cleanly";
    }
    if (HasFailure()) {
      std::cerr << "---- simulator log " << logPath() << " (tail) ----\n"
                << test::readTail(logPath()) << "---- end of simulator log ----\n";
    } else {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  std::string logPath() const { return dir_ + "/sim-rpm.log"; }
  std::string n42Dir() const { return dir_ + "/n42"; }

  void startSimulator(bool with_n42 = false) {
    std::vector<std::string> argv = {kSimulator,
                                     "--vm250",
                                     "127.0.0.1:" + std::to_string(vm250_port_),
                                     "--control",
                                     "127.0.0.1:" + std::to_string(control_port_),
                                     "--seed",
                                     "7"};
    if (with_n42) {
      argv.push_back("--n42-folder");
      argv.push_back(n42Dir());
    }
    auto sim = test::Process::spawn(argv, logPath());
    ASSERT_TRUE(sim) << sim.status().message();
    sim_.emplace(std::move(*sim));
    for (const std::uint16_t port : {control_port_, vm250_port_}) {
      const Status up = test::waitForTcpPort("127.0.0.1", port, seconds(5));
      ASSERT_TRUE(up) << up.message() << "; simulator running: " << sim_->isRunning();
    }
  }

  RadiationPortalConfig vm250Config() const {
    RadiationPortalConfig config;
    config.device_id = "rpm-hil";
    config.lane = "L1";
    config.type = "vm250-tcp";
    config.host = "127.0.0.1";
    config.port = vm250_port_;
    config.stale_after_ms = 1000;
    config.backoff_initial_ms = 100;
    config.backoff_max_ms = 400;
    return config;
  }

  void startDriver(const RadiationPortalConfig& config) {
    auto made = makeRadiationPortal(config, loop_.context(clock_, evidence_.get()),
                                    {[this](const RadiationOccupancy& o) {
                                       occupancies_.add(o);
                                       return Status::ok();
                                     },
                                     [this](const DeviceStatus& s) { statuses_.add(s); }});
    ASSERT_TRUE(made) << made.status().message();
    driver_ = std::move(*made);
    driver_->start();
  }

  void startVm250() {
    startSimulator();
    if (HasFatalFailure()) return;
    startDriver(vm250Config());
    ASSERT_TRUE(statuses_.waitFor(0, healthIs(DeviceHealth::kGood), seconds(5)));
  }

  nlohmann::json control(const std::string& method, const std::string& target) {
    const auto reply =
        http::request(method, "http://127.0.0.1:" + std::to_string(control_port_) + target);
    EXPECT_TRUE(reply) << reply.status().message();
    if (!reply) return nullptr;
    EXPECT_EQ(reply->status, 200) << reply->body;
    return nlohmann::json::parse(reply->body, nullptr, false);
  }

  // Requests an occupancy and waits for the driver's kEnd for it.
  std::optional<RadiationOccupancy> runOccupancy(const std::string& query,
                                                 milliseconds timeout = seconds(6)) {
    const std::size_t from = occupancies_.size();
    const auto reply = control("POST", "/occupancy?" + query);
    if (!reply.is_object() || !reply.contains("occupancy")) return std::nullopt;
    return occupancies_.waitFor(from, phaseIs(OccupancyPhase::kEnd), timeout);
  }

  void setFault(const std::string& kind) {
    const auto reply = control("POST", "/fault?kind=" + kind);
    ASSERT_TRUE(reply.is_object() && reply.value("ok", false)) << reply.dump();
  }

  nlohmann::json truth() { return control("GET", "/state")["last_occupancy"]; }

  std::string dir_;
  std::uint16_t vm250_port_ = 0;
  std::uint16_t control_port_ = 0;
  SystemClock clock_;
  // kordond's control loop: the driver's sink runs there. Outlives the driver.
  test::DeviceLoop loop_;
  std::unique_ptr<EvidenceStore> evidence_;
  std::optional<test::Process> sim_;
  std::unique_ptr<RadiationPortal> driver_;
  test::Recorder<RadiationOccupancy> occupancies_;
  test::Recorder<DeviceStatus> statuses_;
};

TEST_F(RpmHilTest, NormalOccupancyStartsAndEndsWithoutAlarm) {
  startVm250();
  if (HasFatalFailure()) return;
  const std::size_t from = occupancies_.size();
  const auto end = runOccupancy("duration_ms=1000&gamma=normal&neutron=normal&speed_kmh=8");
  ASSERT_TRUE(end);
  const auto all = occupancies_.since(from);
  ASSERT_EQ(all.size(), 2U);
  EXPECT_EQ(all[0].phase, OccupancyPhase::kStart);
  EXPECT_EQ(all[0].device_id, "rpm-hil");
  EXPECT_EQ(end->alarm, RadiationAlarm::kNone);
  EXPECT_TRUE(end->faults.empty());
  EXPECT_EQ(end->occupancy_id, "1");
  EXPECT_DOUBLE_EQ(end->speed_kmh, 8.0);
  EXPECT_NEAR(end->duration_s, 1.0, 1e-9);
  EXPECT_GT(end->gamma_background_cps, 900);  // 4 panels of ~250-300 cps
  EXPECT_LT(end->gamma_background_cps, 1300);
  const auto sim = truth();
  EXPECT_EQ(end->gamma_counts, sim["gamma_counts"].get<std::int64_t>());
  EXPECT_EQ(end->neutron_counts, sim["neutron_counts"].get<std::int64_t>());
  EXPECT_EQ(driver_->counters().comms_errors.load(), 0U);
}

TEST_F(RpmHilTest, GammaAlarmOccupancy) {
  startVm250();
  if (HasFatalFailure()) return;
  const auto end = runOccupancy("duration_ms=1000&gamma=alarm&neutron=normal");
  ASSERT_TRUE(end);
  EXPECT_EQ(end->alarm, RadiationAlarm::kGamma);
  EXPECT_EQ(end->gamma_counts, truth()["gamma_counts"].get<std::int64_t>());
  const auto both = runOccupancy("duration_ms=1000&gamma=alarm&neutron=alarm");
  ASSERT_TRUE(both);
  EXPECT_EQ(both->alarm, RadiationAlarm::kBoth);
}

TEST_F(RpmHilTest, DisconnectIsNotConnectedThenReconnects) {
  startVm250();
  if (HasFatalFailure()) return;
  const std::size_t from = statuses_.size();
  const auto reconnects = driver_->counters().reconnects.load();
  setFault("disconnect");
  ASSERT_TRUE(statuses_.waitFor(from, healthIs(DeviceHealth::kNotConnected), seconds(3)));
  std::this_thread::sleep_for(milliseconds(600));  // several refused attempts
  EXPECT_EQ(driver_->counters().reconnects.load(), reconnects);
  const std::size_t after = statuses_.size();
  setFault("none");
  ASSERT_TRUE(statuses_.waitFor(after, healthIs(DeviceHealth::kGood), seconds(3)));
  EXPECT_GT(driver_->counters().reconnects.load(), reconnects);
  const auto end = runOccupancy("duration_ms=600");
  ASSERT_TRUE(end);
  EXPECT_TRUE(end->faults.empty());
}

TEST_F(RpmHilTest, SilenceIsNoDataAndRecovers) {
  startVm250();
  if (HasFatalFailure()) return;
  const std::size_t from = statuses_.size();
  setFault("silence");
  ASSERT_TRUE(statuses_.waitFor(from, healthIs(DeviceHealth::kNoData), seconds(3)));
  EXPECT_GE(driver_->counters().timeouts.load(), 1U);
  const std::size_t after = statuses_.size();
  setFault("none");
  ASSERT_TRUE(statuses_.waitFor(after, healthIs(DeviceHealth::kGood), seconds(3)));
}

TEST_F(RpmHilTest, GarbageIsCountedAndInventsNothing) {
  startVm250();
  if (HasFatalFailure()) return;
  const std::size_t from = occupancies_.size();
  setFault("garbage");
  std::this_thread::sleep_for(milliseconds(1000));
  EXPECT_GE(driver_->counters().comms_errors.load(), 3U);
  EXPECT_EQ(occupancies_.size(), from) << "garbage must not start an occupancy";
  // An occupancy through the garbage: counts exact, errors disclosed as a fault.
  const auto noisy = runOccupancy("duration_ms=1000");
  ASSERT_TRUE(noisy);
  EXPECT_EQ(noisy->alarm, RadiationAlarm::kNone);
  EXPECT_EQ(noisy->gamma_counts, truth()["gamma_counts"].get<std::int64_t>());
  EXPECT_TRUE(hasFault(*noisy, "line_errors"));
  setFault("none");
  const auto clean = runOccupancy("duration_ms=600");
  ASSERT_TRUE(clean);
  EXPECT_TRUE(clean->faults.empty());
  EXPECT_EQ(clean->gamma_counts, truth()["gamma_counts"].get<std::int64_t>());
}

TEST_F(RpmHilTest, StuckBackgroundIsDegraded) {
  // The driver treats 25 identical GB lines in a row (5 s) as a frozen detector: kDegraded.
  startVm250();
  if (HasFatalFailure()) return;
  const std::size_t from = statuses_.size();
  setFault("stuck");
  const auto degraded = statuses_.waitFor(from, healthIs(DeviceHealth::kDegraded), seconds(8));
  ASSERT_TRUE(degraded);
  EXPECT_NE(degraded->reason.find("frozen"), std::string::npos) << degraded->reason;
  const std::size_t after = statuses_.size();
  setFault("none");
  ASSERT_TRUE(statuses_.waitFor(after, healthIs(DeviceHealth::kGood), seconds(2)));
}

TEST_F(RpmHilTest, SlowStreamWithinStaleLimitStaysGood) {
  // Lines 2 s apart with stale_after_ms = 3000: slow, but no false kNoData.
  startSimulator();
  if (HasFatalFailure()) return;
  auto config = vm250Config();
  config.stale_after_ms = 3000;
  startDriver(config);
  ASSERT_TRUE(statuses_.waitFor(0, healthIs(DeviceHealth::kGood), seconds(5)));
  const std::size_t from = statuses_.size();
  const auto readings = driver_->counters().readings.load();
  setFault("slow");
  std::this_thread::sleep_for(milliseconds(4500));
  for (const auto& s : statuses_.since(from)) {
    EXPECT_EQ(s.health, DeviceHealth::kGood) << s.reason;
  }
  EXPECT_EQ(driver_->counters().timeouts.load(), 0U);
  EXPECT_GT(driver_->counters().readings.load(), readings);  // lines still arrive
  setFault("none");
}

TEST_F(RpmHilTest, TruncatedOccupancyIsReportedAsAFaultNeverAsAPass) {
  startVm250();
  if (HasFatalFailure()) return;
  setFault("truncate");
  const auto cut = runOccupancy("duration_ms=2000");
  ASSERT_TRUE(cut);
  EXPECT_TRUE(hasFault(*cut, "truncated"));
  EXPECT_TRUE(truth()["truncated"].get<bool>());
  // The simulator dropped the connection; the driver reconnects and the next one is clean.
  ASSERT_TRUE(statuses_.waitFor(0, healthIs(DeviceHealth::kNotConnected), seconds(2)));
  const auto deadline = Steady::now() + seconds(3);
  while (statuses_.since(0).back().health != DeviceHealth::kGood && Steady::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_EQ(statuses_.since(0).back().health, DeviceHealth::kGood);
  std::this_thread::sleep_for(milliseconds(300));  // background lines first, else "partial"
  const auto next = runOccupancy("duration_ms=600");
  ASSERT_TRUE(next);
  EXPECT_TRUE(next->faults.empty()) << next->faults.front().code;
  EXPECT_EQ(next->gamma_counts, truth()["gamma_counts"].get<std::int64_t>());
}

TEST_F(RpmHilTest, N42FolderDriverPublishesSimulatorDocuments) {
  startSimulator(/*with_n42=*/true);
  if (HasFatalFailure()) return;
  std::filesystem::create_directories(n42Dir());
  RadiationPortalConfig config;
  config.device_id = "rpm-n42";
  config.lane = "L1";
  config.type = "n42-folder";
  config.folder = n42Dir();
  config.poll_interval_ms = 100;
  startDriver(config);
  ASSERT_TRUE(statuses_.waitFor(0, healthIs(DeviceHealth::kGood), seconds(3)));

  auto reply = control("POST", "/occupancy?duration_ms=1000&gamma=alarm&speed_kmh=18");
  auto end = occupancies_.waitFor(0, phaseIs(OccupancyPhase::kEnd), seconds(5));
  ASSERT_TRUE(end);
  EXPECT_EQ(end->alarm, RadiationAlarm::kGamma);
  const auto sim = truth();
  EXPECT_EQ(end->gamma_counts, sim["gamma_counts"].get<std::int64_t>());
  EXPECT_EQ(end->neutron_counts, sim["neutron_counts"].get<std::int64_t>());
  EXPECT_NEAR(end->duration_s, 1.0, 1e-9);
  EXPECT_NEAR(end->speed_kmh, 18.0, 0.01);
  ASSERT_EQ(end->evidence.size(), 1U);
  EXPECT_EQ(end->evidence[0].media_type, "application/xml");
  EXPECT_TRUE(std::filesystem::exists(n42Dir() + "/done/occupancy-1.n42"));

  // A document cut in the middle goes to failed/ and is counted, never published.
  setFault("truncate");
  const std::size_t count = occupancies_.size();
  reply = control("POST", "/occupancy?duration_ms=1000");
  const auto deadline = Steady::now() + seconds(5);
  while (!std::filesystem::exists(n42Dir() + "/failed/occupancy-2.n42") &&
         Steady::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_TRUE(std::filesystem::exists(n42Dir() + "/failed/occupancy-2.n42"));
  EXPECT_EQ(driver_->counters().comms_errors.load(), 1U);
  EXPECT_EQ(occupancies_.size(), count);
}

}  // namespace
}  // namespace kordon::drivers
