// SPDX-License-Identifier: Apache-2.0
#include "drivers/barrier/sim_barrier.hpp"

#include "edge/base/log.hpp"

namespace kordon::drivers {

SimBarrier::SimBarrier(BarrierConfig config, boost::asio::io_context& io, const Clock& clock,
                       StatusCallback on_status)
    : config_(std::move(config)), timer_(io), clock_(clock), on_status_(std::move(on_status)) {}

void SimBarrier::start() { report(position_, ""); }

void SimBarrier::stop() { timer_.cancel(); }

void SimBarrier::requestOpen(const std::string& command_id) {
  log::info("barrier open requested", {{"device", config_.device_id}, {"command", command_id}});
  move(msg::BarrierPosition::kOpening, msg::BarrierPosition::kOpen, command_id);
}

void SimBarrier::requestClose(const std::string& command_id) {
  log::info("barrier close requested", {{"device", config_.device_id}, {"command", command_id}});
  move(msg::BarrierPosition::kClosing, msg::BarrierPosition::kClosed, command_id);
}

void SimBarrier::move(msg::BarrierPosition through, msg::BarrierPosition to,
                      const std::string& command_id) {
  if (position_ == to) {
    report(to, command_id);
    return;
  }
  report(through, command_id);
  timer_.expires_after(std::chrono::milliseconds(config_.travel_ms));
  timer_.async_wait([this, to, command_id](const boost::system::error_code& ec) {
    if (!ec) report(to, command_id);
  });
}

void SimBarrier::report(msg::BarrierPosition position, const std::string& command_id) {
  position_ = position;
  msg::BarrierStatus status;
  status.device_id = config_.device_id;
  status.lane = config_.lane;
  status.time_ms = clock_.nowWallMs();
  status.health = msg::DeviceHealth::kGood;
  status.position = position;
  status.command_id = command_id;
  if (on_status_) on_status_(status);
}

}  // namespace kordon::drivers
