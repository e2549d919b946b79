// SPDX-License-Identifier: Apache-2.0
#include "edge/msg/policy.hpp"

#include <gtest/gtest.h>

namespace kordon::msg {
namespace {

nlohmann::json wire(const char* kind, nlohmann::json body, std::int64_t version = 1) {
  return {{"schema", "kordon.policy/1"},
          {"kind", kind},
          {"version", version},
          {"issued", "2026-11-21T09:00:00Z"},
          {"body", std::move(body)}};
}

std::string error(const nlohmann::json& w) {
  auto p = parsePolicy(w);
  return p.isOk() ? "ok" : p.status().message();
}

TEST(Policy, ParsesEachKind) {
  auto rs =
      parsePolicy(wire("ruleset", {{"weight_tolerance_pct", 3.5}, {"max_cache_age_s", 600}}, 4));
  ASSERT_TRUE(rs.isOk()) << rs.status().message();
  EXPECT_EQ(rs->kind, PolicyKind::kRuleset);
  EXPECT_EQ(rs->version, 4);
  EXPECT_DOUBLE_EQ(rs->ruleset.weight_tolerance_pct, 3.5);
  EXPECT_EQ(rs->ruleset.weight_tolerance_min_kg, 200);  // default kept
  EXPECT_EQ(rs->ruleset.max_cache_age_s, 600);
  EXPECT_FALSE(rs->ruleset.require_synced_clock);  // default
  auto synced = parsePolicy(wire("ruleset", {{"require_synced_clock", true}}, 5));
  ASSERT_TRUE(synced.isOk()) << synced.status().message();
  EXPECT_TRUE(synced->ruleset.require_synced_clock);
  EXPECT_EQ(error(wire("ruleset", {{"require_synced_clock", "yes"}})),
            "body.require_synced_clock: expected true or false");

  auto rp = parsePolicy(wire(
      "risk_profiles", {{"profiles",
                         {{{"id", "RP-1"},
                           {"corridor", "yellow"},
                           {"match", {{"hs_prefix", {"8703"}}, {"origin_country", {"cn"}}}}}}}}));
  ASSERT_TRUE(rp.isOk()) << rp.status().message();
  ASSERT_EQ(rp->risk_profiles.size(), 1u);
  EXPECT_EQ(rp->risk_profiles[0].origin_countries, std::vector<std::string>{"CN"});

  auto deny =
      parsePolicy(wire("deny_list", {{"plates", {"123 АВС 02"}}, {"companies", {"kz 123"}}}));
  ASSERT_TRUE(deny.isOk()) << deny.status().message();
  EXPECT_EQ(deny->kind, PolicyKind::kDenyList);
  EXPECT_EQ(deny->list.plates, std::vector<std::string>{"123ABC02"});  // Cyrillic normalised
  EXPECT_EQ(deny->list.companies, std::vector<std::string>{"KZ123"});
}

TEST(Policy, ErrorsNameTheField) {
  EXPECT_EQ(error(nlohmann::json::array()), "policy: expected a JSON object");
  auto w = wire("ruleset", nlohmann::json::object());
  w["schema"] = "kordon.policy/2";
  EXPECT_EQ(error(w), "schema: expected \"kordon.policy/1\"");
  EXPECT_EQ(error(wire("speed_limits", nlohmann::json::object())),
            "kind: expected ruleset, risk_profiles, allow_list or deny_list");
  EXPECT_EQ(error(wire("ruleset", nlohmann::json::object(), 0)),
            "version: required integer in 1..2000000000");
  w = wire("ruleset", nlohmann::json::object());
  w["issued"] = "yesterday";
  EXPECT_EQ(error(w), "issued: required RFC 3339 UTC time");
  w = wire("ruleset", nlohmann::json::object());
  w["extra"] = 1;
  EXPECT_EQ(error(w), "extra: unknown key");
  EXPECT_EQ(error(wire("ruleset", {{"weight_tolerance_pct", 150}})),
            "body.weight_tolerance_pct: expected a number from 0.000000 to 100.000000");
  EXPECT_EQ(error(wire("ruleset", {{"max_cache_age", 1}})), "body.max_cache_age: unknown key");
  EXPECT_EQ(
      error(wire("risk_profiles",
                 {{"profiles",
                   {{{"id", "RP-1"}, {"corridor", "green"}, {"match", {{"plate", {"A1"}}}}}}}})),
      "body.profiles[0].corridor: expected yellow or red");
  EXPECT_EQ(
      error(wire("risk_profiles",
                 {{"profiles",
                   {{{"id", "RP-1"}, {"corridor", "red"}, {"match", nlohmann::json::object()}}}}})),
      "body.profiles[0].match: needs at least one criterion");
  EXPECT_EQ(
      error(wire("risk_profiles",
                 {{"profiles",
                   {{{"id", "RP-1"}, {"corridor", "red"}, {"match", {{"hs_prefix", {"87x"}}}}}}}})),
      "body.profiles[0].match.hs_prefix[0]: expected 2 to 10 digits");
  EXPECT_EQ(error(wire("allow_list", {{"plates", {"  "}}})), "body.plates[0]: expected a plate");
  EXPECT_EQ(error(wire("allow_list", {{"plates", "123"}})),
            "body.plates: expected an array of strings");
}

TEST(Policy, SizesAreBounded) {
  nlohmann::json plates = nlohmann::json::array();
  for (std::size_t i = 0; i <= kMaxPolicyEntries; ++i) plates.push_back("P" + std::to_string(i));
  EXPECT_EQ(error(wire("deny_list", {{"plates", plates}})), "body.plates: more than 10000 entries");
  EXPECT_EQ(error(wire("deny_list", {{"companies", {std::string(300, 'A')}}})),
            "body.companies[0]: too long");
}

}  // namespace
}  // namespace kordon::msg
