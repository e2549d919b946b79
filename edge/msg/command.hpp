// SPDX-License-Identifier: Apache-2.0
#pragma once

// What every command from central carries besides its body (docs/CONTRACTS.md §2).
//
// Who asked for it: central's API adds, before it signs,
//   "issued_by": {"credential": "keden-declarations", "role": "declarant"},
//   "issued_at": "2026-12-03T10:00:00.000Z"
// and the post copies both into the event that records what it did with the command, so every
// change to what a lane decides names the central credential behind it. Commands from before
// central's API had credentials carry neither.
//
// Versions: declarations and policies are replaced by a higher version only, and a version may
// be at most kMaxVersion and at most kMaxVersionStep above the one the post holds (or above 0
// for a new one). So one bad write cannot push a declaration out of reach of every later update:
// the most it can do is take kMaxVersionStep versions, and central's next version above it wins.

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "edge/base/status.hpp"

namespace kordon::msg {

inline constexpr std::int64_t kMaxVersion = 2'000'000'000;
inline constexpr std::int64_t kMaxVersionStep = 1000;

struct CommandOrigin {
  std::string credential;      // the central API token's name
  std::string role;            // declarant | risk | admin
  std::string issued_at;       // RFC 3339, as central wrote it
  template <class V, class S>  // as events' issued_by carries it (event_fields.hpp)
  static void fields(V& v, S& s) {
    v.req("credential", s.credential);
    v.req("role", s.role);
    v.req("issued_at", s.issued_at);
  }
};

// nullopt when the command names no origin. Errors name the field.
Result<std::optional<CommandOrigin>> parseCommandOrigin(const nlohmann::json& command);

// Ok when `version` may replace `stored` (nullopt: nothing held); otherwise why not.
Status checkVersionStep(std::int64_t version, std::optional<std::int64_t> stored);

}  // namespace kordon::msg
