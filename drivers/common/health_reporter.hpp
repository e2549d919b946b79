// SPDX-License-Identifier: Apache-2.0
#pragma once

// Publishes one device's health the way every driver must: the driver reports its health as
// often as it likes; the reporter keeps the current value and, only when it changes (or on the
// first report), logs one line ("<device_class> health changed", info when the new health is
// kGood, warn otherwise, with device_id, lane, link, from, to, reason and counters) and emits a
// msg::DeviceStatus (time from the clock, counters as JSON) through the status callback.
//
// Thread contract: report() is called from one thread only (the driver's worker; a driver may
// report from its owner thread before it starts the worker or after it joined it). health() may
// be called from any thread. The status callback runs inside report(), on the caller's thread.

#include <atomic>
#include <functional>
#include <optional>
#include <string>

#include "drivers/common/device_counters.hpp"
#include "edge/base/clock.hpp"
#include "edge/msg/device_health.hpp"
#include "edge/msg/device_status.hpp"

namespace kordon::drivers {

class HealthReporter {
 public:
  using StatusCallback = std::function<void(const msg::DeviceStatus&)>;

  // link_description names the transport in the log line (e.g. "10.0.0.5:1600", a folder).
  // on_status may be empty (then only the log line is written).
  HealthReporter(std::string device_id, std::string lane, std::string device_class,
                 std::string link_description, const Clock& clock, StatusCallback on_status);
  HealthReporter(const HealthReporter&) = delete;
  HealthReporter& operator=(const HealthReporter&) = delete;

  // Stores `health`; logs and emits only when it differs from the previous report (or this is
  // the first one). Returns whether it did.
  bool report(msg::DeviceHealth health, const std::string& reason, const DeviceCounters& counters);

  // The last reported health (kNotConnected before the first report). Any thread.
  msg::DeviceHealth health() const { return health_.load(); }

 private:
  const std::string device_id_;
  const std::string lane_;
  const std::string device_class_;
  const std::string link_description_;
  const Clock& clock_;
  const StatusCallback on_status_;
  std::atomic<msg::DeviceHealth> health_{msg::DeviceHealth::kNotConnected};
  std::optional<msg::DeviceHealth> published_;  // report() thread only
};

}  // namespace kordon::drivers
