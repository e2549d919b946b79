// SPDX-License-Identifier: Apache-2.0
#include "edge/kordond/lane/decision.hpp"

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

namespace kordon::lane {
namespace {

// A clean green passage (matched, weight within tolerance) to which policies are applied.
DecisionInput cleanInput(msg::Declaration d) {
  DecisionInput in;
  in.plate_norm = "123ABC02";
  in.measured_gross_kg = 38500;
  in.match = matchDeclaration({std::move(d)}, kNow);
  in.now_ms = kNow;
  in.condition.last_command_ms = kNow;
  return in;
}

msg::Declaration tradedDeclaration() {
  msg::Declaration d = declaration();
  d.consignor = "CN 9133";
  d.consignee = "123456789012";
  d.origin_country = "CN";
  d.goods = {{{"hs", "870323"}, {"mass_kg", 36000}}};
  return d;
}

msg::RiskProfile profile(std::string id, std::string corridor) {
  msg::RiskProfile p;
  p.id = std::move(id);
  p.corridor = std::move(corridor);
  return p;
}

const Reason* find(const Decision& d, const std::string& rule) {
  for (const auto& r : d.reasons) {
    if (r.rule == rule) return &r;
  }
  return nullptr;
}

TEST(DecidePolicies, RiskProfileNeedsEveryCriterionItLists) {
  Policies policies;
  policies.risk_profiles_version = 7;
  auto cars_from_china = profile("RP-CARS-CN", "yellow");
  cars_from_china.hs_prefixes = {"8703"};
  cars_from_china.origin_countries = {"CN"};
  auto cars_from_de = profile("RP-CARS-DE", "red");
  cars_from_de.hs_prefixes = {"8703"};
  cars_from_de.origin_countries = {"DE"};
  policies.risk_profiles = {cars_from_china, cars_from_de};

  const Decision d = decide(cleanInput(tradedDeclaration()), policies);
  EXPECT_EQ(d.corridor, Corridor::kYellow);
  const Reason* r = find(d, "RISK-PROFILE");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->values["profile"], "RP-CARS-CN");
  EXPECT_EQ(r->values["version"], 7);
  EXPECT_EQ(r->values["matched"]["hs"], "870323");
  EXPECT_EQ(d.policies["risk_profiles"], 7);
  EXPECT_EQ(d.policies["ruleset"], "builtin-1");
}

TEST(DecidePolicies, DenyListForcesRedByPlateOrCompany) {
  Policies policies;
  policies.deny_list_version = 3;
  policies.deny_list.companies = {"CN9133"};  // the declaration says "CN 9133"
  Decision d = decide(cleanInput(tradedDeclaration()), policies);
  EXPECT_EQ(d.corridor, Corridor::kRed);
  ASSERT_NE(find(d, "DENY-LIST"), nullptr);
  EXPECT_EQ(find(d, "DENY-LIST")->values["company"], "CN9133");
  EXPECT_EQ(find(d, "DENY-LIST")->values["version"], 3);

  // A denied plate is red even without any declaration.
  policies.deny_list = {{"777XYZ01"}, {}};
  DecisionInput unknown = input("777XYZ01", 20000, Match{});
  d = decide(unknown, policies);
  EXPECT_EQ(d.corridor, Corridor::kRed);
  EXPECT_EQ(find(d, "DENY-LIST")->values["plate"], "777XYZ01");
}

TEST(DecidePolicies, AllowListWaivesOnlyAProfilesYellow) {
  Policies policies;
  auto cars = profile("RP-CARS", "yellow");
  cars.hs_prefixes = {"87"};
  policies.risk_profiles = {cars};
  policies.allow_list = {{}, {"123456789012"}};
  policies.allow_list_version = 2;
  Decision d = decide(cleanInput(tradedDeclaration()), policies);
  EXPECT_EQ(d.corridor, Corridor::kGreen);
  ASSERT_NE(find(d, "ALLOW-LIST"), nullptr);
  EXPECT_EQ(find(d, "ALLOW-LIST")->values["waived_profiles"], nlohmann::json({"RP-CARS"}));
  EXPECT_EQ(find(d, "RISK-PROFILE")->corridor, Corridor::kGreen);  // kept on record
  EXPECT_EQ(find(d, "RISK-PROFILE")->values["waived_by"], "ALLOW-LIST");

  // Never another rule's yellow: a weight discrepancy stays yellow.
  DecisionInput heavy = cleanInput(tradedDeclaration());
  heavy.measured_gross_kg = 45000;
  EXPECT_EQ(decide(heavy, policies).corridor, Corridor::kYellow);

  // Never red: neither a red profile nor a radiation alarm.
  policies.risk_profiles[0].corridor = "red";
  EXPECT_EQ(decide(cleanInput(tradedDeclaration()), policies).corridor, Corridor::kRed);
  policies.risk_profiles.clear();
  DecisionInput hot = cleanInput(tradedDeclaration());
  msg::RadiationOccupancy rad;
  rad.alarm = msg::RadiationAlarm::kGamma;
  hot.radiation = rad;
  EXPECT_EQ(decide(hot, policies).corridor, Corridor::kRed);
}

TEST(DecidePolicies, StaleCacheTurnsGreenYellow) {
  Policies policies;
  policies.rules.max_cache_age_s = 3600;
  DecisionInput in = cleanInput(declaration());
  in.condition.last_command_ms = kNow - 3600 * 1000;  // exactly the limit: still fresh
  EXPECT_EQ(decide(in, policies).corridor, Corridor::kGreen);
  in.condition.last_command_ms = kNow - 3601 * 1000;
  Decision d = decide(in, policies);
  EXPECT_EQ(d.corridor, Corridor::kYellow);
  ASSERT_NE(find(d, "CACHE-STALE"), nullptr);
  EXPECT_EQ(find(d, "CACHE-STALE")->values["age_s"], 3601);
  in.condition.last_command_ms.reset();  // never heard from central
  EXPECT_EQ(decide(in, policies).corridor, Corridor::kYellow);
  policies.rules.max_cache_age_s = 0;  // no limit
  EXPECT_EQ(decide(in, policies).corridor, Corridor::kGreen);
}

TEST(DecidePolicies, ACacheAgeBelowZeroIsStaleNotFresh) {
  Policies policies;
  policies.rules.max_cache_age_s = 3600;
  DecisionInput in = cleanInput(declaration());
  in.condition.last_command_ms = kNow + 10 * 60 * 1000;  // recorded on a clock 10 min ahead
  const Decision d = decide(in, policies);
  EXPECT_EQ(d.corridor, Corridor::kYellow);
  ASSERT_NE(find(d, "CACHE-STALE"), nullptr);
  EXPECT_EQ(find(d, "CACHE-STALE")->values["age_s"], -600);
  EXPECT_NE(find(d, "CACHE-STALE")->text.find("behind"), std::string::npos);
}

TEST(DecidePolicies, AnUnsynchronisedClockRefusesGreenOnlyWhenTheRuleSetAsks) {
  Policies policies;
  DecisionInput in = cleanInput(declaration());
  in.condition.clock = {false, 16000};
  EXPECT_EQ(decide(in, policies).corridor, Corridor::kGreen);  // the default rule set does not ask
  policies.rules.require_synced_clock = true;
  Decision d = decide(in, policies);
  EXPECT_EQ(d.corridor, Corridor::kYellow);
  ASSERT_NE(find(d, "CLOCK-UNTRUSTED"), nullptr);
  EXPECT_EQ(find(d, "CLOCK-UNTRUSTED")->values["synchronized"], false);
  EXPECT_EQ(find(d, "CLOCK-UNTRUSTED")->values["max_error_ms"], 16000);
  in.condition.clock = {true, 40};
  EXPECT_EQ(decide(in, policies).corridor, Corridor::kGreen);
  // Central's rule set carries the switch.
  msg::Policy ruleset;
  ruleset.kind = msg::PolicyKind::kRuleset;
  ruleset.version = 4;
  ruleset.ruleset.require_synced_clock = true;
  Policies from_central;
  from_central.apply(ruleset);
  EXPECT_TRUE(from_central.rules.require_synced_clock);
}

TEST(DecidePolicies, FullStorageTurnsGreenYellowOnly) {
  DecisionInput in = cleanInput(declaration());
  in.condition.storage_full = true;
  in.condition.storage_used_bytes = 1000;
  in.condition.storage_max_bytes = 900;
  Decision d = decide(in, Policies{});
  EXPECT_EQ(d.corridor, Corridor::kYellow);
  ASSERT_NE(find(d, "STORAGE-FULL"), nullptr);
  EXPECT_EQ(find(d, "STORAGE-FULL")->values["used_bytes"], 1000);
  EXPECT_EQ(find(d, "STORAGE-FULL")->values["max_bytes"], 900);
  in.measured_gross_kg.reset();  // already yellow: no extra reason
  EXPECT_EQ(find(decide(in, Policies{}), "STORAGE-FULL"), nullptr);
}

TEST(DecidePolicies, CentralRulesetReplacesTunablesAndNamesItsVersion) {
  Policies policies;
  msg::Policy rs;
  rs.kind = msg::PolicyKind::kRuleset;
  rs.version = 5;
  rs.ruleset.weight_tolerance_pct = 0.1;
  rs.ruleset.weight_tolerance_min_kg = 10;
  policies.apply(rs);
  const Decision d = decide(cleanInput(declaration()), policies);  // 80 kg off
  EXPECT_EQ(d.corridor, Corridor::kYellow);
  EXPECT_EQ(d.ruleset, "central-v5");
  EXPECT_EQ(d.policies["ruleset"], "central-v5");
}

}  // namespace
}  // namespace kordon::lane
