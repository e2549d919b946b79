// SPDX-License-Identifier: Apache-2.0
// kordon-lane: the lane controller (docs/LANE.md). On the box it drives the barrier, light and
// loops through libgpiod; with --hal sim it runs the same controller against a simulated
// barrier and becomes the barrier simulator of the HIL tests (STYLE.md §C).
//
// Run recipes:
//   kordon-lane --config /etc/kordon/kordon-lane.toml                 (the box; systemd unit)
//   kordon-lane --hal sim --modbus 127.0.0.1:1602 --control 127.0.0.1:8602 [--travel-ms 800]
//     kordond: [lanes.barrier] type = "lane-modbus-tcp"  host = "127.0.0.1"  port = 1602
//   socat -d -d pty,raw,echo=0,link=/tmp/lane/a pty,raw,echo=0,link=/tmp/lane/b &
//   kordon-lane --hal sim --rtu /tmp/lane/a --baud 19200
//     kordond: type = "lane-modbus-rtu"  serial_device = "/tmp/lane/b"  baud = 19200
//
// Control API of the simulated lane (--control HOST:PORT, --hal sim only):
//   POST /inputs?presence_loop=1&safety_loop=0&photocell_broken=0   vehicles on the loops
//   POST /fault?loop_fault=0&barrier_fault=0&stale=0&stuck=0&limits_broken=0
//   GET  /state   {"barrier","position_ms","outputs",{...},"alarms","inputs",...}
//   GET  /log     the command log, newest last
// Every parameter is optional; the ones given are set. Each log record is also printed as a
// JSON log line ("lane command").
//
// Threads: the main thread runs the control cycle; the Modbus server and the HTTP control
// surface run on their own threads. All three touch the controller under one mutex.

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>
#include <systemd/sd-daemon.h>

#include "edge/base/http.hpp"
#include "edge/base/log.hpp"
#include "firmware/core/lane_controller.hpp"
#include "firmware/host/sim_hal.hpp"
#include "firmware/linux/gpio_hal.hpp"
#include "firmware/linux/lane_config.hpp"
#include "firmware/linux/modbus_server.hpp"

namespace kordon::firmware {
namespace {

std::atomic<bool> g_stop{false};

void onSignal(int) { g_stop = true; }

void usage() {
  std::fprintf(stderr,
               "usage: kordon-lane [--config FILE] [--hal gpio|sim] [--modbus HOST:PORT]\n"
               "                   [--rtu DEVICE] [--baud N] [--unit N] [--allow-from A,B]\n"
               "                   [--control HOST:PORT]\n"
               "                   [--travel-ms N] [--heartbeat-timeout-ms N] [--pulse-ms N]\n");
}

bool parseUint(const char* text, std::uint32_t* out) {
  char* end = nullptr;
  const unsigned long v = std::strtoul(text, &end, 10);
  if (end == text || *end != '\0' || v > 10000000UL) return false;
  *out = static_cast<std::uint32_t>(v);
  return true;
}

// Applies the command line over the config file. False on a malformed argument.
bool applyArgs(int argc, char** argv, LaneAppConfig& c, std::string& config_path) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return false;
    const char* value = argv[++i];
    std::uint32_t n = 0;
    if (arg == "--config") {
      config_path = value;
    } else if (arg == "--hal") {
      c.hal = value;
      if (c.hal != "gpio" && c.hal != "sim") return false;
    } else if (arg == "--modbus") {
      c.modbus.mode = "tcp";
      if (!http::splitHostPort(value, &c.modbus.host, &c.modbus.port)) return false;
    } else if (arg == "--rtu") {
      c.modbus.mode = "rtu";
      c.modbus.serial_device = value;
    } else if (arg == "--baud" && parseUint(value, &n)) {
      c.modbus.baud = static_cast<int>(n);
    } else if (arg == "--unit" && parseUint(value, &n) && n >= 1 && n <= 247) {
      c.modbus.unit = static_cast<int>(n);
    } else if (arg == "--allow-from") {
      // Comma-separated addresses or CIDR blocks, as modbus.allow_from.
      c.modbus.allow_from.clear();
      std::string list = value;
      for (std::size_t start = 0; start <= list.size();) {
        const std::size_t comma = std::min(list.find(',', start), list.size());
        if (comma > start) c.modbus.allow_from.push_back(list.substr(start, comma - start));
        start = comma + 1;
      }
    } else if (arg == "--control") {
      c.sim_control = value;
    } else if (arg == "--travel-ms" && parseUint(value, &n)) {
      c.sim_travel_ms = n;
    } else if (arg == "--heartbeat-timeout-ms" && parseUint(value, &n) && n > 0) {
      c.core.heartbeat_timeout_ms = n;
    } else if (arg == "--pulse-ms" && parseUint(value, &n) && n > 0) {
      c.core.pulse_ms = n;
    } else {
      return false;
    }
  }
  return true;
}

nlohmann::json recordJson(const LogRecord& r) {
  const Inputs in = decodeInputs(r.inputs);
  return {{"seq", r.seq},
          {"time_ms", r.time_ms},
          {"action", toString(r.action)},
          {"reason", toString(r.reason)},
          {"barrier", toString(r.barrier)},
          {"presence_loop", in.presence_loop},
          {"safety_loop", in.safety_loop},
          {"photocell_broken", in.photocell_broken},
          {"limit_open", in.limit_open},
          {"limit_closed", in.limit_closed},
          {"loop_fault", in.loop_fault},
          {"barrier_fault", in.barrier_fault},
          {"stale", in.stale},
          {"alarms", r.alarms}};
}

// The simulated lane's control surface. Runs on the HTTP thread; locks `mutex`.
http::Response control(const http::Request& req, std::mutex& mutex, SimHal& sim,
                       const LaneController& controller, const ModbusServer& server) {
  std::lock_guard lock(mutex);
  auto flag = [&req](const char* name, bool& field) {
    const std::string v = req.param(name);
    if (!v.empty()) field = v == "1" || v == "true";
  };
  SimWorld& w = sim.world();
  if (req.method == "POST" && req.path == "/inputs") {
    flag("presence_loop", w.presence_loop);
    flag("safety_loop", w.safety_loop);
    flag("photocell_broken", w.photocell_broken);
    return http::Response::json(200, R"({"ok":true})");
  }
  if (req.method == "POST" && req.path == "/fault") {
    flag("loop_fault", w.loop_fault);
    flag("barrier_fault", w.barrier_fault);
    flag("stale", w.stale);
    flag("stuck", w.stuck);
    flag("limits_broken", w.limits_swapped_broken);
    return http::Response::json(200, R"({"ok":true})");
  }
  if (req.method == "GET" && req.path == "/state") {
    const CoreState& s = controller.core().state();
    const Outputs out = controller.core().outputs();
    nlohmann::json j = {{"barrier", toString(s.barrier)},
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
    return http::Response::json(200, j.dump());
  }
  if (req.method == "GET" && req.path == "/log") {
    nlohmann::json records = nlohmann::json::array();
    const CommandLog& log = controller.log();
    for (std::uint32_t age = log.size(); age-- > 0;) records.push_back(recordJson(log.newest(age)));
    return http::Response::json(200, records.dump());
  }
  return http::Response::json(404, R"({"error":"unknown endpoint"})");
}

std::uint32_t uptimeMs(std::chrono::steady_clock::time_point start) {
  return static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now() - start)
                                        .count());
}

int run(int argc, char** argv) {
  LaneAppConfig config;
  std::string config_path;
  {
    LaneAppConfig probe;
    if (!applyArgs(argc, argv, probe, config_path)) {
      usage();
      return 2;
    }
  }
  if (!config_path.empty()) {
    Result<LaneAppConfig> loaded = readLaneConfigFile(config_path);
    if (!loaded) {
      log::error("bad configuration", {{"error", loaded.status().message()}});
      return 1;
    }
    config = *loaded;
  }
  applyArgs(argc, argv, config, config_path);  // the command line wins over the file
  log::Level level = log::Level::kInfo;
  log::parseLevel(config.log_level, &level);
  log::configure(level, log::Format::kJson, "kordon-lane");

  // The HAL. Its outputs are at rest from here on (S4).
  std::unique_ptr<SimHal> sim;
  std::unique_ptr<GpioLines> lines;
  std::unique_ptr<GpioHal> gpio;
  Hal* hal = nullptr;
  if (config.hal == "sim") {
    sim = std::make_unique<SimHal>(config.sim_travel_ms);
    hal = sim.get();
  } else {
    Result<std::unique_ptr<GpioLines>> opened = openGpiodChip(config.gpio.chip, "kordon-lane");
    if (!opened) {
      log::error("cannot open gpio chip", {{"error", opened.status().message()}});
      return 1;
    }
    lines = std::move(*opened);
    auto last_kick = std::make_shared<std::chrono::steady_clock::time_point>();
    gpio = std::make_unique<GpioHal>(*lines, config.gpio, [last_kick] {
      // systemd's WatchdogSec: a stalled control loop stops these and gets restarted.
      const auto now = std::chrono::steady_clock::now();
      if (now - *last_kick >= std::chrono::seconds(1)) {
        *last_kick = now;
        sd_notify(0, "WATCHDOG=1");
      }
    });
    if (Status s = gpio->open(); !s) {
      log::error("cannot request gpio lines", {{"error", s.message()}});
      return 1;
    }
    hal = gpio.get();
  }

  std::mutex mutex;
  LaneController controller(config.core, *hal);
  ModbusServer server(config.modbus, controller, mutex);
  if (Status s = server.open(); !s) {
    log::error("cannot start modbus server", {{"error", s.message()}});
    return 1;
  }
  std::thread modbus_thread([&server] { server.run(); });

  boost::asio::io_context io;
  std::unique_ptr<http::Server> http_server;
  std::thread http_thread;
  if (sim && !config.sim_control.empty()) {
    std::string host;
    std::uint16_t port = 0;
    if (!http::splitHostPort(config.sim_control, &host, &port)) {
      log::error("bad --control", {{"value", config.sim_control}});
      g_stop = true;
    } else {
      http_server = std::make_unique<http::Server>(io, [&](const http::Request& req) {
        return control(req, mutex, *sim, controller, server);
      });
      Result<std::uint16_t> bound = http_server->listen(host, port);
      if (!bound) {
        log::error("cannot listen for control", {{"error", bound.status().message()}});
        g_stop = true;
      } else {
        log::info("control listening", {{"port", *bound}});
        http_thread = std::thread([&io] { io.run(); });
      }
    }
  }

  log::info("lane controller started",
            {{"hal", config.hal},
             {"modbus", config.modbus.mode == "tcp"
                            ? config.modbus.host + ":" + std::to_string(config.modbus.port)
                            : config.modbus.serial_device},
             {"heartbeat_timeout_ms", config.core.heartbeat_timeout_ms}});
  sd_notify(0, "READY=1");

  const auto start = std::chrono::steady_clock::now();
  std::uint32_t printed = 0;
  while (!g_stop) {
    {
      std::lock_guard lock(mutex);
      const std::uint32_t now = uptimeMs(start);
      if (sim) sim->advance(now);
      controller.cycle(now);
      // Print each new command record once (the ring keeps the last CommandLog::kCapacity).
      const CommandLog& log = controller.log();
      const std::uint32_t fresh = std::min(log.total() - printed, log.size());
      for (std::uint32_t age = fresh; age-- > 0;)
        log::info("lane command", {{"record", recordJson(log.newest(age))}});
      printed = log.total();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(config.cycle_ms));
  }

  sd_notify(0, "STOPPING=1");
  server.stop();
  modbus_thread.join();
  if (http_server) http_server->stop();
  io.stop();
  if (http_thread.joinable()) http_thread.join();
  {
    std::lock_guard lock(mutex);
    hal->writeOutputs(Outputs{});  // leave every relay at rest
  }
  log::info("lane controller stopped", {});
  return 0;
}

}  // namespace
}  // namespace kordon::firmware

int main(int argc, char** argv) {
  struct sigaction sa {};
  sa.sa_handler = kordon::firmware::onSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return kordon::firmware::run(argc, argv);
}
