// SPDX-License-Identifier: Apache-2.0
#include "edge/lane/decision.hpp"

#include <gtest/gtest.h>

namespace kordon::lane {
namespace {

constexpr WallMs kNow = 1795602300000;

msg::Declaration declaration(std::int64_t gross_kg = 38420) {
  msg::Declaration d;
  d.id = "KZ-TD-1";
  d.version = 1;
  d.tractor_plate = "123 ABC 02";
  d.gross_mass_kg = gross_kg;
  return d;
}

DecisionInput input(std::string plate, std::optional<std::int64_t> kg, Match match) {
  DecisionInput in;
  in.plate_norm = std::move(plate);
  in.measured_gross_kg = kg;
  in.match = std::move(match);
  return in;
}

std::vector<std::string> rules(const Decision& d) {
  std::vector<std::string> out;
  for (const auto& r : d.reasons) out.push_back(r.rule);
  return out;
}

TEST(Match, PrefersActiveInWindowThenHighestVersion) {
  auto old_version = declaration();
  auto new_version = declaration();
  new_version.version = 3;
  auto out_of_window = declaration();
  out_of_window.id = "KZ-TD-2";
  out_of_window.version = 9;
  out_of_window.arrival_from = kNow + 3600000;
  const Match m = matchDeclaration({old_version, out_of_window, new_version}, kNow);
  ASSERT_TRUE(m.declaration.has_value());
  EXPECT_EQ(m.declaration->id, "KZ-TD-1");
  EXPECT_EQ(m.declaration->version, 3);
  EXPECT_EQ(m.candidates, 3);
}

TEST(Match, SkipsExpiredAndCancelled) {
  auto expired = declaration();
  expired.expires_at = kNow - 1;
  auto cancelled = declaration();
  cancelled.cancelled = true;
  const Match m = matchDeclaration({expired, cancelled}, kNow);
  EXPECT_FALSE(m.declaration.has_value());
  EXPECT_EQ(m.expired, 1);
}

TEST(Decide, GreenWhenMatchedAndWeightWithinToleranceWithPositiveReasons) {
  DecisionInput in = input("123ABC02", 38500, matchDeclaration({declaration()}, kNow));
  const Decision d = decide(in, RuleSet{});
  EXPECT_EQ(d.corridor, Corridor::kGreen);
  EXPECT_EQ(rules(d), (std::vector<std::string>{"DECL-MATCHED", "WEIGHT-OK"}));
  EXPECT_EQ(d.reasons[1].values["tolerance_kg"], 1921);  // 5 % of 38 420, rounded
  EXPECT_EQ(d.ruleset, "builtin-1");
}

TEST(Decide, YellowWhenOverWeightToleranceWithTheValues) {
  DecisionInput in = input("123ABC02", 42000, matchDeclaration({declaration()}, kNow));
  const Decision d = decide(in, RuleSet{});
  EXPECT_EQ(d.corridor, Corridor::kYellow);
  ASSERT_EQ(rules(d), (std::vector<std::string>{"DECL-MATCHED", "WEIGHT-TOLERANCE"}));
  const auto& v = d.reasons[1].values;
  EXPECT_EQ(v["measured_kg"], 42000);
  EXPECT_EQ(v["declared_kg"], 38420);
  EXPECT_EQ(v["difference_kg"], 3580);
  EXPECT_EQ(v["tolerance_kg"], 1921);
}

TEST(Decide, ToleranceHasAFloorForLightLoads) {
  DecisionInput in = input("123ABC02", 2150, matchDeclaration({declaration(2000)}, kNow));
  EXPECT_EQ(decide(in, RuleSet{}).corridor, Corridor::kGreen);  // 150 kg < 200 kg floor
  in.measured_gross_kg = 2250;
  EXPECT_EQ(decide(in, RuleSet{}).corridor, Corridor::kYellow);
}

TEST(Decide, YellowWithoutDeclarationOrPlate) {
  DecisionInput no_decl = input("999ZZZ01", 10000, matchDeclaration({}, kNow));
  EXPECT_EQ(rules(decide(no_decl, RuleSet{})), (std::vector<std::string>{"DECL-MISSING"}));
  EXPECT_EQ(decide(no_decl, RuleSet{}).corridor, Corridor::kYellow);
  DecisionInput no_plate = input("", 10000, Match{});
  EXPECT_EQ(rules(decide(no_plate, RuleSet{})), (std::vector<std::string>{"PLATE-UNREAD"}));
}

TEST(Decide, CentralPreselectionWinsOverAGoodWeight) {
  auto d = declaration();
  d.risk_corridor = "red";
  d.required_controls = {"xray"};
  DecisionInput in = input("123ABC02", 38420, matchDeclaration({d}, kNow));
  const Decision out = decide(in, RuleSet{});
  EXPECT_EQ(out.corridor, Corridor::kRed);
  EXPECT_EQ(rules(out),
            (std::vector<std::string>{"DECL-MATCHED", "RISK-PRESELECTED", "WEIGHT-OK"}));
}

TEST(Decide, YellowWhenWeightMissingOrUndeclared) {
  DecisionInput in = input("123ABC02", std::nullopt, matchDeclaration({declaration()}, kNow));
  EXPECT_EQ(decide(in, RuleSet{}).corridor, Corridor::kYellow);
  auto undeclared = declaration();
  undeclared.gross_mass_kg.reset();
  DecisionInput in2 = input("123ABC02", 38000, matchDeclaration({undeclared}, kNow));
  EXPECT_EQ(rules(decide(in2, RuleSet{})),
            (std::vector<std::string>{"DECL-MATCHED", "WEIGHT-UNDECLARED"}));
}

msg::RadiationOccupancy occupancy(msg::RadiationAlarm alarm) {
  msg::RadiationOccupancy o;
  o.device_id = "L1-rpm";
  o.occupancy_id = "17";
  o.alarm = alarm;
  o.gamma_counts = alarm == msg::RadiationAlarm::kNone ? 5200 : 19000;
  o.gamma_background_cps = 1100;
  return o;
}

TEST(Decide, RadiationAlarmIsRedWithTheCounts) {
  DecisionInput in = input("123ABC02", 38420, matchDeclaration({declaration()}, kNow));
  in.radiation_required = true;
  in.radiation = occupancy(msg::RadiationAlarm::kGamma);
  const Decision d = decide(in, RuleSet{});
  EXPECT_EQ(d.corridor, Corridor::kRed);
  EXPECT_EQ(rules(d), (std::vector<std::string>{"DECL-MATCHED", "WEIGHT-OK", "RAD-ALARM"}));
  EXPECT_EQ(d.reasons[2].values["alarm"], "gamma");
  EXPECT_EQ(d.reasons[2].values["gamma_counts"], 19000);
}

TEST(Decide, CleanRadiationIsAGreenReasonAndAFaultIsYellow) {
  DecisionInput in = input("123ABC02", 38420, matchDeclaration({declaration()}, kNow));
  in.radiation_required = true;
  in.radiation = occupancy(msg::RadiationAlarm::kNone);
  EXPECT_EQ(decide(in, RuleSet{}).corridor, Corridor::kGreen);
  EXPECT_EQ(rules(decide(in, RuleSet{})).back(), "RAD-OK");
  in.radiation->faults.push_back({"overspeed", "Overspeed", "warning"});
  const Decision d = decide(in, RuleSet{});
  EXPECT_EQ(d.corridor, Corridor::kYellow);
  EXPECT_EQ(rules(d).back(), "RAD-FAULT");
}

TEST(Decide, RequiredScreeningsWithoutResultsAreYellow) {
  DecisionInput in = input("123ABC02", 38420, matchDeclaration({declaration()}, kNow));
  in.radiation_required = true;
  in.xray_required = true;
  const Decision d = decide(in, RuleSet{});
  EXPECT_EQ(d.corridor, Corridor::kYellow);
  EXPECT_EQ(rules(d),
            (std::vector<std::string>{"DECL-MATCHED", "WEIGHT-OK", "RAD-MISSING", "XRAY-MISSING"}));
}

TEST(Decide, XrayAlarmIsRedUnlessAnOperatorClearedIt) {
  DecisionInput in = input("123ABC02", 38420, matchDeclaration({declaration()}, kNow));
  msg::XrayResult xray;
  xray.scan_id = "1.2.3";
  xray.object_ref = "123ABC02";
  xray.decision = msg::XrayDecision::kAlarm;
  xray.alarm_objects = 1;
  xray.threats.push_back({"2002", "PI", "Flammable Liquid", "HIGH_THREAT"});
  in.xray = xray;
  Decision d = decide(in, RuleSet{});
  EXPECT_EQ(d.corridor, Corridor::kRed);
  EXPECT_EQ(rules(d).back(), "XRAY-ALARM");
  EXPECT_EQ(d.reasons.back().values["threats"][0]["description"], "Flammable Liquid");
  in.xray->operator_verdict = msg::XrayDecision::kClear;
  d = decide(in, RuleSet{});
  EXPECT_EQ(d.corridor, Corridor::kGreen);
  EXPECT_EQ(rules(d).back(), "XRAY-OK");
}

TEST(Decide, MachineClearWithAlarmObjectsIsYellow) {
  DecisionInput in = input("123ABC02", 38420, matchDeclaration({declaration()}, kNow));
  msg::XrayResult xray;
  xray.decision = msg::XrayDecision::kClear;
  xray.alarm_objects = 1;
  in.xray = xray;
  const Decision d = decide(in, RuleSet{});
  EXPECT_EQ(d.corridor, Corridor::kYellow);
  EXPECT_EQ(rules(d).back(), "XRAY-INCONSISTENT");
}

}  // namespace
}  // namespace kordon::lane
