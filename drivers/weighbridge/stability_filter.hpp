// SPDX-License-Identifier: Apache-2.0
#pragma once

// Software stability check on top of the indicator's own flag. Indicator stability filters are
// short and configurable by whoever commissions the scale; the lane must not take a weight while
// a truck is still rolling on. A weight is stable when:
//   1. the indicator flags the current sample stable, and
//   2. every sample of the last `stable_time` lies within `stable_band_kg` of every other
//      (max - min <= band), and
//   3. the indicator has flagged stable without a break for at least `stable_time`.
// A sample the indicator flags unstable, a timestamp going backwards, reset() (the driver calls
// it when a poll fails) or a gap between samples longer than `stable_time` restarts the window.
//
// Pure: time is passed in, nothing is read from a clock. Not thread-safe; one owner.

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>

namespace kordon::drivers {

class StabilityFilter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  StabilityFilter(std::int64_t stable_band_kg, std::chrono::milliseconds stable_time);

  // Adds one sample and returns whether the weight is now stable.
  bool feed(TimePoint sampled_at, std::int64_t gross_kg, bool indicator_stable);
  void reset();
  bool isStable() const { return stable_; }

 private:
  struct Sample {
    TimePoint at;
    std::int64_t gross_kg;
  };

  std::int64_t stable_band_kg_;
  std::chrono::milliseconds stable_time_;
  std::optional<TimePoint> run_started_at_;  // first sample of the unbroken indicator-stable run
  std::deque<Sample> window_;                // samples of the last stable_time_, oldest first
  bool stable_ = false;
};

}  // namespace kordon::drivers
