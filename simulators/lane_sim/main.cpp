// SPDX-License-Identifier: Apache-2.0
// kordon-sim-lane: the lane controller of the box (firmware/: the same core, command log, Modbus
// server and control cycle as kordon-lane) over a simulated barrier, so kordond's barrier driver
// talks to the real controller in HIL tests and the demo (STYLE.md §C, AP_Periph SITL).
//
//   kordon-sim-lane --modbus 127.0.0.1:1602 --control 127.0.0.1:8505 [--travel-ms 800]
//     kordond: [lanes.barrier] type = "lane-modbus-tcp"  host = "127.0.0.1"  port = 1602
//   socat -d -d pty,raw,echo=0,link=/tmp/lane/a pty,raw,echo=0,link=/tmp/lane/b &
//   kordon-sim-lane --rtu /tmp/lane/a --baud 19200
//     kordond: type = "lane-modbus-rtu"  serial_device = "/tmp/lane/b"  baud = 19200
// It also reads kordon-lane's --config file (its [gpio] section is not used).
//
// Control API (--control HOST:PORT):
//   POST /inputs?presence_loop=1&safety_loop=0&photocell_broken=0   vehicles on the loops
//   POST /fault?loop_fault=0&barrier_fault=0&stale=0&stuck=0&limits_broken=0
//   GET  /state   {"barrier","position_ms","outputs",{...},"alarms","inputs",...}
//   GET  /log     the command log, newest last
// Every parameter is optional; the ones given are set (a bad one: 400, nothing set).
//
// Threads: the main thread runs the control cycle; the Modbus server and the control surface
// run on their own threads. All three touch the controller and the simulated world under the
// runtime's mutex.

#include <string>

#include <nlohmann/json.hpp>

#include "edge/base/log.hpp"
#include "edge/base/signals.hpp"
#include "firmware/linux/lane_options.hpp"
#include "firmware/linux/lane_runtime.hpp"
#include "simulators/common/control_server.hpp"
#include "simulators/common/knobs.hpp"
#include "simulators/lane_sim/sim_hal.hpp"

namespace kordon::sim {
namespace {

using firmware::CommandLog;
using firmware::CoreState;
using firmware::LaneRuntime;
using firmware::Outputs;

nlohmann::json stateJson(const SimHal& sim, const firmware::LaneController& controller,
                         const firmware::ModbusServer& server) {
  const CoreState& s = controller.core().state();
  const Outputs out = controller.core().outputs();
  return {{"barrier", toString(s.barrier)},
          {"position_ms", sim.positionMs()},
          {"travel_ms", sim.travelMs()},
          {"open_pulses", sim.openPulses()},
          {"close_pulses", sim.closePulses()},
          {"inputs", encodeInputs(s.inputs)},
          {"alarms", s.alarms},
          {"heartbeat_alive", s.heartbeat_alive},
          {"released", s.released},
          {"vehicles", s.vehicles},
          {"green_light", out.green_light},
          {"alarm", out.alarm},
          {"open_pulse", out.open_pulse},
          {"close_pulse", out.close_pulse},
          {"log_count", controller.log().total()},
          {"refused_clients", server.refusedClients()}};
}

int run(int argc, char** argv) {
  installStopHandlers();
  OptionParser options("kordon-sim-lane",
                       "The lane controller over a simulated barrier, for tests and the demo.");
  firmware::LaneCommandLine line;
  firmware::addLaneOptions(options, &line);
  std::uint32_t travel_ms = 1500;
  std::string control;
  options.number("--travel-ms", "N", "the simulated boom's travel time", 0, 60000, &travel_ms);
  options.value("--control", "HOST:PORT", "the control surface (none without)", &control);
  if (Status s =
          firmware::loadLaneConfig(options, argc, argv, &line, firmware::GpioWiring::kNotUsed);
      !s) {
    return firmware::reportOptionError(options, s);
  }

  SimHal sim(travel_ms);
  LaneRuntime runtime(line.config, sim);
  if (Status s = runtime.open(); !s) {
    log::error("cannot start modbus server", {{"error", s.message()}});
    return 1;
  }
  SimWorld& world = sim.world();
  Knobs inputs;
  inputs.flag("presence_loop", &world.presence_loop);
  inputs.flag("safety_loop", &world.safety_loop);
  inputs.flag("photocell_broken", &world.photocell_broken);
  Knobs faults;
  faults.flag("loop_fault", &world.loop_fault);
  faults.flag("barrier_fault", &world.barrier_fault);
  faults.flag("stale", &world.stale);
  faults.flag("stuck", &world.stuck);
  faults.flag("limits_broken", &world.limits_swapped_broken);

  ControlThread control_thread([&](const http::Request& req) {
    MutexLock lock(runtime.mutex());
    auto set = [&req](Knobs& knobs) {
      if (auto error = knobs.apply(req)) {
        return http::Response::json(400, nlohmann::json{{"error", *error}}.dump());
      }
      return http::Response::json(200, R"({"ok":true})");
    };
    if (req.method == "POST" && req.path == "/inputs") return set(inputs);
    if (req.method == "POST" && req.path == "/fault") return set(faults);
    if (req.method == "GET" && req.path == "/state") {
      return http::Response::json(200,
                                  stateJson(sim, runtime.controller(), runtime.server()).dump());
    }
    if (req.method == "GET" && req.path == "/log") {
      nlohmann::json records = nlohmann::json::array();
      const CommandLog& log = runtime.controller().log();
      for (std::uint32_t age = log.size(); age-- > 0;) {
        records.push_back(firmware::recordJson(log.newest(age)));
      }
      return http::Response::json(200, records.dump());
    }
    return http::Response::json(404, R"({"error":"unknown endpoint"})");
  });
  if (!control.empty()) {
    if (Result<std::uint16_t> bound = control_thread.start(control); !bound) {
      log::error("cannot listen for control", {{"error", bound.status().message()}});
      return 1;
    }
  }
  runtime.run([&sim](std::uint32_t now_ms) { sim.advance(now_ms); });
  return 0;
}

}  // namespace
}  // namespace kordon::sim

int main(int argc, char** argv) { return kordon::sim::run(argc, argv); }
