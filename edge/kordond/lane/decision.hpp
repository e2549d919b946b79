// SPDX-License-Identifier: Apache-2.0
#pragma once

// Matching a vehicle to its declaration, and the corridor decision. Both are pure functions of
// their inputs (time included), so every decision can be replayed and explained.
//
// A decision always carries its reasons: the rule id, the corridor that rule asks for, a
// sentence for the operator, and the values that fired it. The corridor is the most severe
// one any rule asks for (green < yellow < red). Green needs positive reasons too: which
// declaration matched and that the weight agreed.
//
// Two different plates read for one vehicle are PLATE-CONFLICT (yellow, every read named): an
// injected or misrouted read never wins by being more confident.
//
// Central's policies (edge/msg/policy.hpp) enter as data: risk profiles add RISK-PROFILE
// reasons, the deny list forces red (DENY-LIST), the allow list waives the yellow that a risk
// profile alone would cause (ALLOW-LIST; never red, never another rule's yellow). Last, two
// conditions of the post itself can only take green away: a stale declarations cache
// (CACHE-STALE; an age below zero, a clock behind central's last command, is stale too), a full
// disk (STORAGE-FULL) and, when the rule set asks, an unsynchronised clock (CLOCK-UNTRUSTED).
// Every decision names the versions it used.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edge/base/clock.hpp"
#include "edge/base/clock_watch.hpp"
#include "edge/msg/corridor.hpp"
#include "edge/msg/declaration.hpp"
#include "edge/msg/policy.hpp"
#include "edge/msg/radiation_occupancy.hpp"
#include "edge/msg/xray_result.hpp"

namespace kordon::lane {

// The corridor and its reasons are the contract's (edge/msg/corridor.hpp).
using msg::Corridor;
using msg::Reason;
using msg::toJson;
using msg::toString;

struct Decision {
  Corridor corridor = Corridor::kYellow;
  std::vector<Reason> reasons;
  std::string ruleset;
  nlohmann::json policies = nlohmann::json::object();  // Policies::versionsJson()
};

struct RuleSet {
  std::string version = "builtin-1";
  // Allowed |measured - declared| is the larger of the two.
  double weight_tolerance_pct = 5.0;
  std::int64_t weight_tolerance_min_kg = 200;
  // Green needs a command from central within this many seconds (0: no limit).
  std::int64_t max_cache_age_s = 0;
  // No green while the kernel says the wall clock is not synchronised (CLOCK-UNTRUSTED).
  bool require_synced_clock = false;
};

// Everything central sets that a decision reads. Version 0 = none received; the rule set then
// comes from the config file's [rules].
struct Policies {
  RuleSet rules;
  std::int64_t ruleset_version = 0;
  std::vector<msg::RiskProfile> risk_profiles;
  std::int64_t risk_profiles_version = 0;
  msg::PartyList allow_list;
  std::int64_t allow_list_version = 0;
  msg::PartyList deny_list;
  std::int64_t deny_list_version = 0;

  // Replaces the part of this kind (a ruleset's version string becomes "central-v<N>").
  void apply(const msg::Policy& policy);
  nlohmann::json versionsJson() const;
};

// The post's own state that limits green, kept by the daemon and read at decision time.
struct PostCondition {
  std::optional<WallMs> last_command_ms;  // last command from central accepted (any kind)
  bool storage_full = false;
  std::int64_t storage_used_bytes = 0;
  std::int64_t storage_max_bytes = 0;
  // The wall clock as the kernel sees it (edge/base/clock_watch.hpp). Unit tests that do not
  // care about the clock get a synchronised one.
  ClockSync clock{true, -1};
  // The latest wall time seen (ClockWatch::highWater): the lane judges expiry and the cache's
  // age at high_water.now(), so a backward step brings no expired declaration back.
  WallHighWater high_water;
};

// Picks the declaration for a normalised plate among the cached candidates: active, not
// expired, preferring one whose arrival window contains `now`, then the highest version.
struct Match {
  std::optional<msg::Declaration> declaration;
  int candidates = 0;
  int expired = 0;
};
Match matchDeclaration(const std::vector<msg::Declaration>& candidates, WallMs now);

// One distinct plate read for the vehicle.
struct PlateSeen {
  std::string plate_norm;
  std::string plate_raw;
  int confidence_pct = 0;
  std::string camera;
};

struct DecisionInput {
  std::string plate_norm;  // empty when no plate was read
  // Every distinct plate read for the vehicle, the one matched first. Two or more is a
  // PLATE-CONFLICT: which one is the truck's is for an officer to say, not for confidences.
  std::vector<PlateSeen> plate_reads;
  std::optional<std::int64_t> measured_gross_kg;
  Match match;
  // Screening: `required` says the lane has the device (or the declaration asks for the
  // control); a required screening without a result is a reason in itself.
  bool radiation_required = false;
  std::optional<msg::RadiationOccupancy> radiation;  // the completed occupancy (phase kEnd)
  bool xray_required = false;
  std::optional<msg::XrayResult> xray;
  WallMs now_ms = 0;  // for the cache age: never earlier than a time already seen
  PostCondition condition;
};

Decision decide(const DecisionInput& input, const Policies& policies);
// The same with only a rule set and no policies from central.
Decision decide(const DecisionInput& input, const RuleSet& rules);

}  // namespace kordon::lane
