// SPDX-License-Identifier: Apache-2.0
#pragma once

// Time is injected (LevelDB Env::NowMicros): logic that needs "now" takes a Clock, so unit
// tests are deterministic. Wall time is UTC milliseconds since the epoch; steady time is for
// timeouts and intervals only.

#include <chrono>
#include <cstdint>
#include <string>

namespace kordon {

using WallMs = std::int64_t;  // UTC milliseconds since 1970-01-01

class Clock {
 public:
  virtual ~Clock() = default;
  virtual WallMs nowWallMs() const = 0;
  virtual std::chrono::steady_clock::time_point nowSteady() const = 0;
};

class SystemClock final : public Clock {
 public:
  WallMs nowWallMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::chrono::steady_clock::time_point nowSteady() const override {
    return std::chrono::steady_clock::now();
  }
};

// "2026-11-21T10:25:00.123Z"
std::string formatUtcMs(WallMs t);
// Accepts "YYYY-MM-DDTHH:MM:SS[.fff](Z|+hh:mm|-hh:mm)"; returns false on anything else.
bool parseUtcMs(const std::string& text, WallMs* out);

}  // namespace kordon
