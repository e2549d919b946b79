// SPDX-License-Identifier: Apache-2.0
#include "drivers/common/health_reporter.hpp"

#include <utility>

#include "edge/base/log.hpp"

namespace kordon::drivers {

HealthReporter::HealthReporter(std::string device_id, std::string lane, std::string device_class,
                               std::string link_description, const Clock& clock,
                               StatusCallback on_status)
    : device_id_(std::move(device_id)),
      lane_(std::move(lane)),
      device_class_(std::move(device_class)),
      link_description_(std::move(link_description)),
      clock_(clock),
      on_status_(std::move(on_status)) {}

bool HealthReporter::report(msg::DeviceHealth health, const std::string& reason,
                            const DeviceCounters& counters) {
  health_.store(health);
  if (published_ == health) return false;
  const nlohmann::json counters_json = counters.toJson();
  const auto level = health == msg::DeviceHealth::kGood ? log::Level::kInfo : log::Level::kWarn;
  log::write(level, device_class_ + " health changed",
             {{"device_id", device_id_},
              {"lane", lane_},
              {"link", link_description_},
              {"from", published_ ? toString(*published_) : "none"},
              {"to", toString(health)},
              {"reason", reason},
              {"counters", counters_json}});
  published_ = health;
  if (!on_status_) return true;
  msg::DeviceStatus status;
  status.device_id = device_id_;
  status.lane = lane_;
  status.device_class = device_class_;
  status.time_ms = clock_.nowWallMs();
  status.health = health;
  status.reason = reason;
  status.counters = counters_json;
  on_status_(status);
  return true;
}

}  // namespace kordon::drivers
