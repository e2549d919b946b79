// SPDX-License-Identifier: Apache-2.0
#include "firmware/linux/lane_options.hpp"

#include <algorithm>
#include <iostream>

#include "edge/base/address_filter.hpp"
#include "edge/base/http.hpp"
#include "edge/base/log.hpp"

namespace kordon::firmware {

void addLaneOptions(OptionParser& options, LaneCommandLine* line) {
  LaneAppConfig& c = line->config;
  options.value("--config", "FILE", "TOML configuration (systemd/kordon-lane.toml.example)",
                &line->config_path);
  options.custom("--modbus", "HOST:PORT", "serve Modbus TCP here", [&c](std::string_view v) {
    c.modbus.mode = "tcp";
    return http::splitHostPort(std::string(v), &c.modbus.host, &c.modbus.port)
               ? std::string()
               : std::string("expected host:port");
  });
  options.custom("--rtu", "DEVICE", "serve Modbus RTU on this serial device",
                 [&c](std::string_view v) {
                   c.modbus.mode = "rtu";
                   c.modbus.serial_device = std::string(v);
                   return std::string();
                 });
  options.custom("--allow-from", "A,B", "who may connect over TCP (as modbus.allow_from)",
                 [&c](std::string_view v) {
                   c.modbus.allow_from.clear();
                   std::size_t start = 0;
                   while (start <= v.size()) {
                     const std::size_t comma = std::min(v.find(',', start), v.size());
                     if (comma > start) {
                       c.modbus.allow_from.emplace_back(v.substr(start, comma - start));
                     }
                     start = comma + 1;
                   }
                   auto allow = AddressFilter::parse(c.modbus.allow_from);
                   return allow ? std::string() : allow.status().message();
                 });
  options.number("--baud", "N", "RTU baud rate", 300, 921600, &c.modbus.baud);
  options.number("--unit", "N", "RTU unit id", 1, 247, &c.modbus.unit);
  options.number("--heartbeat-timeout-ms", "N", "kordond's heartbeat is lost after this long", 1,
                 10000000, &c.core.heartbeat_timeout_ms);
  options.number("--pulse-ms", "N", "open and close pulse length", 1, 10000000, &c.core.pulse_ms);
}

Status loadLaneConfig(OptionParser& options, int argc, char** argv, LaneCommandLine* line,
                      GpioWiring wiring) {
  if (Status s = options.parse(argc, argv); !s) return s;
  // Without a file every key takes its default, and the box still needs its wiring.
  Result<LaneAppConfig> loaded = line->config_path.empty()
                                     ? parseLaneConfig("", "(no --config)", wiring)
                                     : readLaneConfigFile(line->config_path, wiring);
  if (!loaded) return loaded.status();
  line->config = std::move(*loaded);
  if (Status s = options.parse(argc, argv); !s) return s;  // the command line wins
  log::Level level = log::Level::kInfo;
  log::parseLevel(line->config.log_level, &level);
  log::configure(level, log::Format::kJson, options.program());
  return Status::ok();
}

int reportOptionError(const OptionParser& options, const Status& status) {
  if (status.message() == OptionParser::kHelp) {
    std::cout << options.usage();
    return 0;
  }
  std::cerr << status.message() << "\n" << options.usage();
  return 2;
}

}  // namespace kordon::firmware
