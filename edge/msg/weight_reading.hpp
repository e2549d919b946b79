// SPDX-License-Identifier: Apache-2.0
#pragma once

// One weighbridge sample as the lane sees it. Motion, overload and under-zero are states,
// never numbers: gross_kg is meaningful only in kStable and kMotion.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "edge/base/clock.hpp"
#include "edge/msg/device_health.hpp"

namespace kordon::msg {

enum class WeightState { kStable, kMotion, kOverload, kUnderZero, kError };

constexpr std::string_view toString(WeightState s) {
  switch (s) {
    case WeightState::kStable:
      return "stable";
    case WeightState::kMotion:
      return "motion";
    case WeightState::kOverload:
      return "overload";
    case WeightState::kUnderZero:
      return "under_zero";
    case WeightState::kError:
      return "error";
  }
  return "unknown";
}

struct WeightReading {
  std::string device_id;
  std::string lane;
  WallMs time_ms = 0;
  std::chrono::steady_clock::time_point sampled_at{};
  DeviceHealth health = DeviceHealth::kNoData;
  WeightState state = WeightState::kError;
  std::int64_t gross_kg = 0;  // valid only for kStable and kMotion
};

}  // namespace kordon::msg
