// SPDX-License-Identifier: Apache-2.0
// HealthReporter: the first report and every change log and emit once; repeats do neither.

#include "drivers/common/health_reporter.hpp"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace kordon::drivers {
namespace {

using msg::DeviceHealth;

class FixedClock final : public Clock {
 public:
  WallMs nowWallMs() const override { return wall_ms; }
  std::chrono::steady_clock::time_point nowSteady() const override { return {}; }
  WallMs wall_ms = 1'795'000'000'000;
};

std::size_t countOccurrences(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
    ++count;
  }
  return count;
}

class HealthReporterTest : public ::testing::Test {
 protected:
  HealthReporterTest()
      : reporter_("rpm-1", "L1", "radiation_portal", "10.0.0.5:1600", clock_,
                  [this](const msg::DeviceStatus& s) { statuses_.push_back(s); }) {}

  FixedClock clock_;
  DeviceCounters counters_;
  std::vector<msg::DeviceStatus> statuses_;
  HealthReporter reporter_;
};

TEST_F(HealthReporterTest, NotConnectedBeforeFirstReport) {
  EXPECT_EQ(reporter_.health(), DeviceHealth::kNotConnected);
  EXPECT_TRUE(statuses_.empty());
}

TEST_F(HealthReporterTest, FirstReportEmitsEvenWhenNotConnected) {
  EXPECT_TRUE(reporter_.report(DeviceHealth::kNotConnected, "refused", counters_));
  ASSERT_EQ(statuses_.size(), 1u);
  EXPECT_EQ(statuses_[0].health, DeviceHealth::kNotConnected);
  EXPECT_EQ(statuses_[0].reason, "refused");
}

TEST_F(HealthReporterTest, RepeatDoesNotEmit) {
  EXPECT_TRUE(reporter_.report(DeviceHealth::kGood, "", counters_));
  EXPECT_FALSE(reporter_.report(DeviceHealth::kGood, "", counters_));
  EXPECT_FALSE(reporter_.report(DeviceHealth::kGood, "other words", counters_));
  EXPECT_EQ(statuses_.size(), 1u);
  EXPECT_EQ(reporter_.health(), DeviceHealth::kGood);
}

TEST_F(HealthReporterTest, ChangeEmits) {
  reporter_.report(DeviceHealth::kGood, "", counters_);
  EXPECT_TRUE(reporter_.report(DeviceHealth::kNoData, "stale", counters_));
  EXPECT_EQ(reporter_.health(), DeviceHealth::kNoData);
  EXPECT_TRUE(reporter_.report(DeviceHealth::kGood, "", counters_));
  ASSERT_EQ(statuses_.size(), 3u);
  EXPECT_EQ(statuses_[1].health, DeviceHealth::kNoData);
  EXPECT_EQ(statuses_[2].health, DeviceHealth::kGood);
}

TEST_F(HealthReporterTest, CallbackFieldsFilled) {
  counters_.readings = 7;
  counters_.comms_errors = 2;
  counters_.timeouts = 1;
  clock_.wall_ms = 1'795'000'123'456;
  reporter_.report(DeviceHealth::kDegraded, "tamper", counters_);
  ASSERT_EQ(statuses_.size(), 1u);
  const msg::DeviceStatus& status = statuses_[0];
  EXPECT_EQ(status.device_id, "rpm-1");
  EXPECT_EQ(status.lane, "L1");
  EXPECT_EQ(status.device_class, "radiation_portal");
  EXPECT_EQ(status.time_ms, 1'795'000'123'456);
  EXPECT_EQ(status.health, DeviceHealth::kDegraded);
  EXPECT_EQ(status.reason, "tamper");
  EXPECT_EQ(status.counters, counters_.toJson());
  EXPECT_EQ(status.counters.at("readings"), 7);
  EXPECT_EQ(status.counters.at("comms_errors"), 2);
}

TEST_F(HealthReporterTest, LogsOneLinePerChange) {
  testing::internal::CaptureStderr();
  reporter_.report(DeviceHealth::kNotConnected, "refused", counters_);
  reporter_.report(DeviceHealth::kNotConnected, "refused", counters_);
  reporter_.report(DeviceHealth::kGood, "", counters_);
  reporter_.report(DeviceHealth::kGood, "", counters_);
  const std::string log = testing::internal::GetCapturedStderr();
  EXPECT_EQ(countOccurrences(log, "radiation_portal health changed"), 2u) << log;
  EXPECT_EQ(countOccurrences(log, "10.0.0.5:1600"), 2u) << log;
}

TEST(HealthReporterNoCallback, ReportsWithoutCallback) {
  FixedClock clock;
  DeviceCounters counters;
  HealthReporter reporter("xr-1", "L2", "xray_scanner", "/srv/tdr", clock, nullptr);
  EXPECT_TRUE(reporter.report(DeviceHealth::kGood, "", counters));
  EXPECT_FALSE(reporter.report(DeviceHealth::kGood, "", counters));
  EXPECT_EQ(reporter.health(), DeviceHealth::kGood);
}

}  // namespace
}  // namespace kordon::drivers
