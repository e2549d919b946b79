// SPDX-License-Identifier: Apache-2.0
#pragma once

// Health of one device, carried on every reading (after ArduPilot RangeFinder::Status).
// A driver never invents a reading: without fresh data it reports kNoData, not a number.

#include <string_view>

namespace kordon::msg {

enum class DeviceHealth { kNotConnected, kNoData, kDegraded, kGood };

constexpr std::string_view toString(DeviceHealth h) {
  switch (h) {
    case DeviceHealth::kNotConnected:
      return "not_connected";
    case DeviceHealth::kNoData:
      return "no_data";
    case DeviceHealth::kDegraded:
      return "degraded";
    case DeviceHealth::kGood:
      return "good";
  }
  return "unknown";
}

}  // namespace kordon::msg
