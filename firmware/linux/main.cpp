// SPDX-License-Identifier: Apache-2.0
// kordon-lane: the lane controller on the box (docs/LANE.md). It drives the barrier, light and
// loops through libgpiod and answers kordond over Modbus. The simulated lane of the tests and
// the demo is another program (kordon-sim-lane, simulators/lane_sim): this binary contains no
// simulated barrier.
//
//   kordon-lane --config /etc/kordon/kordon-lane.toml                 (the box; systemd unit)
//     kordond: [lanes.barrier] type = "lane-modbus-tcp"  host = "127.0.0.1"  port = 1602

#include <chrono>
#include <memory>
#include <string>

#include <systemd/sd-daemon.h>

#include "edge/base/log.hpp"
#include "edge/base/signals.hpp"
#include "firmware/linux/gpio_hal.hpp"
#include "firmware/linux/lane_config.hpp"
#include "firmware/linux/lane_options.hpp"
#include "firmware/linux/lane_runtime.hpp"

namespace kordon::firmware {
namespace {

int run(int argc, char** argv) {
  installStopHandlers();
  OptionParser options("kordon-lane", "The lane controller: barrier, light and loops (libgpiod).");
  LaneCommandLine line;
  addLaneOptions(options, &line);
  if (Status s = loadLaneConfig(options, argc, argv, &line, GpioWiring::kRequired); !s) {
    return reportOptionError(options, s);
  }
  const LaneAppConfig& config = line.config;

  Result<std::unique_ptr<GpioLines>> lines = openGpiodChip(config.gpio.chip, "kordon-lane");
  if (!lines) {
    log::error("cannot open gpio chip", {{"error", lines.status().message()}});
    return 1;
  }
  auto last_kick = std::make_shared<std::chrono::steady_clock::time_point>();
  GpioHal hal(**lines, config.gpio, [last_kick] {
    // systemd's WatchdogSec: a stalled control loop stops these and gets restarted.
    const auto now = std::chrono::steady_clock::now();
    if (now - *last_kick >= std::chrono::seconds(1)) {
      *last_kick = now;
      sd_notify(0, "WATCHDOG=1");
    }
  });
  // The outputs are at rest from here on (S4).
  if (Status s = hal.open(); !s) {
    log::error("cannot request gpio lines", {{"error", s.message()}});
    return 1;
  }
  LaneRuntime runtime(config, hal);
  if (Status s = runtime.open(); !s) {
    log::error("cannot start modbus server", {{"error", s.message()}});
    return 1;
  }
  runtime.run();
  return 0;
}

}  // namespace
}  // namespace kordon::firmware

int main(int argc, char** argv) { return kordon::firmware::run(argc, argv); }
