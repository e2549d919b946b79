// SPDX-License-Identifier: Apache-2.0
#include "edge/base/clock.hpp"

#include <gtest/gtest.h>

namespace kordon {
namespace {

TEST(Clock, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(formatUtcMs(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(formatUtcMs(1795602300123), "2026-11-25T10:25:00.123Z");
}

TEST(Clock, ParsesZuluAndOffsets) {
  WallMs t = 0;
  ASSERT_TRUE(parseUtcMs("2026-11-25T10:25:00.123Z", &t));
  EXPECT_EQ(t, 1795602300123);
  ASSERT_TRUE(parseUtcMs("2024-05-07T17:48:03.847+07:00", &t));
  EXPECT_EQ(formatUtcMs(t), "2024-05-07T10:48:03.847Z");
  ASSERT_TRUE(parseUtcMs("2024-05-07T17:48:03Z", &t));
  EXPECT_EQ(formatUtcMs(t), "2024-05-07T17:48:03.000Z");
}

TEST(Clock, RejectsMalformedTimes) {
  WallMs t = 0;
  for (const char* bad : {"", "2026-11-26", "2026-13-01T00:00:00Z", "2026-11-26T10:25:00",
                          "2026-11-26T10:25:00.Z", "2026-11-26T10:25:00Zjunk", "garbage"}) {
    EXPECT_FALSE(parseUtcMs(bad, &t)) << bad;
  }
}

}  // namespace
}  // namespace kordon
