// SPDX-License-Identifier: Apache-2.0
// makeWeighbridge(): a name -> factory table (ArduPilot serial_rangefinder_definitions[]).
// A new transport is a new row.

#include <algorithm>
#include <array>
#include <chrono>
#include <string_view>
#include <utility>

#include "drivers/common/modbus_link.hpp"
#include "drivers/weighbridge/modbus_weighbridge.hpp"
#include "drivers/weighbridge/register_map.hpp"
#include "drivers/weighbridge/toledo_weighbridge.hpp"
#include "drivers/weighbridge/weighbridge.hpp"

namespace kordon::drivers {
namespace {

using Factory = Result<std::unique_ptr<Weighbridge>> (*)(const WeighbridgeConfig&,
                                                         const RegisterMap&,
                                                         Weighbridge::ReadingCallback,
                                                         const Clock&);

Result<std::unique_ptr<Weighbridge>> makeModbusTcp(const WeighbridgeConfig& config,
                                                   const RegisterMap& map,
                                                   Weighbridge::ReadingCallback on_reading,
                                                   const Clock& clock) {
  auto link = LibmodbusLink::tcp({.host = config.host, .port = config.port},
                                 std::chrono::milliseconds(config.response_timeout_ms));
  if (!link) return link.status();
  return std::unique_ptr<Weighbridge>(std::make_unique<ModbusWeighbridge>(
      config, map, std::move(*link), std::move(on_reading), clock));
}

Result<std::unique_ptr<Weighbridge>> makeModbusRtu(const WeighbridgeConfig& config,
                                                   const RegisterMap& map,
                                                   Weighbridge::ReadingCallback on_reading,
                                                   const Clock& clock) {
  auto link = LibmodbusLink::rtu({.device = config.serial_device,
                                  .baud = config.baud,
                                  .parity = config.parity,
                                  .data_bits = config.data_bits,
                                  .stop_bits = config.stop_bits},
                                 std::chrono::milliseconds(config.response_timeout_ms));
  if (!link) return link.status();
  return std::unique_ptr<Weighbridge>(std::make_unique<ModbusWeighbridge>(
      config, map, std::move(*link), std::move(on_reading), clock));
}

// Toledo continuous has no register map; `map` is ignored.
Result<std::unique_ptr<Weighbridge>> makeToledoTcp(const WeighbridgeConfig& config,
                                                   const RegisterMap&,
                                                   Weighbridge::ReadingCallback on_reading,
                                                   const Clock& clock) {
  return std::unique_ptr<Weighbridge>(std::make_unique<ToledoWeighbridge>(
      config, ToledoWeighbridge::Transport::kTcp, std::move(on_reading), clock));
}

Result<std::unique_ptr<Weighbridge>> makeToledoSerial(const WeighbridgeConfig& config,
                                                      const RegisterMap&,
                                                      Weighbridge::ReadingCallback on_reading,
                                                      const Clock& clock) {
  return std::unique_ptr<Weighbridge>(std::make_unique<ToledoWeighbridge>(
      config, ToledoWeighbridge::Transport::kSerial, std::move(on_reading), clock));
}

struct FactoryEntry {
  std::string_view type;
  Factory make;
  bool uses_register_map;
};

constexpr std::array kFactories{
    FactoryEntry{"modbus-tcp", &makeModbusTcp, true},
    FactoryEntry{"modbus-rtu", &makeModbusRtu, true},
    FactoryEntry{"toledo-tcp", &makeToledoTcp, false},
    FactoryEntry{"toledo-serial", &makeToledoSerial, false},
};

std::string knownTypes() {
  std::string names;
  for (const auto& entry : kFactories) {
    if (!names.empty()) names += ", ";
    names += entry.type;
  }
  return names;
}

}  // namespace

Result<std::unique_ptr<Weighbridge>> makeWeighbridge(const WeighbridgeConfig& config,
                                                     const DeviceContext& context,
                                                     Weighbridge::Sink sink) {
  // The driver's worker reports; the sink hears it on the loop.
  Weighbridge::ReadingCallback on_reading = postedToLoop(context.loop, std::move(sink.reading));
  const Clock& clock = context.clock;
  const auto entry = std::find_if(kFactories.begin(), kFactories.end(),
                                  [&](const FactoryEntry& e) { return e.type == config.type; });
  if (entry == kFactories.end()) {
    return Status::error("unknown weighbridge type '" + config.type + "' (known: " + knownTypes() +
                         ")");
  }
  const RegisterMap* map =
      findRegisterMap(entry->uses_register_map ? config.register_map : "laumas");
  if (map == nullptr) {
    return Status::error("unknown weighbridge register map '" + config.register_map +
                         "' (known: " + knownRegisterMapNames() + ")");
  }
  if (Status status = checkWeighbridgeConfig(config); !status) return status;
  if (!on_reading) {
    return Status::error("weighbridge '" + config.device_id + "': no reading callback");
  }
  return entry->make(config, *map, std::move(on_reading), clock);
}

}  // namespace kordon::drivers
