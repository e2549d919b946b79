// SPDX-License-Identifier: Apache-2.0
// ClockWatch: a wall-clock step (either way) is seen against the monotonic clock, slewing is
// not, and the high-water mark never goes back and moves on at the monotonic pace.
#include "edge/base/clock_watch.hpp"

#include <gtest/gtest.h>

#include "tests/unit/edge/test_support.hpp"

namespace kordon {
namespace {

using std::chrono::milliseconds;

class ClockWatchTest : public ::testing::Test {
 protected:
  testing::FakeClock clock_;
  ClockSync kernel_{true, 12};
  ClockWatch watch_{clock_, 0, [this] { return kernel_; }};
};

TEST_F(ClockWatchTest, SteadyTimeAndSlewingAreNoStep) {
  for (int i = 0; i < 100; ++i) {
    clock_.advance(milliseconds(1000));
    clock_.wall_ms += (i % 2 == 0) ? 1 : -1;  // a slewing NTP client: a fraction of a ms a second
    EXPECT_FALSE(watch_.sample().has_value()) << i;
  }
  EXPECT_EQ(watch_.steps(), 0u);
}

TEST_F(ClockWatchTest, BackwardAndForwardStepsAreSeenWithTheirSize) {
  clock_.advance(milliseconds(1000));
  clock_.wall_ms -= 3600 * 1000;  // `date -s` an hour back
  auto step = watch_.sample();
  ASSERT_TRUE(step.has_value());
  EXPECT_EQ(step->step_ms, -3600 * 1000);
  EXPECT_EQ(step->wall_ms, clock_.wall_ms);
  EXPECT_EQ(step->expected_ms, clock_.wall_ms + 3600 * 1000);
  EXPECT_FALSE(watch_.sample().has_value());  // seen once

  clock_.advance(milliseconds(1000));
  clock_.wall_ms += 90 * 1000;
  step = watch_.sample();
  ASSERT_TRUE(step.has_value());
  EXPECT_EQ(step->step_ms, 90 * 1000);
  EXPECT_EQ(watch_.steps(), 2u);
  EXPECT_EQ(watch_.statusJson()["last_step"]["step_ms"], 90 * 1000);
}

TEST_F(ClockWatchTest, HighWaterNeverGoesBackAndMovesOnAtTheMonotonicPace) {
  const WallMs before = clock_.wall_ms;
  clock_.wall_ms -= 3600 * 1000;
  watch_.sample();
  EXPECT_EQ(watch_.highWater().now(clock_), before);
  clock_.advance(milliseconds(60 * 1000));
  watch_.sample();
  // A minute later by the monotonic clock, whatever the wall clock says.
  EXPECT_EQ(watch_.highWater().now(clock_), before + 60 * 1000);
  // Between samples too: the mark is carried forward when it is read.
  clock_.advance(milliseconds(500));
  EXPECT_EQ(watch_.highWater().now(clock_), before + 60 * 1000 + 500);
  // Once the wall clock is past the mark again, it is the wall clock.
  clock_.wall_ms += 2 * 3600 * 1000;
  EXPECT_EQ(watch_.highWater().now(clock_), clock_.wall_ms);
}

TEST_F(ClockWatchTest, StartsFromTheJournalsLastEventWhenTheClockIsBehindIt) {
  const WallMs journal_head = clock_.wall_ms + 86400 * 1000;  // the box came back a day behind
  ClockWatch restarted(clock_, journal_head, [this] { return kernel_; });
  EXPECT_EQ(restarted.highWater().now(clock_), journal_head);
}

TEST_F(ClockWatchTest, SyncStateIsTheKernelsAtEachSample) {
  EXPECT_TRUE(watch_.sync().synchronized);
  kernel_ = {false, 16000};
  watch_.sample();
  EXPECT_FALSE(watch_.sync().synchronized);
  EXPECT_EQ(watch_.statusJson()["synchronized"], false);
  EXPECT_EQ(watch_.statusJson()["max_error_ms"], 16000);
}

TEST(KernelClockSync, ReadsWithoutPrivilege) {
  // Whatever this machine's state, the read succeeds and reports an error bound.
  const ClockSync sync = readKernelClockSync();
  EXPECT_GE(sync.max_error_ms, 0);
}

}  // namespace
}  // namespace kordon
