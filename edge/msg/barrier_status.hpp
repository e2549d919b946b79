// SPDX-License-Identifier: Apache-2.0
#pragma once

// What a barrier driver reports back after a command or a change of position.

#include <string>
#include <string_view>

#include "edge/base/clock.hpp"
#include "edge/msg/device_health.hpp"

namespace kordon::msg {

enum class BarrierPosition { kUnknown, kClosed, kOpening, kOpen, kClosing };

constexpr std::string_view toString(BarrierPosition p) {
  switch (p) {
    case BarrierPosition::kUnknown:
      return "unknown";
    case BarrierPosition::kClosed:
      return "closed";
    case BarrierPosition::kOpening:
      return "opening";
    case BarrierPosition::kOpen:
      return "open";
    case BarrierPosition::kClosing:
      return "closing";
  }
  return "unknown";
}

struct BarrierStatus {
  std::string device_id;
  std::string lane;
  WallMs time_ms = 0;
  DeviceHealth health = DeviceHealth::kNoData;
  BarrierPosition position = BarrierPosition::kUnknown;
  std::string command_id;  // the command this status answers, empty for spontaneous changes
};

}  // namespace kordon::msg
