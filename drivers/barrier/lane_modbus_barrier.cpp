// SPDX-License-Identifier: Apache-2.0
#include "drivers/barrier/lane_modbus_barrier.hpp"

#include <algorithm>

#include "edge/base/log.hpp"

namespace kordon::drivers {

using std::chrono::milliseconds;

LaneModbusBarrier::LaneModbusBarrier(BarrierConfig config, std::unique_ptr<ModbusLink>&& link,
                                     StatusCallback on_status, const Clock& clock)
    : config_(std::move(config)),
      link_(std::move(link)),
      on_status_(std::move(on_status)),
      clock_(clock),
      backoff_(config_.backoff_initial_ms) {}

LaneModbusBarrier::~LaneModbusBarrier() { stop(); }

void LaneModbusBarrier::start() {
  if (worker_.joinable()) return;
  io_.restart();
  scheduleStep(milliseconds(0));
  worker_ = std::thread([this] { io_.run(); });
}

void LaneModbusBarrier::stop() {
  if (!worker_.joinable()) return;
  io_.stop();  // returns after the step in progress (bounded by the response timeout)
  worker_.join();
  timer_.cancel();
  io_.restart();
  io_.poll();
  link_->close();
  connected_ = false;
}

void LaneModbusBarrier::requestOpen(const std::string& command_id) {
  log::info("barrier open requested", {{"device", config_.device_id}, {"command", command_id}});
  queue(lane::Command::kOpen, command_id);
}

void LaneModbusBarrier::requestClose(const std::string& command_id) {
  log::info("barrier close requested", {{"device", config_.device_id}, {"command", command_id}});
  queue(lane::Command::kClose, command_id);
}

void LaneModbusBarrier::queue(lane::Command command, const std::string& command_id) {
  MutexLock lock(queue_mutex_);
  queue_.emplace_back(command, command_id);
}

void LaneModbusBarrier::scheduleStep(milliseconds delay) {
  timer_.expires_after(delay);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    scheduleStep(step());
  });
}

milliseconds LaneModbusBarrier::step() {
  if (!connected_) {
    if (Status s = link_->connect(); !s) {
      publish(msg::DeviceHealth::kNotConnected, msg::BarrierPosition::kUnknown, false);
      const milliseconds delay = backoff_;
      backoff_ = std::min(backoff_ * 2, milliseconds(config_.backoff_max_ms));
      return delay;
    }
    if (ever_connected_) ++counters_.reconnects;
    ever_connected_ = true;
    connected_ = true;
    consecutive_failures_ = 0;
    next_heartbeat_ = {};  // at once: the controller refuses to open without a heartbeat
  }
  return runStep();
}

milliseconds LaneModbusBarrier::runStep() {
  const auto now = clock_.nowSteady();
  if (now >= next_heartbeat_) {
    if (Status s =
            link_->writeRegister(config_.unit_id, lane::kHeartbeatRegister, ++heartbeat_counter_);
        !s) {
      return failed(s);
    }
    next_heartbeat_ = now + milliseconds(config_.heartbeat_ms);
  }

  std::pair<lane::Command, std::string> command;
  bool have_command = false;
  {
    MutexLock lock(queue_mutex_);
    if (!queue_.empty()) {
      command = queue_.front();
      have_command = true;
    }
  }
  bool force = false;
  if (have_command) {
    // A retry after a failed write reuses the sequence, so the controller runs it once.
    if (!retrying_) {
      if (++sequence_ == 0) sequence_ = 1;
      last_command_value_ = lane::encodeCommand(sequence_, command.first);
      command_id_ = command.second;
    }
    if (Status s =
            link_->writeRegister(config_.unit_id, lane::kCommandRegister, last_command_value_);
        !s) {
      retrying_ = true;
      return failed(s);
    }
    retrying_ = false;
    MutexLock lock(queue_mutex_);
    queue_.pop_front();
    reported_result_ = false;
    force = true;
  }

  auto block = link_->readHolding(config_.unit_id, lane::kStatusStart, lane::kStatusCount);
  if (!block) return failed(block.status());
  auto status = lane::decodeLaneStatus(*block);
  if (!status) {
    ++counters_.comms_errors;
    publish(msg::DeviceHealth::kNoData, msg::BarrierPosition::kUnknown, false);
    return milliseconds(config_.poll_interval_ms);
  }
  ++counters_.readings;
  consecutive_failures_ = 0;
  backoff_ = milliseconds(config_.backoff_initial_ms);
  if (!reported_result_ && status->command_echo == last_command_value_) {
    reported_result_ = true;
    if (status->command_result == lane::CommandResult::kRefused ||
        status->command_result == lane::CommandResult::kDeferred) {
      log::warn("lane controller did not carry out the command",
                {{"device", config_.device_id},
                 {"command", command_id_},
                 {"result",
                  status->command_result == lane::CommandResult::kRefused ? "refused" : "deferred"},
                 {"alarms", status->alarms},
                 {"inputs", status->inputs}});
    }
  }
  const bool faulty = (status->alarms & lane::kDeviceFaultAlarms) != 0;
  publish(faulty ? msg::DeviceHealth::kDegraded : msg::DeviceHealth::kGood, status->position,
          force);
  const auto until_heartbeat =
      std::chrono::duration_cast<milliseconds>(next_heartbeat_ - clock_.nowSteady());
  return std::clamp(until_heartbeat, milliseconds(0), milliseconds(config_.poll_interval_ms));
}

milliseconds LaneModbusBarrier::failed(const Status& error) {
  if (isModbusTimeout(error)) {
    ++counters_.timeouts;
  } else {
    ++counters_.comms_errors;
  }
  ++consecutive_failures_;
  if (!link_->isConnected() || consecutive_failures_ >= kMaxConsecutiveFailures) {
    link_->close();
    connected_ = false;
    if (health_ != msg::DeviceHealth::kNotConnected) {
      log::warn("lane controller link lost",
                {{"device", config_.device_id}, {"error", error.message()}});
    }
    publish(msg::DeviceHealth::kNotConnected, msg::BarrierPosition::kUnknown, false);
    return milliseconds(config_.backoff_initial_ms);
  }
  publish(msg::DeviceHealth::kNoData, position_, false);
  return milliseconds(config_.poll_interval_ms);
}

void LaneModbusBarrier::publish(msg::DeviceHealth health, msg::BarrierPosition position,
                                bool force) {
  if (published_ && !force && health == health_ && position == position_) return;
  if (health != health_) {
    log::info("barrier health", {{"device", config_.device_id},
                                 {"health", std::string(msg::toString(health))},
                                 {"link", link_->describe()}});
  }
  published_ = true;
  health_ = health;
  position_ = position;
  msg::BarrierStatus status;
  status.device_id = config_.device_id;
  status.lane = config_.lane;
  status.time_ms = clock_.nowWallMs();
  status.health = health;
  status.position = position;
  status.command_id = command_id_;
  if (on_status_) on_status_(status);
}

}  // namespace kordon::drivers
