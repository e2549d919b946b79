// SPDX-License-Identifier: Apache-2.0
#include "drivers/weighbridge/weighbridge_publisher.hpp"

#include <utility>

#include "edge/base/log.hpp"

namespace kordon::drivers {

WeighbridgePublisher::WeighbridgePublisher(const WeighbridgeConfig& config, const Clock& clock,
                                           Weighbridge::ReadingCallback on_reading,
                                           std::string link_description)
    : device_id_(config.device_id),
      lane_(config.lane),
      link_description_(std::move(link_description)),
      clock_(clock),
      on_reading_(std::move(on_reading)),
      filter_(config.stable_band_kg, std::chrono::milliseconds(config.stable_time_ms)) {}

void WeighbridgePublisher::publish(msg::DeviceHealth health,
                                   std::chrono::steady_clock::time_point sampled_at,
                                   const WeightSample* sample, const std::string& reason,
                                   const DeviceCounters& counters) {
  msg::WeightReading reading;
  reading.device_id = device_id_;
  reading.lane = lane_;
  reading.time_ms = clock_.nowWallMs();
  reading.sampled_at = sampled_at;
  reading.health = health;
  reading.state = msg::WeightState::kError;
  reading.gross_kg = 0;

  if (health == msg::DeviceHealth::kGood && sample != nullptr) {
    reading.state = sample->state;
    const bool weighing =
        sample->state == msg::WeightState::kStable || sample->state == msg::WeightState::kMotion;
    if (weighing) {
      const bool stable =
          filter_.feed(sampled_at, sample->gross_kg, sample->state == msg::WeightState::kStable);
      reading.state = stable ? msg::WeightState::kStable : msg::WeightState::kMotion;
      reading.gross_kg = sample->gross_kg;
    } else {
      filter_.reset();  // under zero, overload, indicator fault: a number means nothing here
    }
  }

  health_.store(health);
  if (published_health_ != health) {
    const auto level = health == msg::DeviceHealth::kGood ? log::Level::kInfo : log::Level::kWarn;
    log::write(level, "weighbridge health changed",
               {{"device_id", device_id_},
                {"lane", lane_},
                {"link", link_description_},
                {"from", published_health_ ? toString(*published_health_) : "none"},
                {"to", toString(health)},
                {"reason", reason},
                {"counters", counters.toJson()}});
    published_health_ = health;
  }
  on_reading_(reading);
}

}  // namespace kordon::drivers
