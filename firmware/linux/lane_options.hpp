// SPDX-License-Identifier: Apache-2.0
#pragma once

// The command line that kordon-lane and the simulated lane share: --config FILE, then options
// that win over the file (--modbus, --rtu, --allow-from, --baud, --unit, --heartbeat-timeout-ms,
// --pulse-ms).

#include <string>

#include "edge/base/options.hpp"
#include "firmware/linux/lane_config.hpp"

namespace kordon::firmware {

struct LaneCommandLine {
  LaneAppConfig config;
  std::string config_path;
};

// Declares the shared options, bound to `line`.
void addLaneOptions(OptionParser& options, LaneCommandLine* line);
// Parses the command line for --config, reads that file (defaults without one), then parses
// the command line again over it; configures logging from the result.
Status loadLaneConfig(OptionParser& options, int argc, char** argv, LaneCommandLine* line,
                      GpioWiring wiring);
// Prints usage (exit 0 for --help) or the error and usage (exit 2); returns the exit code.
int reportOptionError(const OptionParser& options, const Status& status);

}  // namespace kordon::firmware
