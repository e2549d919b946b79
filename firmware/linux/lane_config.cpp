// SPDX-License-Identifier: Apache-2.0
#include "firmware/linux/lane_config.hpp"

#include "edge/base/address_filter.hpp"
#include "edge/base/config_reader.hpp"
#include "edge/base/http.hpp"

namespace kordon::firmware {
namespace {

GpioLine readLine(ConfigReader& r, const std::string& name, bool default_active_low) {
  GpioLine line;
  line.offset = static_cast<int>(r.getInt("gpio." + name + ".line", -1, -1, 1023));
  line.active_low = r.getBool("gpio." + name + ".active_low", default_active_low);
  return line;
}

Result<LaneAppConfig> read(ConfigReader& r, GpioWiring wiring) {
  LaneAppConfig c;
  c.core.pulse_ms = static_cast<std::uint32_t>(r.getInt("controller.pulse_ms", 500, 100, 5000));
  c.core.motion_timeout_ms =
      static_cast<std::uint32_t>(r.getInt("controller.motion_timeout_ms", 6000, 500, 120000));
  c.core.heartbeat_timeout_ms =
      static_cast<std::uint32_t>(r.getInt("controller.heartbeat_timeout_ms", 3000, 200, 60000));
  c.core.heartbeat_loss = r.getEnum("controller.heartbeat_loss", "close_when_clear",
                                    {"close_when_clear", "hold"}) == "hold"
                              ? HeartbeatLoss::kHold
                              : HeartbeatLoss::kCloseWhenClear;
  c.cycle_ms = static_cast<std::uint32_t>(r.getInt("controller.cycle_ms", 20, 5, 200));
  c.log_level = r.getEnum("controller.log_level", "info", {"debug", "info", "warn", "error"});

  auto& m = c.modbus;
  m.mode = r.getEnum("modbus.mode", "tcp", {"tcp", "rtu"});
  const std::string listen = r.getString("modbus.listen", "127.0.0.1:1602");
  if (!http::splitHostPort(listen, &m.host, &m.port)) r.fail("modbus.listen", "expected host:port");
  m.unit = static_cast<int>(r.getInt("modbus.unit", 1, 1, 247));
  m.serial_device = r.getString("modbus.serial_device", "");
  m.baud = static_cast<int>(r.getInt("modbus.baud", 19200, 300, 921600));
  m.parity = r.getEnum("modbus.parity", "N", {"N", "E", "O"})[0];
  m.data_bits = static_cast<int>(r.getInt("modbus.data_bits", 8, 5, 8));
  m.stop_bits = static_cast<int>(r.getInt("modbus.stop_bits", 1, 1, 2));
  m.allow_from = r.getStringArray("modbus.allow_from", m.allow_from);
  if (auto allow = AddressFilter::parse(m.allow_from); !allow) {
    r.fail("modbus.allow_from", allow.status().message());
  }
  if (m.mode == "rtu" && m.serial_device.empty())
    r.fail("modbus.serial_device", "required for rtu");

  auto& g = c.gpio;
  g.chip = r.getString("gpio.chip", g.chip);
  g.presence_loop = readLine(r, "presence_loop", false);
  g.safety_loop = readLine(r, "safety_loop", false);
  g.photocell = readLine(r, "photocell", false);
  g.limit_open = readLine(r, "limit_open", false);
  g.limit_closed = readLine(r, "limit_closed", false);
  g.loop_fault = readLine(r, "loop_fault", false);
  g.barrier_fault = readLine(r, "barrier_fault", false);
  g.open_relay = readLine(r, "open_relay", false);
  g.close_relay = readLine(r, "close_relay", false);
  g.green_relay = readLine(r, "green_relay", false);
  g.alarm_relay = readLine(r, "alarm_relay", false);
  if (wiring == GpioWiring::kRequired) {
    // Without these the controller can neither command nor see the barrier.
    for (const char* required : {"open_relay", "close_relay", "limit_open", "limit_closed"}) {
      if (!r.has(std::string("gpio.") + required + ".line")) {
        r.fail(std::string("gpio.") + required + ".line", "required: the barrier is wired here");
      }
    }
  }

  if (Status s = r.finish(); !s) return s;
  return c;
}

}  // namespace

Result<LaneAppConfig> parseLaneConfig(const std::string& text, const std::string& source,
                                      GpioWiring wiring) {
  Result<ConfigReader> r = ConfigReader::fromString(text, source);
  if (!r) return r.status();
  return read(*r, wiring);
}

Result<LaneAppConfig> readLaneConfigFile(const std::string& path, GpioWiring wiring) {
  Result<ConfigReader> r = ConfigReader::fromFile(path);
  if (!r) return r.status();
  return read(*r, wiring);
}

}  // namespace kordon::firmware
