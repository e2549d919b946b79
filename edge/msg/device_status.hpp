// SPDX-License-Identifier: Apache-2.0
#pragma once

// A device's health as its driver sees it, published on every change (and by the lane as a
// device.health event). Counters travel along so health and its evidence arrive together.

#include <string>

#include <nlohmann/json.hpp>

#include "edge/base/clock.hpp"
#include "edge/msg/device_health.hpp"

namespace kordon::msg {

struct DeviceStatus {
  std::string device_id;
  std::string lane;
  std::string device_class;  // "weighbridge" | "radiation_portal" | "xray_scanner" | "anpr_camera"
  WallMs time_ms = 0;
  DeviceHealth health = DeviceHealth::kNotConnected;
  std::string reason;  // why it is not good, in the device's or the transport's words
  nlohmann::json counters = nlohmann::json::object();
};

}  // namespace kordon::msg
