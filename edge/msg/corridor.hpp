// SPDX-License-Identifier: Apache-2.0
#pragma once

// The customs corridor and the reasons for it: what passage.decided carries, what the kiosk
// shows an officer and what central counts. The rules that produce them are the lane's
// (edge/kordond/lane/decision.hpp); their names and values are listed in docs/CONTRACTS.md §1.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "edge/base/status.hpp"
#include "edge/msg/event_fields.hpp"

namespace kordon::msg {

enum class Corridor { kGreen = 0, kYellow = 1, kRed = 2 };
const char* toString(Corridor c);
std::optional<Corridor> parseCorridor(std::string_view text);

template <>
struct EnumText<Corridor> {
  static const char* text(Corridor c) { return toString(c); }
  static std::optional<Corridor> parse(std::string_view s) { return parseCorridor(s); }
};

struct Reason {
  std::string rule;  // "WEIGHT-TOLERANCE"
  Corridor corridor = Corridor::kGreen;
  std::string text;  // in words, for the officer
  nlohmann::json values = nlohmann::json::object();
  template <class V, class S>  // event_fields.hpp: toJson(reason), parsePayload<Reason>
  static void fields(V& v, S& s) {
    v.req("rule", s.rule);
    v.req("corridor", s.corridor);
    v.req("text", s.text);
    v.req("values", s.values);
  }
};

// The reasons as passage.decided and the passages table carry them.
nlohmann::json toJson(const std::vector<Reason>& reasons);

// Where a passage is: open (on the lane, not yet decided), decided, released (the barrier
// opened for it), departed (it left the weighbridge).
enum class PassageState { kOpen, kDecided, kReleased, kDeparted };
const char* toString(PassageState s);
std::optional<PassageState> parsePassageState(std::string_view text);

}  // namespace kordon::msg
