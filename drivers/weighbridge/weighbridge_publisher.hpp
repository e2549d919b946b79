// SPDX-License-Identifier: Apache-2.0
#pragma once

// Device-class publisher for weighbridges (PX4 PX4Rangefinder, STYLE.md §B): the one place that
// builds a msg::WeightReading, so the Modbus and Toledo drivers (and anything else that feeds
// the ReadingCallback) cannot forget a field or disagree on the rules. For every outcome the
// driver reports, publish():
//   - fills device_id and lane from the config, time_ms from the Clock, sampled_at and health;
//   - carries a weight only with kGood and a sample in kStable/kMotion: the StabilityFilter
//     decides kStable (indicator flag AND band/time), else kMotion. Any other sample state
//     (under zero, overload, indicator fault) resets the filter and is passed through with
//     gross_kg 0. Any health other than kGood is state kError, gross_kg 0; the driver calls
//     resetStability() wherever the window must restart (failed poll, bad frame, link drop);
//   - logs on health transitions only (PX4 perf counters: counters instead of log spam), with
//     the link, the reason and the counters;
//   - hands the reading to the ReadingCallback.
//
// Thread-safety: publish() and resetStability() are called only on the driver's worker thread
// (or by the driver's owner after that worker has been joined, as stop() does); the callback runs
// on that thread. health() may be read from any thread.

#include <atomic>
#include <chrono>
#include <optional>
#include <string>

#include "drivers/common/device_counters.hpp"
#include "drivers/weighbridge/stability_filter.hpp"
#include "drivers/weighbridge/weighbridge.hpp"
#include "drivers/weighbridge/weight_decoder.hpp"
#include "edge/base/clock.hpp"
#include "edge/msg/device_health.hpp"

namespace kordon::drivers {

class WeighbridgePublisher {
 public:
  // Uses device_id, lane, stable_band_kg and stable_time_ms of `config`. `clock` must outlive
  // the publisher.
  // link_description ("tcp 10.0.0.5:502", "/dev/ttyUSB0 9600 8N1") names the transport in the
  // health-change log line; it is fixed for the driver's life.
  WeighbridgePublisher(const WeighbridgeConfig& config, const Clock& clock,
                       Weighbridge::ReadingCallback on_reading, std::string link_description);
  WeighbridgePublisher(const WeighbridgePublisher&) = delete;
  WeighbridgePublisher& operator=(const WeighbridgePublisher&) = delete;

  // Builds and delivers the reading for one outcome. `sample` is used only with kGood (may be
  // null otherwise). `reason` appears only in the health-change log line.
  void publish(msg::DeviceHealth health, std::chrono::steady_clock::time_point sampled_at,
               const WeightSample* sample, const std::string& reason,
               const DeviceCounters& counters);

  // Restarts the stability window: the next kStable needs a full stable_time_ms again.
  void resetStability() { filter_.reset(); }

  // The health of the last published reading (kNotConnected before the first).
  msg::DeviceHealth health() const { return health_.load(); }

 private:
  const std::string device_id_;
  const std::string lane_;
  const std::string link_description_;
  const Clock& clock_;
  const Weighbridge::ReadingCallback on_reading_;
  std::atomic<msg::DeviceHealth> health_{msg::DeviceHealth::kNotConnected};

  // Touched only by the thread calling publish().
  StabilityFilter filter_;
  std::optional<msg::DeviceHealth> published_health_;
};

}  // namespace kordon::drivers
