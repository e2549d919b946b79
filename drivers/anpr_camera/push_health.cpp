// SPDX-License-Identifier: Apache-2.0
#include <bit>
#include <utility>

#include <nlohmann/json.hpp>

#include "drivers/anpr_camera/anpr_camera.hpp"
#include "edge/base/log.hpp"

namespace kordon::drivers {

namespace {
constexpr unsigned kWindowMask = (1u << kHealthWindowRequests) - 1;
}  // namespace

http::Response notSavedResponse(const std::string& reason) {
  http::Response response = http::Response::json(
      503, nlohmann::json{{"ok", false}, {"error", "not saved: " + reason}}.dump(
               -1, ' ', false, nlohmann::json::error_handler_t::replace));
  response.headers["Retry-After"] = "5";
  return response;
}

PushHealth::PushHealth(const CameraConfig& config, const Clock& clock,
                       AnprCamera::StatusCallback on_status)
    : config_(config),
      clock_(clock),
      on_status_(std::move(on_status)),
      started_(clock.nowSteady()) {}

void PushHealth::recordOutcome(bool error) {
  recent_outcomes_ = ((recent_outcomes_ << 1) | (error ? 1u : 0u)) & kWindowMask;
  if (recent_count_ < kHealthWindowRequests) ++recent_count_;
}

int PushHealth::recentErrors() const { return std::popcount(recent_outcomes_); }

void PushHealth::onValidRequest(bool had_errors) {
  last_contact_ = clock_.nowSteady();
  recordOutcome(had_errors);
}

void PushHealth::onRejectedRequest() { recordOutcome(true); }

msg::DeviceStatus PushHealth::status(const DeviceCounters& counters) const {
  msg::DeviceStatus status;
  status.device_id = config_.device_id;
  status.lane = config_.lane;
  status.device_class = "anpr_camera";
  status.time_ms = clock_.nowWallMs();
  status.counters = counters.toJson();
  const auto now = clock_.nowSteady();
  const auto stale_after = std::chrono::milliseconds(config_.stale_after_ms);
  const std::string stale_text = std::to_string(config_.stale_after_ms) + " ms";
  if (!last_contact_) {
    if (now - started_ < stale_after) {
      status.health = msg::DeviceHealth::kNotConnected;
      status.reason = "no event or heartbeat from the camera yet";
    } else {
      status.health = msg::DeviceHealth::kNoData;
      status.reason = "no event or heartbeat from the camera since start (" + stale_text + ")";
    }
  } else if (now - *last_contact_ >= stale_after) {
    status.health = msg::DeviceHealth::kNoData;
    status.reason = "no event or heartbeat for " + stale_text;
  } else if (recentErrors() >= kDegradedErrorCount) {
    status.health = msg::DeviceHealth::kDegraded;
    status.reason = std::to_string(recentErrors()) + " of the last " +
                    std::to_string(recent_count_) + " requests had errors";
  } else {
    status.health = msg::DeviceHealth::kGood;
  }
  if (status.health != msg::DeviceHealth::kGood && recentErrors() > 0 &&
      status.health != msg::DeviceHealth::kDegraded) {
    status.reason += "; " + std::to_string(recentErrors()) + " of the last " +
                     std::to_string(recent_count_) + " requests had errors";
  }
  return status;
}

void PushHealth::publishIfChanged(const DeviceCounters& counters) {
  msg::DeviceStatus now = status(counters);
  if (published_ && *published_ == now.health) return;
  const bool first = !published_.has_value();
  published_ = now.health;
  if (now.health == msg::DeviceHealth::kGood) {
    if (!first) log::info("anpr camera healthy again", {{"camera", config_.device_id}});
  } else if (now.health != msg::DeviceHealth::kNotConnected) {
    log::warn("anpr camera health changed", {{"camera", config_.device_id},
                                             {"health", std::string(toString(now.health))},
                                             {"reason", now.reason}});
  }
  if (on_status_) on_status_(now);
}

void PushHealth::noteEvidence(const Status& written) {
  if (!written && !evidence_failing_) {
    evidence_failing_ = true;
    log::warn("evidence store failing; pushes are answered 503 until it takes pictures again",
              {{"camera", config_.device_id}, {"error", written.message()}});
  } else if (written && evidence_failing_) {
    evidence_failing_ = false;
    log::info("evidence store recovered", {{"camera", config_.device_id}});
  }
}

}  // namespace kordon::drivers
