// SPDX-License-Identifier: Apache-2.0
#pragma once

// Matching a vehicle to its declaration, and the corridor decision. Both are pure functions of
// their inputs (time included), so every decision can be replayed and explained.
//
// A decision always carries its reasons: the rule id, the corridor that rule asks for, a
// sentence for the operator, and the values that fired it. The corridor is the most severe
// one any rule asks for (green < yellow < red). Green needs positive reasons too: which
// declaration matched and that the weight agreed.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edge/base/clock.hpp"
#include "edge/msg/declaration.hpp"
#include "edge/msg/radiation_occupancy.hpp"
#include "edge/msg/xray_result.hpp"

namespace kordon::lane {

enum class Corridor { kGreen = 0, kYellow = 1, kRed = 2 };
const char* toString(Corridor c);

struct Reason {
  std::string rule;
  Corridor corridor = Corridor::kGreen;
  std::string text;
  nlohmann::json values = nlohmann::json::object();
};

struct Decision {
  Corridor corridor = Corridor::kYellow;
  std::vector<Reason> reasons;
  std::string ruleset;
};

nlohmann::json toJson(const Reason& r);
nlohmann::json toJson(const std::vector<Reason>& reasons);

struct RuleSet {
  std::string version = "builtin-1";
  // Allowed |measured - declared| is the larger of the two.
  double weight_tolerance_pct = 5.0;
  std::int64_t weight_tolerance_min_kg = 200;
};

// Picks the declaration for a normalised plate among the cached candidates: active, not
// expired, preferring one whose arrival window contains `now`, then the highest version.
struct Match {
  std::optional<msg::Declaration> declaration;
  int candidates = 0;
  int expired = 0;
};
Match matchDeclaration(const std::vector<msg::Declaration>& candidates, WallMs now);

struct DecisionInput {
  std::string plate_norm;  // empty when no plate was read
  std::optional<std::int64_t> measured_gross_kg;
  Match match;
  // Screening: `required` says the lane has the device (or the declaration asks for the
  // control); a required screening without a result is a reason in itself.
  bool radiation_required = false;
  std::optional<msg::RadiationOccupancy> radiation;  // the completed occupancy (phase kEnd)
  bool xray_required = false;
  std::optional<msg::XrayResult> xray;
};

Decision decide(const DecisionInput& input, const RuleSet& rules);

}  // namespace kordon::lane
