// SPDX-License-Identifier: Apache-2.0
#include "edge/msg/corridor.hpp"

namespace kordon::msg {

const char* toString(Corridor c) {
  switch (c) {
    case Corridor::kGreen:
      return "green";
    case Corridor::kYellow:
      return "yellow";
    case Corridor::kRed:
      return "red";
  }
  return "yellow";
}

std::optional<Corridor> parseCorridor(std::string_view text) {
  if (text == "green") return Corridor::kGreen;
  if (text == "yellow") return Corridor::kYellow;
  if (text == "red") return Corridor::kRed;
  return std::nullopt;
}

nlohmann::json toJson(const Reason& r) {
  return {
      {"rule", r.rule}, {"corridor", toString(r.corridor)}, {"text", r.text}, {"values", r.values}};
}

nlohmann::json toJson(const std::vector<Reason>& reasons) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : reasons) out.push_back(toJson(r));
  return out;
}

Result<Reason> parseReason(const nlohmann::json& j) {
  if (!j.is_object()) return Status::error("reason: expected an object");
  Reason r;
  const auto rule = j.find("rule");
  const auto corridor = j.find("corridor");
  const auto text = j.find("text");
  if (rule == j.end() || !rule->is_string())
    return Status::error("reason: rule: expected a string");
  if (corridor == j.end() || !corridor->is_string()) {
    return Status::error("reason: corridor: expected a string");
  }
  const std::optional<Corridor> c = parseCorridor(corridor->get<std::string>());
  if (!c) return Status::error("reason: corridor: expected green, yellow or red");
  if (text == j.end() || !text->is_string())
    return Status::error("reason: text: expected a string");
  r.rule = rule->get<std::string>();
  r.corridor = *c;
  r.text = text->get<std::string>();
  if (const auto values = j.find("values"); values != j.end()) {
    if (!values->is_object()) return Status::error("reason: values: expected an object");
    r.values = *values;
  }
  return r;
}

const char* toString(PassageState s) {
  switch (s) {
    case PassageState::kOpen:
      return "open";
    case PassageState::kDecided:
      return "decided";
    case PassageState::kReleased:
      return "released";
    case PassageState::kDeparted:
      return "departed";
  }
  return "open";
}

std::optional<PassageState> parsePassageState(std::string_view text) {
  if (text == "open") return PassageState::kOpen;
  if (text == "decided") return PassageState::kDecided;
  if (text == "released") return PassageState::kReleased;
  if (text == "departed") return PassageState::kDeparted;
  return std::nullopt;
}

}  // namespace kordon::msg
