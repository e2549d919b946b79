// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the post knows about its own wall clock. The wall clock can be stepped (an NTP client
// correcting a box that booted with the wrong time, an officer's `date -s`); the monotonic clock
// cannot. So:
//   - durations are measured on the monotonic clock (Clock::nowSteady), never as a difference of
//     wall times;
//   - sample() compares how far the wall clock moved with how far the monotonic clock moved
//     since the last sample: a difference above the threshold is a step (the daemon journals it
//     as clock.stepped);
//   - whether the clock is synchronised is what the kernel says (adjtimex: STA_UNSYNC clear and
//     not TIME_ERROR), read at every sample, shown in the status and on every decision; a rule
//     set may refuse green without it (CLOCK-UNTRUSTED);
//   - the high-water mark is the latest wall time ever seen (the journal's last event included,
//     so it survives a restart), carried forward on the monotonic clock. Expiry and the cache's
//     age are judged against it: after a backward step time still goes on from where it was, so
//     an expired declaration does not come back and an old cache does not look new. (A forward
//     step is the safe direction: declarations look expired early, and the lane goes yellow.)
//
// Thread-safety: one thread (the control loop).

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include <nlohmann/json.hpp>

#include "edge/base/clock.hpp"

namespace kordon {

struct ClockSync {
  bool synchronized = false;
  std::int64_t max_error_ms = -1;  // the kernel's bound on the clock's error; -1 unknown
};
// The kernel's view (adjtimex(2) with no modes: a read).
ClockSync readKernelClockSync();
nlohmann::json toJson(const ClockSync& sync);

// The latest wall time seen, and when (monotonic), so it can be carried forward.
struct WallHighWater {
  WallMs wall_ms = 0;
  std::chrono::steady_clock::time_point seen_at{};
  // The later of the wall clock and the mark carried forward: never earlier than a wall time
  // already seen, and moving on at the monotonic clock's pace when the wall clock went back.
  WallMs now(const Clock& clock) const;
};

struct ClockStep {
  std::int64_t step_ms = 0;  // > 0 forward, < 0 backward
  WallMs expected_ms = 0;    // where the monotonic clock says the wall clock should be
  WallMs wall_ms = 0;        // where it is
};

// {step_ms, from, to}: the clock.stepped payload and the status's last_step.
nlohmann::json toJson(const ClockStep& step);

class ClockWatch {
 public:
  using SyncSource = std::function<ClockSync()>;
  // A slewing clock moves at most 0.5 ms a second (adjtimex's 500 ppm), far below this.
  static constexpr std::int64_t kStepThresholdMs = 1000;

  ClockWatch(const Clock& clock, WallMs high_water_ms, SyncSource sync_source);

  // About once a second. Returns the step seen since the last sample, if any.
  std::optional<ClockStep> sample();

  const ClockSync& sync() const { return sync_; }
  const WallHighWater& highWater() const { return high_water_; }
  std::uint64_t steps() const { return steps_; }
  nlohmann::json statusJson() const;

 private:
  std::int64_t offsetMs() const;  // wall minus monotonic, both read now

  const Clock& clock_;
  SyncSource sync_source_;
  ClockSync sync_;
  std::int64_t offset_ms_ = 0;
  WallHighWater high_water_;
  std::uint64_t steps_ = 0;
  std::optional<ClockStep> last_step_;
};

}  // namespace kordon
