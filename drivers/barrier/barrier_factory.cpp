// SPDX-License-Identifier: Apache-2.0
// makeBarrier(): the name -> factory table (STYLE.md §B).

#include <map>

#include <boost/asio/post.hpp>

#include "drivers/barrier/barrier.hpp"
#include "drivers/barrier/lane_modbus_barrier.hpp"
#include "drivers/barrier/sim_barrier.hpp"
#include "drivers/common/modbus_link.hpp"

namespace kordon::drivers {
namespace {

using BarrierFactory = Result<std::unique_ptr<Barrier>> (*)(const BarrierConfig&,
                                                            boost::asio::io_context&, const Clock&,
                                                            Barrier::StatusCallback);

Status checkLaneConfig(const BarrierConfig& c) {
  if (c.poll_interval_ms <= 0 || c.response_timeout_ms <= 0 || c.heartbeat_ms <= 0 ||
      c.backoff_initial_ms <= 0 || c.backoff_max_ms < c.backoff_initial_ms) {
    return Status::error("barrier '" + c.device_id +
                         "': poll_ms, timeout_ms, heartbeat_ms must be > 0");
  }
  return Status::ok();
}

// The driver runs on its own worker thread; its reports are post()ed into the control loop.
Result<std::unique_ptr<Barrier>> makeLane(const BarrierConfig& c, boost::asio::io_context& io,
                                          const Clock& clock, Barrier::StatusCallback cb,
                                          Result<std::unique_ptr<LibmodbusLink>> link) {
  if (Status s = checkLaneConfig(c); !s) return s;
  if (!link) return link.status().withContext("barrier '" + c.device_id + "'");
  auto on_status = [&io, cb = std::move(cb)](const msg::BarrierStatus& status) {
    boost::asio::post(io, [cb, status] { cb(status); });
  };
  return std::unique_ptr<Barrier>(
      std::make_unique<LaneModbusBarrier>(c, std::move(*link), std::move(on_status), clock));
}

const std::map<std::string, BarrierFactory>& barrierFactories() {
  static const std::map<std::string, BarrierFactory> kFactories = {
      {"sim",
       [](const BarrierConfig& c, boost::asio::io_context& io, const Clock& clock,
          Barrier::StatusCallback cb) -> Result<std::unique_ptr<Barrier>> {
         return std::unique_ptr<Barrier>(std::make_unique<SimBarrier>(c, io, clock, std::move(cb)));
       }},
      {"lane-modbus-tcp",
       [](const BarrierConfig& c, boost::asio::io_context& io, const Clock& clock,
          Barrier::StatusCallback cb) {
         return makeLane(c, io, clock, std::move(cb),
                         LibmodbusLink::tcp({.host = c.host, .port = c.port},
                                            std::chrono::milliseconds(c.response_timeout_ms)));
       }},
      {"lane-modbus-rtu",
       [](const BarrierConfig& c, boost::asio::io_context& io, const Clock& clock,
          Barrier::StatusCallback cb) {
         return makeLane(c, io, clock, std::move(cb),
                         LibmodbusLink::rtu({.device = c.serial_device,
                                             .baud = c.baud,
                                             .parity = c.parity,
                                             .data_bits = c.data_bits,
                                             .stop_bits = c.stop_bits},
                                            std::chrono::milliseconds(c.response_timeout_ms)));
       }},
  };
  return kFactories;
}

}  // namespace

Result<std::unique_ptr<Barrier>> makeBarrier(const BarrierConfig& config,
                                             const DeviceContext& context, Barrier::Sink sink) {
  const auto& factories = barrierFactories();
  auto it = factories.find(config.type);
  if (it == factories.end()) {
    std::string known;
    for (const auto& [name, _] : factories) known += (known.empty() ? "" : ", ") + name;
    return Status::error("unknown barrier type '" + config.type + "' (known: " + known + ")");
  }
  return it->second(config, context.loop, context.clock, std::move(sink.status));
}

}  // namespace kordon::drivers
