// SPDX-License-Identifier: Apache-2.0
#pragma once

// Policies from central's risk management unit, and their wire form (downlink payload on
// kordon/v1/{post}/cmd/policy, schema "kordon.policy/1"; see docs/CONTRACTS.md §7):
//   {"schema":"kordon.policy/1","kind":"ruleset"|"risk_profiles"|"allow_list"|"deny_list",
//    "version":7,"issued":"2026-11-21T09:00:00Z","body":{...},"sig":"<128 hex>"}
// One policy of each kind is in force at a time; a newer version replaces the whole of it.
// Bodies by kind:
//   ruleset:       {"weight_tolerance_pct":5.0,"weight_tolerance_min_kg":200,
//                   "max_cache_age_s":86400,"require_synced_clock":false}
//                                                  (all optional; max_cache_age_s 0 = no limit;
//                                                   require_synced_clock: no green while the
//                                                   kernel says the clock is unsynchronised)
//   risk_profiles: {"profiles":[{"id":"RP-2026-014","corridor":"yellow"|"red","text":"...",
//                   "match":{"hs_prefix":["8703"],"consignor":["..."],"consignee":["..."],
//                            "origin_country":["CN"],"plate":["123ABC02"]}}]}
//                  A profile matches when every criterion it lists matches (any one value of a
//                  list is enough); it must list at least one.
//   allow_list / deny_list: {"plates":["123 ABC 02"],"companies":["123456789012"]}
//                  Plates are normalised as declarations' are; companies (BIN/TIN) are compared
//                  upper-cased without spaces against the declaration's consignor and consignee.
// The parser is pure and checks sizes, so a hostile message costs bounded memory and time.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "edge/base/status.hpp"

namespace kordon::msg {

inline constexpr const char* kPolicySchema = "kordon.policy/1";
inline constexpr std::size_t kMaxPolicyBytes = 4 * 1024 * 1024;  // whole message, checked first
inline constexpr std::size_t kMaxPolicyEntries = 10000;          // profiles, plates, companies
inline constexpr std::size_t kMaxPolicyStringBytes = 256;

enum class PolicyKind { kRuleset, kRiskProfiles, kAllowList, kDenyList };
const char* toString(PolicyKind kind);

struct RulesetPolicy {
  double weight_tolerance_pct = 5.0;
  std::int64_t weight_tolerance_min_kg = 200;
  std::int64_t max_cache_age_s = 0;
  bool require_synced_clock = false;
};

struct RiskProfile {
  std::string id;
  std::string corridor;  // "yellow" or "red"
  std::string text;
  std::vector<std::string> hs_prefixes;       // digits
  std::vector<std::string> consignors;        // normaliseParty()
  std::vector<std::string> consignees;        // normaliseParty()
  std::vector<std::string> origin_countries;  // ISO 3166 alpha-2, upper case
  std::vector<std::string> plates;            // normalisePlate()
};

struct PartyList {
  std::vector<std::string> plates;     // normalisePlate()
  std::vector<std::string> companies;  // normaliseParty()
  bool empty() const { return plates.empty() && companies.empty(); }
};

struct Policy {
  PolicyKind kind = PolicyKind::kRuleset;
  std::int64_t version = 0;
  std::string issued;                      // RFC 3339 UTC as sent
  RulesetPolicy ruleset;                   // kind kRuleset
  std::vector<RiskProfile> risk_profiles;  // kind kRiskProfiles
  PartyList list;                          // kinds kAllowList and kDenyList
};

// Parses and validates the wire form ("sig" is ignored: verifying it is the receiver's job).
// Errors name the offending field, e.g. "body.profiles[3].corridor: expected yellow or red".
Result<Policy> parsePolicy(const nlohmann::json& wire);
// Company identifiers compare upper-cased (ASCII) without spaces.
std::string normaliseParty(std::string_view party);

}  // namespace kordon::msg
