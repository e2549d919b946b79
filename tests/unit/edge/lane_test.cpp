// SPDX-License-Identifier: Apache-2.0
#include "edge/kordond/lane/lane.hpp"

#include <algorithm>

#include <gtest/gtest.h>

#include "edge/msg/event_types.hpp"
#include "edge/msg/plate.hpp"
#include "edge/store/sqlite.hpp"
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
    db_path_ = dir_.file("k" + std::to_string(++stores_) + ".db");
    auto s = store::Store::open(db_path_, "KZ-TEST", clock_);
    ASSERT_TRUE(s.isOk()) << s.status().message();
    store_ = std::move(*s);
    types_.clear();
    store_->onCommitted([this](const std::vector<msg::Event>& events) {
      for (const auto& e : events) {
        types_.push_back(e.type);
        // Every event the lane writes keeps its contract.
        const Status contract = msg::checkPayload(e.type, e.payload);
        EXPECT_TRUE(contract) << contract.message() << "\n" << e.payload;
      }
    });
    lane_ = std::make_unique<Lane>(config, *store_, &barrier_, clock_, rules_, condition_);
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

  void declare(const std::string& id, const std::string& plate_text, std::int64_t gross_kg) {
    msg::Declaration d;
    d.id = id;
    d.version = 1;
    d.tractor_plate = plate_text;
    d.gross_mass_kg = gross_kg;
    ASSERT_TRUE(store_
                    ->transact([&](store::Transaction& tx) {
                      return tx.upsertDeclaration(d, msg::normalisePlate(plate_text), 0).status();
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

  std::vector<msg::Event> journal() {
    auto events = store_->undelivered(0, 1000);
    EXPECT_TRUE(events.isOk());
    return events.isOk() ? *events : std::vector<msg::Event>{};
  }

  // The last journalled event of `type`; an empty event when there is none.
  msg::Event lastEvent(const std::string& type) {
    msg::Event found;
    for (auto& e : journal()) {
      if (e.type == type) found = e;
    }
    return found;
  }

  // Makes every journal write fail (as a full disk does) until allowJournalWrites(), through a
  // second connection to the same file, as another process could.
  void refuseJournalWrites() {
    auto db = store::Database::open(db_path_, store::Durability::kNormal);
    ASSERT_TRUE(db.isOk());
    ASSERT_TRUE((*db)
                    ->exec("CREATE TRIGGER refuse BEFORE INSERT ON journal BEGIN "
                           "SELECT RAISE(ABORT, 'database or disk is full'); END")
                    .isOk());
  }
  void allowJournalWrites() {
    auto db = store::Database::open(db_path_, store::Durability::kNormal);
    ASSERT_TRUE(db.isOk());
    ASSERT_TRUE((*db)->exec("DROP TRIGGER refuse").isOk());
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
  std::string db_path_;
};

TEST_F(LaneTest, GreenTruckIsReleasedThenDeparts) {
  lane_->onWeight(weight(12000, msg::WeightState::kMotion));
  lane_->onWeight(weight(38400, msg::WeightState::kStable));
  EXPECT_TRUE(barrier_.opens.empty());                      // no plate yet
  EXPECT_TRUE(lane_->onPlate(plate("123 АВС 02")).isOk());  // Cyrillic read of a Latin declaration
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
  EXPECT_EQ((*record)->state, msg::PassageState::kDeparted);
  EXPECT_EQ((*record)->corridor, msg::Corridor::kGreen);
  EXPECT_EQ((*record)->declaration_id, "KZ-TD-1");
}

TEST_F(LaneTest, OnePlateReadIsOneDeclarationQuery) {
  lane_->onWeight(weight(38400, msg::WeightState::kStable));
  ASSERT_TRUE(lane_->onPlate(plate("123 ABC 02")).isOk());  // identifies and decides at once
  EXPECT_EQ(lastDecisionCorridor(), "green");
  EXPECT_EQ(lane_->snapshot().counters.declaration_queries, 1u);
}

TEST_F(LaneTest, ADeclarationThatArrivesAfterTheReadIsFoundAtTheDecision) {
  lane_->onWeight(weight(12000, msg::WeightState::kMotion));
  ASSERT_TRUE(lane_->onPlate(plate("777 XYZ 02")).isOk());
  EXPECT_TRUE(lastEvent("passage.identified").payload["declaration"].is_null());
  declare("KZ-TD-2", "777 XYZ 02", 38400);  // central's declaration lands meanwhile
  lane_->onWeight(weight(38400, msg::WeightState::kStable));
  EXPECT_EQ(lastDecisionCorridor(), "green");
  EXPECT_EQ(lastEvent("passage.decided").payload["declaration"], "KZ-TD-2");
  EXPECT_EQ(lane_->snapshot().counters.declaration_queries, 2u);  // looked up again: it changed
}

TEST_F(LaneTest, TheSnapshotShowsThePassageAsTheLaneHasIt) {
  lane_->onWeight(weight(38400, msg::WeightState::kStable));
  LaneSnapshot before = lane_->snapshot();
  ASSERT_TRUE(before.passage.has_value());
  EXPECT_EQ(before.passage->state, msg::PassageState::kOpen);
  EXPECT_FALSE(before.passage->corridor.has_value());
  ASSERT_TRUE(lane_->onPlate(plate("123 ABC 02")).isOk());
  const LaneSnapshot after = lane_->snapshot();
  EXPECT_EQ(after.passage->state, msg::PassageState::kDecided);
  EXPECT_EQ(after.passage->corridor, msg::Corridor::kGreen);
  EXPECT_EQ(after.passage->declaration, "KZ-TD-1");
  EXPECT_EQ(after.passage->gross_kg, 38400);
  ASSERT_EQ(after.passage->reads.size(), 1u);
  EXPECT_EQ(after.passage->reads[0].plate, "123ABC02");
  EXPECT_EQ(toJson(after)["passage"]["corridor"], "green");
}

TEST_F(LaneTest, OverweightTruckIsYellowAndTheBarrierStaysShut) {
  EXPECT_TRUE(lane_->onPlate(plate("123ABC02")).isOk());
  lane_->onWeight(weight(45000, msg::WeightState::kStable));
  EXPECT_EQ(lastDecisionCorridor(), "yellow");
  EXPECT_TRUE(barrier_.opens.empty());
  lane_->onWeight(weight(0, msg::WeightState::kStable));
  EXPECT_EQ(types_.back(), "passage.departed");
  EXPECT_TRUE(barrier_.closes.empty());
}

TEST_F(LaneTest, MotionNeverDecides) {
  EXPECT_TRUE(lane_->onPlate(plate("123ABC02")).isOk());
  lane_->onWeight(weight(38420, msg::WeightState::kMotion));
  EXPECT_EQ(lastDecisionCorridor(), "");
  EXPECT_TRUE(barrier_.opens.empty());
}

TEST_F(LaneTest, UnhealthyWeighbridgeGivesNoWeightAndTimeoutDecidesYellow) {
  lane_->onWeight(weight(12000, msg::WeightState::kMotion));  // the vehicle drives on
  EXPECT_TRUE(lane_->onPlate(plate("123ABC02")).isOk());
  auto bad = weight(38420, msg::WeightState::kStable);
  bad.health = msg::DeviceHealth::kNotConnected;
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
  EXPECT_TRUE(lane_->onRadiation(start).isOk());
  EXPECT_TRUE(lane_->onPlate(plate("123ABC02")).isOk());
  lane_->onWeight(weight(38420, msg::WeightState::kStable));
  EXPECT_EQ(lastDecisionCorridor(), "");  // plate and weight, but the portal has not finished
  msg::RadiationOccupancy end = start;
  end.phase = msg::OccupancyPhase::kEnd;
  end.alarm = msg::RadiationAlarm::kNeutron;
  EXPECT_TRUE(lane_->onRadiation(end).isOk());
  EXPECT_EQ(lastDecisionCorridor(), "red");
  EXPECT_TRUE(barrier_.opens.empty());
  EXPECT_NE(std::find(types_.begin(), types_.end(), "radiation.measured"), types_.end());
}

TEST_F(LaneTest, XrayWhenRequiredByTheDeclaration) {
  LaneConfig config;
  config.xray_policy = "when_required";
  setUpLane(config, {"xray"});
  EXPECT_TRUE(lane_->onPlate(plate("123ABC02")).isOk());
  lane_->onWeight(weight(38420, msg::WeightState::kStable));
  EXPECT_EQ(lastDecisionCorridor(), "");
  msg::XrayResult xray;
  xray.device_id = "L1-xray";
  xray.scan_id = "1.2.3.4";
  xray.object_ref = "123ABC02";
  xray.decision = msg::XrayDecision::kClear;
  EXPECT_TRUE(lane_->onXray(xray).isOk());
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
  EXPECT_TRUE(lane_->onPlate(plate("999 ZZZ 01")).isOk());
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
  EXPECT_TRUE(lane_->onPlate(plate("123ABC02")).isOk());
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

namespace kordon::lane {
namespace {

using std::chrono::milliseconds;

bool hasReason(const msg::Event& decided, const std::string& rule) {
  for (const auto& r : decided.payload["reasons"]) {
    if (r["rule"] == rule) return true;
  }
  return false;
}

TEST_F(LaneTest, AReadWithNoVehicleIsHeldThenDroppedOnTheRecord) {
  EXPECT_TRUE(lane_->onPlate(plate("123ABC02")).isOk());
  const msg::Event read = lastEvent("plate.read");
  EXPECT_EQ(read.payload["vehicle_present"], false);
  EXPECT_EQ(read.passage, "");
  EXPECT_EQ(lane_->snapshot().counters.held_reads, 1u);
  clock_.advance(milliseconds(LaneConfig{}.plate_hold_ms));
  lane_->tick();
  const msg::Event dropped = lastEvent("plate.dropped");
  EXPECT_EQ(dropped.payload["plate"], "123ABC02");
  EXPECT_EQ(dropped.payload["read_event"], read.id);
  EXPECT_EQ(lane_->snapshot().counters.held_reads, 0u);
  EXPECT_EQ(lane_->snapshot().counters.reads_dropped, 1u);
  // The truck that comes afterwards is not given the dropped read's identity.
  lane_->onWeight(weight(38420, msg::WeightState::kStable));
  EXPECT_EQ(lastDecisionCorridor(), "");
  clock_.advance(milliseconds(LaneConfig{}.identify_timeout_ms));
  lane_->tick();
  EXPECT_EQ(lastDecisionCorridor(), "yellow");
  EXPECT_TRUE(hasReason(lastEvent("passage.decided"), "PLATE-UNREAD"));
  EXPECT_TRUE(barrier_.opens.empty());
}

TEST_F(LaneTest, AHeldReadIdentifiesTheVehicleThatComesInTime) {
  EXPECT_TRUE(lane_->onPlate(plate("123ABC02")).isOk());
  const msg::Event read = lastEvent("plate.read");
  clock_.advance(milliseconds(LaneConfig{}.plate_hold_ms - 1000));
  lane_->tick();
  lane_->onWeight(weight(38420, msg::WeightState::kStable));
  const msg::Event identified = lastEvent("passage.identified");
  EXPECT_EQ(identified.payload["read"], "held");
  EXPECT_EQ(identified.payload["read_event"], read.id);
  EXPECT_EQ(lastDecisionCorridor(), "green");
  EXPECT_EQ(barrier_.opens.size(), 1u);
  EXPECT_EQ(lastEvent("plate.dropped").type, "");
}

TEST_F(LaneTest, AnotherPlateForTheSamePassageIsAConflictNotAContestOfConfidences) {
  declare("KZ-TD-2", "777 GRN 02", 38000);  // a green declaration of similar weight
  lane_->onWeight(weight(12000, msg::WeightState::kMotion));
  msg::PlateRead real = plate("123ABC02");
  real.confidence_pct = 71;
  EXPECT_TRUE(lane_->onPlate(real).isOk());
  msg::PlateRead injected = plate("777GRN02");
  injected.confidence_pct = 99;
  EXPECT_TRUE(lane_->onPlate(injected).isOk());
  EXPECT_EQ(lastEvent("plate.read").payload["conflicts_with"], "123ABC02");
  lane_->onWeight(weight(38100, msg::WeightState::kStable));
  const msg::Event decided = lastEvent("passage.decided");
  EXPECT_EQ(decided.payload["corridor"], "yellow");
  ASSERT_TRUE(hasReason(decided, "PLATE-CONFLICT"));
  for (const auto& r : decided.payload["reasons"]) {
    if (r["rule"] != "PLATE-CONFLICT") continue;
    ASSERT_EQ(r["values"]["reads"].size(), 2u);
    EXPECT_EQ(r["values"]["reads"][0]["plate"], "123ABC02");
    EXPECT_EQ(r["values"]["reads"][1]["plate"], "777GRN02");
  }
  EXPECT_EQ(decided.payload["plate"], "123ABC02");  // the identity was never taken over
  EXPECT_TRUE(barrier_.opens.empty());
  EXPECT_EQ(lane_->snapshot().counters.plate_conflicts, 1u);
}

TEST_F(LaneTest, HeldReadsOfTwoPlatesAreAConflictForTheVehicleThatComes) {
  declare("KZ-TD-2", "777 GRN 02", 38000);
  EXPECT_TRUE(lane_->onPlate(plate("777GRN02")).isOk());
  EXPECT_TRUE(lane_->onPlate(plate("123ABC02")).isOk());
  lane_->onWeight(weight(38400, msg::WeightState::kStable));
  const msg::Event decided = lastEvent("passage.decided");
  EXPECT_EQ(decided.payload["corridor"], "yellow");
  EXPECT_TRUE(hasReason(decided, "PLATE-CONFLICT"));
  EXPECT_TRUE(barrier_.opens.empty());
}

TEST_F(LaneTest, TheSamePlateReadTwiceIsNoConflict) {
  lane_->onWeight(weight(12000, msg::WeightState::kMotion));
  EXPECT_TRUE(lane_->onPlate(plate("123ABC02")).isOk());
  EXPECT_TRUE(lane_->onPlate(plate("123 АВС 02")).isOk());  // the same plate, another script
  lane_->onWeight(weight(38400, msg::WeightState::kStable));
  EXPECT_EQ(lastDecisionCorridor(), "green");
  EXPECT_FALSE(hasReason(lastEvent("passage.decided"), "PLATE-CONFLICT"));
}

TEST_F(LaneTest, HeldReadsAreBoundedAndTheOldestIsDroppedOnTheRecord) {
  for (std::size_t i = 0; i <= kMaxHeldReads; ++i) {
    EXPECT_TRUE(lane_->onPlate(plate("100AA" + std::to_string(10 + i))).isOk());
  }
  EXPECT_EQ(lane_->snapshot().counters.held_reads, kMaxHeldReads);
  EXPECT_EQ(lastEvent("plate.dropped").payload["plate"], "100AA10");
}

TEST_F(LaneTest, AReadTheJournalRefusesIsAnErrorAndTheLaneIsAsItWas) {
  lane_->onWeight(weight(12000, msg::WeightState::kMotion));  // a vehicle is on the lane
  refuseJournalWrites();
  const Status refused = lane_->onPlate(plate("123ABC02"));
  ASSERT_FALSE(refused.isOk());
  EXPECT_NE(refused.message().find("disk is full"), std::string::npos) << refused.message();
  EXPECT_EQ(lane_->snapshot().passage->plate, "");  // not identified by a lost record
  EXPECT_EQ(lane_->snapshot().counters.store_errors, 1u);
  // A stable weight now is not recorded either, so nothing is decided on it.
  lane_->onWeight(weight(38400, msg::WeightState::kStable));
  EXPECT_EQ(lastDecisionCorridor(), "");
  EXPECT_TRUE(barrier_.opens.empty());
  // The camera re-sends once the disk takes writes again, and the truck is decided then.
  allowJournalWrites();
  EXPECT_TRUE(lane_->onPlate(plate("123ABC02")).isOk());
  lane_->onWeight(weight(38400, msg::WeightState::kStable));
  EXPECT_EQ(lastDecisionCorridor(), "green");
  EXPECT_EQ(barrier_.opens.size(), 1u);
}

TEST_F(LaneTest, ABarrierOpeningTheJournalMissedIsRecordedFromTheTick) {
  EXPECT_TRUE(lane_->onPlate(plate("123ABC02")).isOk());
  lane_->onWeight(weight(38400, msg::WeightState::kStable));
  ASSERT_EQ(barrier_.opens.size(), 1u);
  refuseJournalWrites();
  barrierReports(msg::BarrierPosition::kOpen, barrier_.opens[0]);
  EXPECT_EQ(lastEvent("passage.released").type, "");
  allowJournalWrites();
  lane_->tick();
  EXPECT_EQ(lastEvent("barrier.opened").payload["command"], barrier_.opens[0]);
  EXPECT_EQ(lastEvent("passage.released").type, "passage.released");
}

TEST_F(LaneTest, MilestonesCarryMonotonicDurationsWhenTheWallClockGoesBack) {
  lane_->onWeight(weight(12000, msg::WeightState::kMotion));
  clock_.advance(std::chrono::milliseconds(2000));
  clock_.wall_ms -= 3600 * 1000;  // stepped an hour back while the truck is on the lane
  lane_->onWeight(weight(38400, msg::WeightState::kStable));
  EXPECT_TRUE(lane_->onPlate(plate("123ABC02")).isOk());
  const msg::Event decided = lastEvent("passage.decided");
  EXPECT_EQ(decided.payload["corridor"], "green");
  EXPECT_EQ(decided.payload["since_arrival_ms"], 2000);
  EXPECT_EQ(decided.payload["clock"]["synchronized"], true);
  // The wall times say the truck was decided before it arrived; the duration does not.
  EXPECT_LT(decided.time_ms, lastEvent("passage.arrived").time_ms);
  ASSERT_EQ(barrier_.opens.size(), 1u);
  clock_.advance(std::chrono::milliseconds(1500));
  barrierReports(msg::BarrierPosition::kOpen, barrier_.opens[0]);
  EXPECT_EQ(lastEvent("passage.released").payload["since_arrival_ms"], 3500);
  clock_.advance(std::chrono::milliseconds(6000));
  lane_->onWeight(weight(0, msg::WeightState::kStable));
  EXPECT_EQ(lastEvent("passage.departed").payload["since_arrival_ms"], 9500);
}

TEST_F(LaneTest, ABackwardStepBringsNoExpiredDeclarationBack) {
  msg::Declaration d;
  d.id = "KZ-TD-EXPIRED";
  d.version = 1;
  d.tractor_plate = "777 XYZ 01";
  d.gross_mass_kg = 20000;
  d.expires_at = clock_.wall_ms - 60 * 1000;  // expired a minute ago
  ASSERT_TRUE(
      store_
          ->transact([&](store::Transaction& tx) {
            return tx.upsertDeclaration(d, msg::normalisePlate(d.tractor_plate), 0).status();
          })
          .isOk());
  // The daemon's ClockWatch has seen now; then the wall clock is stepped a day back.
  condition_.high_water = {clock_.wall_ms, clock_.steady};
  clock_.wall_ms -= 86400 * 1000;
  clock_.advance(std::chrono::milliseconds(1000));
  lane_->onWeight(weight(20000, msg::WeightState::kStable));
  EXPECT_TRUE(lane_->onPlate(plate("777XYZ01")).isOk());
  EXPECT_EQ(lastDecisionCorridor(), "yellow");
  EXPECT_TRUE(barrier_.opens.empty());
  EXPECT_EQ(lastEvent("passage.decided").payload["declaration"], "");
}

TEST_F(LaneTest, TheDecisionRecordsAnUnsynchronisedClockAndTheRuleSetCanRefuseGreen) {
  condition_.clock = {false, 16000};
  rules_.rules.require_synced_clock = true;
  lane_->onWeight(weight(38400, msg::WeightState::kStable));
  EXPECT_TRUE(lane_->onPlate(plate("123ABC02")).isOk());
  const msg::Event decided = lastEvent("passage.decided");
  EXPECT_EQ(decided.payload["corridor"], "yellow");
  EXPECT_EQ(decided.payload["clock"]["synchronized"], false);
  EXPECT_EQ(decided.payload["reasons"].back()["rule"], "CLOCK-UNTRUSTED");
  EXPECT_TRUE(barrier_.opens.empty());
}

}  // namespace
}  // namespace kordon::lane
