// SPDX-License-Identifier: Apache-2.0
#pragma once

// Per-device counters (PX4 perf counters): counted, not logged. Drivers log only on health
// changes. Atomic so the control loop can read them while a bus worker thread updates them.

#include <atomic>
#include <cstdint>

#include <nlohmann/json.hpp>

namespace kordon::drivers {

struct DeviceCounters {
  std::atomic<std::uint64_t> comms_errors{0};  // malformed frames, CRC, exceptions, parse errors
  std::atomic<std::uint64_t> timeouts{0};
  std::atomic<std::uint64_t> reconnects{0};
  std::atomic<std::uint64_t> readings{0};
  // Readings the device was told were not saved (evidence or journal write failed); it re-sends.
  std::atomic<std::uint64_t> store_failures{0};
  // Connections refused for what they asked (a DICOM association proposing nothing supported,
  // from the wrong address): the sender's configuration is wrong, not the wire.
  std::atomic<std::uint64_t> refusals{0};

  nlohmann::json toJson() const {
    return {{"comms_errors", comms_errors.load()},     {"timeouts", timeouts.load()},
            {"reconnects", reconnects.load()},         {"readings", readings.load()},
            {"store_failures", store_failures.load()}, {"refusals", refusals.load()}};
  }
};

}  // namespace kordon::drivers
