// SPDX-License-Identifier: Apache-2.0
#include "edge/lane/lane.hpp"

#include <algorithm>

#include <gtest/gtest.h>

#include "edge/msg/plate.hpp"
#include "tests/unit/edge/test_support.hpp"

namespace kordon::lane {
namespace {

using testing::FakeClock;
using testing::TempDir;

// Records requests; the test decides when the barrier "arrives".
class FakeBarrier final : public drivers::Barrier {
 public:
  void start() override {}
  void stop() override {}
  void requestOpen(const std::string& id) override { opens.push_back(id); }
  void requestClose(const std::string& id) override { closes.push_back(id); }
  std::vector<std::string> opens, closes;
};

class LaneTest : public ::testing::Test {
 protected:
  void SetUp() override { setUpLane(LaneConfig{}); }

  void setUpLane(const LaneConfig& config, const std::vector<std::string>& controls = {}) {
    // A fresh database per lane set-up, so each test's declaration is the one it asked for.
    auto s =
        store::Store::open(dir_.file("k" + std::to_string(++stores_) + ".db"), "KZ-TEST", clock_);
    ASSERT_TRUE(s.isOk()) << s.status().message();
    store_ = std::move(*s);
    types_.clear();
    lane_ = std::make_unique<Lane>(config, *store_, &barrier_, clock_, rules_, condition_,
                                   [this](const std::vector<msg::Event>& events) {
                                     for (const auto& e : events) types_.push_back(e.type);
                                   });
    msg::Declaration d;
    d.id = "KZ-TD-1";
    d.version = 1;
    d.tractor_plate = "123 ABC 02";
    d.gross_mass_kg = 38420;
    d.required_controls = controls;
    ASSERT_TRUE(
        store_
            ->transact([&](store::Transaction& tx) {
              return tx.upsertDeclaration(d, msg::normalisePlate(d.tractor_plate), 0).status();
            })
            .isOk());
  }

  msg::WeightReading weight(std::int64_t kg, msg::WeightState state) {
    msg::WeightReading r;
    r.device_id = "L1-wb";
    r.lane = "L1";
    r.health = msg::DeviceHealth::kGood;
    r.state = state;
    r.gross_kg = kg;
    return r;
  }

  msg::PlateRead plate(const std::string& text) {
    msg::PlateRead p;
    p.camera_id = "L1-cam";
    p.lane = "L1";
    p.plate_raw = text;
    p.confidence_pct = 95;
    return p;
  }

  std::string lastDecisionCorridor() {
    auto events = store_->undelivered(0, 1000);
    std::string corridor;
    for (const auto& e : *events) {
      if (e.type == "passage.decided") corridor = e.payload["corridor"];
    }
    return corridor;
  }

  void barrierReports(msg::BarrierPosition position, const std::string& command) {
    msg::BarrierStatus s;
    s.position = position;
    s.command_id = command;
    lane_->onBarrier(s);
  }

  TempDir dir_;
  FakeClock clock_;
  Policies rules_;
  PostCondition condition_;
  FakeBarrier barrier_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Lane> lane_;
  std::vector<std::string> types_;
  int stores_ = 0;
};

TEST_F(LaneTest, GreenTruckIsReleasedThenDeparts) {
  lane_->onWeight(weight(12000, msg::WeightState::kMotion));
  lane_->onWeight(weight(38400, msg::WeightState::kStable));
  EXPECT_TRUE(barrier_.opens.empty());  // no plate yet
  lane_->onPlate(plate("123 АВС 02"));  // Cyrillic read of a Latin declaration
  ASSERT_EQ(barrier_.opens.size(), 1u);
  EXPECT_EQ(lastDecisionCorridor(), "green");
  barrierReports(msg::BarrierPosition::kOpen, barrier_.opens[0]);
  lane_->onWeight(weight(0, msg::WeightState::kStable));
  ASSERT_EQ(barrier_.closes.size(), 1u);
  barrierReports(msg::BarrierPosition::kClosed, barrier_.closes[0]);
  EXPECT_EQ(types_, (std::vector<std::string>{"device.health", "passage.arrived", "weight.measured",
                                              "plate.read", "passage.identified", "passage.decided",
                                              "barrier.open_requested", "barrier.opened",
                                              "passage.released", "passage.departed",
                                              "barrier.close_requested", "barrier.closed"}));
  auto record = store_->passage(store_->undelivered(0, 100)->at(1).passage);
  ASSERT_TRUE(record.isOk() && record->has_value());
  EXPECT_EQ((*record)->state, "departed");
  EXPECT_EQ((*record)->corridor, "green");
  EXPECT_EQ((*record)->declaration_id, "KZ-TD-1");
}

TEST_F(LaneTest, OverweightTruckIsYellowAndTheBarrierStaysShut) {
  lane_->onPlate(plate("123ABC02"));
  lane_->onWeight(weight(45000, msg::WeightState::kStable));
  EXPECT_EQ(lastDecisionCorridor(), "yellow");
  EXPECT_TRUE(barrier_.opens.empty());
  lane_->onWeight(weight(0, msg::WeightState::kStable));
  EXPECT_EQ(types_.back(), "passage.departed");
  EXPECT_TRUE(barrier_.closes.empty());
}

TEST_F(LaneTest, MotionNeverDecides) {
  lane_->onPlate(plate("123ABC02"));
  lane_->onWeight(weight(38420, msg::WeightState::kMotion));
  EXPECT_EQ(lastDecisionCorridor(), "");
  EXPECT_TRUE(barrier_.opens.empty());
}

TEST_F(LaneTest, UnhealthyWeighbridgeGivesNoWeightAndTimeoutDecidesYellow) {
  auto bad = weight(38420, msg::WeightState::kStable);
  bad.health = msg::DeviceHealth::kNotConnected;
  lane_->onPlate(plate("123ABC02"));
  lane_->onWeight(bad);
  EXPECT_EQ(lastDecisionCorridor(), "");
  clock_.advance(std::chrono::milliseconds(LaneConfig{}.identify_timeout_ms));
  lane_->tick();
  EXPECT_EQ(lastDecisionCorridor(), "yellow");
  EXPECT_TRUE(barrier_.opens.empty());
}

TEST_F(LaneTest, RadiationLaneWaitsForTheOccupancyAndAnAlarmIsRed) {
  LaneConfig config;
  config.radiation_required = true;
  setUpLane(config);
  msg::RadiationOccupancy start;
  start.device_id = "L1-rpm";
  start.phase = msg::OccupancyPhase::kStart;
  lane_->onRadiation(start);
  lane_->onPlate(plate("123ABC02"));
  lane_->onWeight(weight(38420, msg::WeightState::kStable));
  EXPECT_EQ(lastDecisionCorridor(), "");  // plate and weight, but the portal has not finished
  msg::RadiationOccupancy end = start;
  end.phase = msg::OccupancyPhase::kEnd;
  end.alarm = msg::RadiationAlarm::kNeutron;
  lane_->onRadiation(end);
  EXPECT_EQ(lastDecisionCorridor(), "red");
  EXPECT_TRUE(barrier_.opens.empty());
  EXPECT_NE(std::find(types_.begin(), types_.end(), "radiation.measured"), types_.end());
}

TEST_F(LaneTest, XrayWhenRequiredByTheDeclaration) {
  LaneConfig config;
  config.xray_policy = "when_required";
  setUpLane(config, {"xray"});
  lane_->onPlate(plate("123ABC02"));
  lane_->onWeight(weight(38420, msg::WeightState::kStable));
  EXPECT_EQ(lastDecisionCorridor(), "");
  msg::XrayResult xray;
  xray.device_id = "L1-xray";
  xray.scan_id = "1.2.3.4";
  xray.object_ref = "123ABC02";
  xray.decision = msg::XrayDecision::kClear;
  lane_->onXray(xray);
  EXPECT_EQ(lastDecisionCorridor(), "green");
  EXPECT_EQ(barrier_.opens.size(), 1u);
}

TEST_F(LaneTest, DeviceHealthIsJournalledOnChangeOnly) {
  msg::DeviceStatus status;
  status.device_id = "L1-rpm";
  status.device_class = "radiation_portal";
  status.health = msg::DeviceHealth::kNoData;
  lane_->onDeviceStatus(status);
  lane_->onDeviceStatus(status);
  status.health = msg::DeviceHealth::kGood;
  lane_->onDeviceStatus(status);
  EXPECT_EQ(std::count(types_.begin(), types_.end(), "device.health"), 2);
}

TEST_F(LaneTest, UnknownPlateIsYellow) {
  lane_->onWeight(weight(38420, msg::WeightState::kStable));
  lane_->onPlate(plate("999 ZZZ 01"));
  EXPECT_EQ(lastDecisionCorridor(), "yellow");
  EXPECT_TRUE(barrier_.opens.empty());
}

}  // namespace
}  // namespace kordon::lane

namespace kordon::lane {
namespace {

TEST_F(LaneTest, AtTheStorageBoundGreenBecomesYellowAndTheBarrierStaysShut) {
  condition_.storage_full = true;  // the daemon sets this from store::Retention
  condition_.storage_used_bytes = 1000;
  condition_.storage_max_bytes = 900;
  lane_->onWeight(weight(38400, msg::WeightState::kStable));
  lane_->onPlate(plate("123ABC02"));
  EXPECT_EQ(lastDecisionCorridor(), "yellow");
  EXPECT_TRUE(barrier_.opens.empty());
  auto events = store_->undelivered(0, 100);
  ASSERT_TRUE(events.isOk());
  const auto decided = std::find_if(events->begin(), events->end(), [](const msg::Event& e) {
    return e.type == "passage.decided";
  });
  ASSERT_NE(decided, events->end());
  EXPECT_EQ(decided->payload["reasons"].back()["rule"], "STORAGE-FULL");
  EXPECT_EQ(decided->payload["policies"]["ruleset"], "builtin-1");
}

}  // namespace
}  // namespace kordon::lane
