// SPDX-License-Identifier: Apache-2.0
#include "drivers/weighbridge/modbus_weighbridge.hpp"

#include <algorithm>
#include <utility>

namespace kordon::drivers {
namespace {

using std::chrono::milliseconds;

Status requirePositive(const char* field, long long value) {
  if (value > 0) return Status::ok();
  return Status::error(std::string(field) + " must be > 0 (got " + std::to_string(value) + ")");
}

}  // namespace

Status checkWeighbridgeConfig(const WeighbridgeConfig& config) {
  Status status;
  if (config.device_id.empty()) status = Status::error("device_id must not be empty");
  if (status) status = requirePositive("poll_interval_ms", config.poll_interval_ms);
  if (status) status = requirePositive("response_timeout_ms", config.response_timeout_ms);
  if (status) status = requirePositive("backoff_initial_ms", config.backoff_initial_ms);
  if (status) status = requirePositive("stale_after_ms", config.stale_after_ms);
  if (status && config.backoff_max_ms < config.backoff_initial_ms) {
    status = Status::error("backoff_max_ms (" + std::to_string(config.backoff_max_ms) +
                           ") must be >= backoff_initial_ms (" +
                           std::to_string(config.backoff_initial_ms) + ")");
  }
  if (status && (config.unit_id < 0 || config.unit_id > 255)) {
    status =
        Status::error("unit_id must be in 0..255 (got " + std::to_string(config.unit_id) + ")");
  }
  if (status && config.stable_time_ms < 0) {
    status = Status::error("stable_time_ms must be >= 0 (got " +
                           std::to_string(config.stable_time_ms) + ")");
  }
  if (status && config.stable_band_kg < 0) {
    status = Status::error("stable_band_kg must be >= 0 (got " +
                           std::to_string(config.stable_band_kg) + ")");
  }
  if (status && config.parity != 'N' && config.parity != 'E' && config.parity != 'O') {
    status =
        Status::error(std::string("parity must be 'N', 'E' or 'O' (got '") + config.parity + "')");
  }
  if (status && (config.data_bits < 5 || config.data_bits > 8)) {
    status =
        Status::error("data_bits must be in 5..8 (got " + std::to_string(config.data_bits) + ")");
  }
  if (status && config.stop_bits != 1 && config.stop_bits != 2) {
    status =
        Status::error("stop_bits must be 1 or 2 (got " + std::to_string(config.stop_bits) + ")");
  }
  if (status) status = requirePositive("baud", config.baud);
  return status.withContext("weighbridge '" + config.device_id + "'");
}

ModbusWeighbridge::ModbusWeighbridge(WeighbridgeConfig config, const RegisterMap& map,
                                     std::unique_ptr<ModbusLink>&& link, ReadingCallback on_reading,
                                     const Clock& clock)
    : config_(std::move(config)),
      map_(map),
      link_(std::move(link)),
      clock_(clock),
      publisher_(config_, clock_, std::move(on_reading), link_->describe()),
      backoff_(config_.backoff_initial_ms) {}

ModbusWeighbridge::~ModbusWeighbridge() { stop(); }

void ModbusWeighbridge::start() {
  if (worker_.joinable()) return;
  io_.restart();
  scheduleStep(milliseconds(0));
  worker_ = std::thread([this] { io_.run(); });
}

void ModbusWeighbridge::stop() {
  if (!worker_.joinable()) return;
  // run() returns once the handler in progress (at worst a libmodbus call bounded by the
  // response timeout) is done.
  io_.stop();
  worker_.join();
  // The worker is gone, so the timer and link are ours: drain the cancelled wait so a later
  // start() begins with a single timer chain.
  timer_.cancel();
  io_.restart();
  io_.poll();
  link_->close();
  state_ = State::kConnect;
  consecutive_failures_ = 0;
  publisher_.resetStability();
}

void ModbusWeighbridge::scheduleStep(milliseconds delay) {
  timer_.expires_after(delay);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled by stop()
    scheduleStep(step());
  });
}

milliseconds ModbusWeighbridge::step() {
  switch (state_) {
    case State::kBackoff:
      state_ = State::kConnect;
      [[fallthrough]];
    case State::kConnect:
      return connectStep();
    case State::kPoll:
      return pollStep();
  }
  return milliseconds(config_.poll_interval_ms);
}

milliseconds ModbusWeighbridge::connectStep() {
  if (Status status = link_->connect(); !status) {
    publisher_.resetStability();
    publisher_.publish(msg::DeviceHealth::kNotConnected, clock_.nowSteady(), nullptr,
                       status.message(), counters_);
    return enterBackoff();
  }
  if (ever_connected_) ++counters_.reconnects;
  ever_connected_ = true;
  consecutive_failures_ = 0;
  heartbeat_.reset();  // a new baseline: the first reply after a connect is never "frozen"
  heartbeat_frozen_ = false;
  state_ = State::kPoll;
  return milliseconds(0);  // poll at once: health is unknown until the first reply
}

milliseconds ModbusWeighbridge::pollStep() {
  const auto block = link_->readHolding(config_.unit_id, map_.block_start, map_.block_count);
  const auto sampled_at = clock_.nowSteady();
  if (!block) return pollFailed(block.status());
  const auto sample = decodeWeight(*block, map_);
  if (!sample) return pollFailed(sample.status());
  if (heartbeatFrozen(*block, sampled_at)) {
    consecutive_failures_ = 0;  // the link works; the indicator behind it does not
    publisher_.resetStability();
    publisher_.publish(msg::DeviceHealth::kNoData, sampled_at, nullptr,
                       "heartbeat register " + std::to_string(map_.heartbeat_addr) + " stuck at " +
                           std::to_string(heartbeat_.value_or(0)) + " for more than stale_after_ms",
                       counters_);
    return milliseconds(config_.poll_interval_ms);
  }

  ++counters_.readings;
  consecutive_failures_ = 0;
  backoff_ = milliseconds(config_.backoff_initial_ms);
  last_good_at_ = sampled_at;
  publisher_.publish(msg::DeviceHealth::kGood, sampled_at, &*sample, "", counters_);
  return milliseconds(config_.poll_interval_ms);
}

bool ModbusWeighbridge::heartbeatFrozen(std::span<const std::uint16_t> block,
                                        std::chrono::steady_clock::time_point sampled_at) {
  if (map_.heartbeat_addr == kNoRegister) return false;
  const int offset = map_.heartbeat_addr - map_.block_start;
  if (offset < 0 || static_cast<std::size_t>(offset) + 1 >= block.size()) return false;
  const auto index = static_cast<std::size_t>(offset);
  const std::uint32_t value = (static_cast<std::uint32_t>(block[index]) << 16) | block[index + 1];
  if (!heartbeat_ || *heartbeat_ != value) {
    heartbeat_ = value;
    heartbeat_changed_at_ = sampled_at;
    heartbeat_frozen_ = false;
    return false;
  }
  if (sampled_at - heartbeat_changed_at_ <= milliseconds(config_.stale_after_ms)) return false;
  if (!heartbeat_frozen_) ++counters_.timeouts;  // once per frozen episode
  heartbeat_frozen_ = true;
  return true;
}

milliseconds ModbusWeighbridge::pollFailed(const Status& error) {
  if (isModbusTimeout(error)) {
    ++counters_.timeouts;
  } else {
    ++counters_.comms_errors;
  }
  publisher_.resetStability();
  const auto now = clock_.nowSteady();
  ++consecutive_failures_;
  if (!link_->isConnected() || consecutive_failures_ >= kMaxConsecutiveFailures) {
    link_->close();
    publisher_.publish(msg::DeviceHealth::kNotConnected, now, nullptr, error.message(), counters_);
    return enterBackoff();
  }
  const bool fresh = last_good_at_ && now - *last_good_at_ <= milliseconds(config_.stale_after_ms);
  publisher_.publish(fresh ? msg::DeviceHealth::kDegraded : msg::DeviceHealth::kNoData, now,
                     nullptr, error.message(), counters_);
  return milliseconds(config_.poll_interval_ms);
}

milliseconds ModbusWeighbridge::enterBackoff() {
  state_ = State::kBackoff;
  const milliseconds delay = backoff_;
  backoff_ = std::min(backoff_ * 2, milliseconds(config_.backoff_max_ms));
  return delay;
}

}  // namespace kordon::drivers
