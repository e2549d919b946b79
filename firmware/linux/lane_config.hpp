// SPDX-License-Identifier: Apache-2.0
#pragma once

// kordon-lane's TOML configuration (systemd/kordon-lane.toml.example documents every key).
// Unknown keys are errors, as in kordond's config.

#include <string>

#include "edge/base/status.hpp"
#include "firmware/core/lane_core.hpp"
#include "firmware/linux/gpio_hal.hpp"
#include "firmware/linux/modbus_server.hpp"

namespace kordon::firmware {

struct LaneAppConfig {
  CoreConfig core;
  std::uint32_t cycle_ms = 20;  // control loop period
  ModbusServerConfig modbus;
  std::string hal = "gpio";  // "gpio" or "sim"
  GpioMap gpio;
  std::uint32_t sim_travel_ms = 1500;
  std::string sim_control;  // "127.0.0.1:8601", empty: no control surface
  std::string log_level = "info";
};

// `source` names the text in error messages. Empty text gives the defaults.
Result<LaneAppConfig> parseLaneConfig(const std::string& text, const std::string& source);
Result<LaneAppConfig> readLaneConfigFile(const std::string& path);

}  // namespace kordon::firmware
