// SPDX-License-Identifier: Apache-2.0
#include "drivers/weighbridge/stability_filter.hpp"

#include <chrono>

#include <gtest/gtest.h>

namespace kordon::drivers {
namespace {

using std::chrono::milliseconds;

const StabilityFilter::TimePoint kT0{std::chrono::seconds(1000)};

StabilityFilter::TimePoint at(int ms) { return kT0 + milliseconds(ms); }

class StabilityFilterTest : public ::testing::Test {
 protected:
  StabilityFilter filter_{20, milliseconds(1000)};  // ±20 kg for 1 s

  // Feeds `kg` every 200 ms from `from_ms` to `to_ms` inclusive; returns the last result.
  bool feedRange(int from_ms, int to_ms, std::int64_t kg, bool indicator_stable = true) {
    bool stable = false;
    for (int t = from_ms; t <= to_ms; t += 200) stable = filter_.feed(at(t), kg, indicator_stable);
    return stable;
  }
};

TEST_F(StabilityFilterTest, StableOnlyAfterStableTime) {
  EXPECT_FALSE(feedRange(0, 800, 38420));
  EXPECT_FALSE(filter_.isStable());
  EXPECT_TRUE(filter_.feed(at(1000), 38420, true));
  EXPECT_TRUE(filter_.isStable());
}

TEST_F(StabilityFilterTest, IndicatorMotionResetsTheWindow) {
  ASSERT_TRUE(feedRange(0, 1000, 38420));
  EXPECT_FALSE(filter_.feed(at(1200), 38420, false));
  EXPECT_FALSE(feedRange(1400, 2200, 38420));  // a new run started at 1400
  EXPECT_TRUE(filter_.feed(at(2400), 38420, true));
}

TEST_F(StabilityFilterTest, OutOfBandSampleBlocksUntilItLeavesTheWindow) {
  ASSERT_TRUE(feedRange(0, 1000, 1000));
  EXPECT_FALSE(filter_.feed(at(1200), 1050, true));  // 50 kg jump, indicator still "stable"
  EXPECT_FALSE(feedRange(1400, 2000, 1050));         // the 1000 kg sample at 1000 ms is in view
  EXPECT_TRUE(filter_.feed(at(2200), 1050, true));   // window is now 1200..2200, all 1050
}

TEST_F(StabilityFilterTest, WobbleWithinBandIsStableAndBandIsInclusive) {
  const int kg[] = {1000, 1010, 1020, 1005, 1000, 1020};  // max - min == 20 == band
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(filter_.feed(at(i * 200), kg[i], true));
  EXPECT_TRUE(filter_.feed(at(1000), kg[5], true));
}

TEST_F(StabilityFilterTest, SlowDriftIsNeverStable) {
  for (int i = 0; i < 30; ++i) {
    EXPECT_FALSE(filter_.feed(at(i * 200), 1000 + 10 * i, true)) << i;  // 50 kg per second
  }
}

TEST_F(StabilityFilterTest, GapLongerThanWindowRestarts) {
  ASSERT_TRUE(feedRange(0, 1000, 500));
  EXPECT_FALSE(filter_.feed(at(3000), 500, true));  // nothing is known about 1000..3000
  EXPECT_FALSE(feedRange(3200, 3800, 500));
  EXPECT_TRUE(filter_.feed(at(4000), 500, true));
}

TEST_F(StabilityFilterTest, TimeGoingBackwardsResets) {
  ASSERT_TRUE(feedRange(0, 1000, 500));
  EXPECT_FALSE(filter_.feed(at(900), 500, true));
  EXPECT_FALSE(filter_.isStable());
}

TEST_F(StabilityFilterTest, ResetForgetsEverything) {
  ASSERT_TRUE(feedRange(0, 1000, 500));
  filter_.reset();
  EXPECT_FALSE(filter_.isStable());
  EXPECT_FALSE(filter_.feed(at(1200), 500, true));
}

TEST(StabilityFilter, ZeroTimeTrustsTheIndicatorAlone) {
  StabilityFilter filter(0, milliseconds(0));
  EXPECT_TRUE(filter.feed(kT0, 38420, true));
  EXPECT_TRUE(filter.feed(kT0 + milliseconds(10), 38000, true));
  EXPECT_FALSE(filter.feed(kT0 + milliseconds(20), 38000, false));
}

}  // namespace
}  // namespace kordon::drivers
