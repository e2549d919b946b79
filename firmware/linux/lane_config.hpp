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
  GpioMap gpio;
  std::string log_level = "info";
};

// Whether the file must wire the barrier's GPIO lines: the box does; the simulated lane
// (simulators/lane_sim) has no lines and reads the same file for the rest.
enum class GpioWiring { kRequired, kNotUsed };

// `source` names the text in error messages. Empty text gives the defaults.
Result<LaneAppConfig> parseLaneConfig(const std::string& text, const std::string& source,
                                      GpioWiring wiring = GpioWiring::kRequired);
Result<LaneAppConfig> readLaneConfigFile(const std::string& path,
                                         GpioWiring wiring = GpioWiring::kRequired);

}  // namespace kordon::firmware
