// SPDX-License-Identifier: Apache-2.0
#include "edge/base/clock_watch.hpp"

#include <algorithm>
#include <chrono>

#include <sys/timex.h>

namespace kordon {

ClockSync readKernelClockSync() {
  struct timex tx {};
  const int state = adjtimex(&tx);  // modes 0: read only, needs no privilege
  ClockSync sync;
  if (state == -1) return sync;
  sync.synchronized = state != TIME_ERROR && (tx.status & STA_UNSYNC) == 0;
  sync.max_error_ms = tx.maxerror / 1000;  // microseconds
  return sync;
}

nlohmann::json toJson(const ClockSync& sync) {
  return {{"synchronized", sync.synchronized},
          {"max_error_ms",
           sync.max_error_ms < 0 ? nlohmann::json() : nlohmann::json(sync.max_error_ms)}};
}

nlohmann::json toJson(const ClockStep& step) {
  return {{"step_ms", step.step_ms},
          {"from", formatUtcMs(step.expected_ms)},
          {"to", formatUtcMs(step.wall_ms)}};
}

WallMs WallHighWater::now(const Clock& clock) const {
  const auto carried =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock.nowSteady() - seen_at);
  return std::max(clock.nowWallMs(), wall_ms + carried.count());
}

ClockWatch::ClockWatch(const Clock& clock, WallMs high_water_ms, SyncSource sync_source)
    : clock_(clock),
      sync_source_(std::move(sync_source)),
      sync_(sync_source_()),
      offset_ms_(offsetMs()),
      high_water_{std::max(high_water_ms, clock.nowWallMs()), clock.nowSteady()} {}

std::int64_t ClockWatch::offsetMs() const {
  const auto steady =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.nowSteady().time_since_epoch())
          .count();
  return clock_.nowWallMs() - steady;
}

std::optional<ClockStep> ClockWatch::sample() {
  sync_ = sync_source_();
  const WallMs wall = clock_.nowWallMs();
  high_water_ = {high_water_.now(clock_), clock_.nowSteady()};
  const std::int64_t offset = offsetMs();
  const std::int64_t moved = offset - offset_ms_;
  offset_ms_ = offset;
  if (moved > -kStepThresholdMs && moved < kStepThresholdMs) return std::nullopt;
  ++steps_;
  last_step_ = ClockStep{moved, wall - moved, wall};
  return last_step_;
}

nlohmann::json ClockWatch::statusJson() const {
  nlohmann::json j = toJson(sync_);
  j["steps"] = steps_;
  j["high_water"] = formatUtcMs(high_water_.wall_ms);
  if (last_step_) j["last_step"] = toJson(*last_step_);
  return j;
}

}  // namespace kordon
