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

nlohmann::json toJson(const std::vector<Reason>& reasons) {
  return fields_detail::Writer::write(reasons);
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
