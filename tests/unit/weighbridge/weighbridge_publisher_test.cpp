// SPDX-License-Identifier: Apache-2.0
// WeighbridgePublisher: the reading every weighbridge driver publishes. Checks the fields it
// fills, the StabilityFilter gating of kStable, that only kGood carries a weight, and that a
// health transition is logged once.

#include "drivers/weighbridge/weighbridge_publisher.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "drivers/common/device_counters.hpp"
#include "drivers/weighbridge/weighbridge.hpp"
#include "drivers/weighbridge/weight_decoder.hpp"
#include "edge/base/clock.hpp"
#include "edge/msg/weight_reading.hpp"

namespace kordon::drivers {
namespace {

using msg::DeviceHealth;
using msg::WeightState;
using std::chrono::milliseconds;

class ManualClock final : public Clock {
 public:
  WallMs nowWallMs() const override { return kWallStartMs + elapsed_.count(); }
  std::chrono::steady_clock::time_point nowSteady() const override {
    return std::chrono::steady_clock::time_point(std::chrono::hours(1)) + elapsed_;
  }
  void advance(milliseconds by) { elapsed_ += by; }

  static constexpr WallMs kWallStartMs = 1795602300000;

 private:
  milliseconds elapsed_{0};
};

WeightSample sampleOf(std::int64_t gross_kg, WeightState state) {
  WeightSample sample;
  sample.gross_kg = gross_kg;
  sample.indicator_stable = state == WeightState::kStable;
  sample.state = state;
  return sample;
}

std::size_t countOccurrences(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
    ++count;
  }
  return count;
}

WeighbridgeConfig testConfig() {
  WeighbridgeConfig config;
  config.device_id = "wb7";
  config.lane = "L3";
  config.stable_band_kg = 20;    // ±20 kg
  config.stable_time_ms = 1000;  // for 1 s
  return config;
}

class WeighbridgePublisherTest : public ::testing::Test {
 protected:
  // Advances the clock by `step` and publishes one outcome; returns the reading delivered.
  const msg::WeightReading& publish(DeviceHealth health, const WeightSample* sample,
                                    milliseconds step = milliseconds(200)) {
    clock_.advance(step);
    publisher_.publish(health, clock_.nowSteady(), sample, "test reason", counters_);
    EXPECT_FALSE(readings_.empty());
    return readings_.back();
  }

  WeighbridgeConfig config_ = testConfig();
  ManualClock clock_;
  DeviceCounters counters_;
  std::vector<msg::WeightReading> readings_;
  WeighbridgePublisher publisher_{config_, clock_,
                                  [this](const msg::WeightReading& r) { readings_.push_back(r); },
                                  "fake link"};
};

TEST_F(WeighbridgePublisherTest, FillsIdentityAndTimes) {
  const WeightSample sample = sampleOf(38420, WeightState::kMotion);
  const auto& reading = publish(DeviceHealth::kGood, &sample);
  EXPECT_EQ(reading.device_id, "wb7");
  EXPECT_EQ(reading.lane, "L3");
  EXPECT_EQ(reading.time_ms, ManualClock::kWallStartMs + 200);
  EXPECT_EQ(reading.sampled_at, clock_.nowSteady());
  EXPECT_EQ(reading.health, DeviceHealth::kGood);
  EXPECT_EQ(reading.state, WeightState::kMotion);
  EXPECT_EQ(reading.gross_kg, 38420);
  EXPECT_EQ(publisher_.health(), DeviceHealth::kGood);
}

TEST_F(WeighbridgePublisherTest, StableOnlyAfterBandAndTimeWithIndicatorFlag) {
  const WeightSample stable = sampleOf(38420, WeightState::kStable);
  // The indicator says stable from the start, but the filter wants stable_time_ms of it.
  EXPECT_EQ(publish(DeviceHealth::kGood, &stable, milliseconds(0)).state, WeightState::kMotion);
  for (int i = 0; i < 4; ++i) {
    const auto& reading = publish(DeviceHealth::kGood, &stable);
    EXPECT_EQ(reading.state, WeightState::kMotion) << i;
    EXPECT_EQ(reading.gross_kg, 38420);
  }
  EXPECT_EQ(publish(DeviceHealth::kGood, &stable).state, WeightState::kStable);  // 1000 ms

  // Out of the band: no longer stable, though the indicator still says so.
  const WeightSample jump = sampleOf(38480, WeightState::kStable);
  EXPECT_EQ(publish(DeviceHealth::kGood, &jump).state, WeightState::kMotion);

  // Without the indicator flag nothing is stable, however long the weight stays put.
  const WeightSample motion = sampleOf(38480, WeightState::kMotion);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(publish(DeviceHealth::kGood, &motion).state, WeightState::kMotion) << i;
  }
}

TEST_F(WeighbridgePublisherTest, ResetStabilityRestartsTheWindow) {
  const WeightSample stable = sampleOf(38420, WeightState::kStable);
  publish(DeviceHealth::kGood, &stable, milliseconds(0));
  for (int i = 0; i < 5; ++i) publish(DeviceHealth::kGood, &stable);
  ASSERT_EQ(readings_.back().state, WeightState::kStable);
  publisher_.resetStability();
  EXPECT_EQ(publish(DeviceHealth::kGood, &stable).state, WeightState::kMotion);
}

TEST_F(WeighbridgePublisherTest, NonGoodHealthNeverCarriesAWeight) {
  const WeightSample stable = sampleOf(38420, WeightState::kStable);
  for (const DeviceHealth health :
       {DeviceHealth::kNotConnected, DeviceHealth::kNoData, DeviceHealth::kDegraded}) {
    // Even if a driver passed a sample along, it must not leak into the reading.
    for (const WeightSample* sample : {static_cast<const WeightSample*>(nullptr), &stable}) {
      const auto& reading = publish(health, sample);
      EXPECT_EQ(reading.health, health);
      EXPECT_EQ(reading.state, WeightState::kError);
      EXPECT_EQ(reading.gross_kg, 0);
      EXPECT_EQ(publisher_.health(), health);
    }
  }
}

TEST_F(WeighbridgePublisherTest, GoodButNotWeighingPassesTheStateWithoutAWeight) {
  for (const WeightState state :
       {WeightState::kOverload, WeightState::kUnderZero, WeightState::kError}) {
    const WeightSample sample = sampleOf(-15, state);
    const auto& reading = publish(DeviceHealth::kGood, &sample);
    EXPECT_EQ(reading.health, DeviceHealth::kGood);
    EXPECT_EQ(reading.state, state);
    EXPECT_EQ(reading.gross_kg, 0);
  }
}

TEST_F(WeighbridgePublisherTest, HealthTransitionLoggedOnce) {
  const WeightSample stable = sampleOf(38420, WeightState::kStable);
  testing::internal::CaptureStderr();
  publish(DeviceHealth::kNotConnected, nullptr);
  publish(DeviceHealth::kNotConnected, nullptr);
  publish(DeviceHealth::kGood, &stable);
  publish(DeviceHealth::kGood, &stable);
  publish(DeviceHealth::kGood, &stable);
  publish(DeviceHealth::kNoData, nullptr);
  publish(DeviceHealth::kNoData, nullptr);
  const std::string log = testing::internal::GetCapturedStderr();
  EXPECT_EQ(readings_.size(), 7u);  // every outcome is delivered
  // none -> not_connected -> good -> no_data: three lines, whatever the repeats.
  EXPECT_EQ(countOccurrences(log, "weighbridge health changed"), 3u) << log;
  EXPECT_EQ(countOccurrences(log, "fake link"), 3u) << log;
}

}  // namespace
}  // namespace kordon::drivers
