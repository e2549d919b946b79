// SPDX-License-Identifier: Apache-2.0
#include "edge/msg/plate.hpp"

#include <gtest/gtest.h>

namespace kordon::msg {
namespace {

TEST(PlateNormalisation, UpperCasesAndDropsSeparators) {
  EXPECT_EQ(normalisePlate("123 abc 02"), "123ABC02");
  EXPECT_EQ(normalisePlate(" 389-bk-01 "), "389BK01");
  EXPECT_EQ(normalisePlate("A.585_CUO/07|x"), "A585CUO07X");
  EXPECT_EQ(normalisePlate(""), "");
}

TEST(PlateNormalisation, MapsAllTwelveCyrillicLookAlikesInBothCases) {
  EXPECT_EQ(normalisePlate("АВЕКМНОРСТУХ"), "ABEKMHOPCTYX");
  EXPECT_EQ(normalisePlate("авекмнорстух"), "ABEKMHOPCTYX");
  // A Russian plate typed in Cyrillic matches the same plate typed in Latin.
  EXPECT_EQ(normalisePlate("А 123 ВС 77"), normalisePlate("A 123 BC 77"));
  EXPECT_EQ(normalisePlate("Х777ОР777"), "X777OP777");
}

TEST(PlateNormalisation, KeepsOtherLettersSoTheyCannotCollide) {
  // Ж has no Latin twin: it stays (upper-cased), so "Ж123" never equals "123".
  EXPECT_EQ(normalisePlate("ж123"), "Ж123");
  EXPECT_NE(normalisePlate("Ж123"), normalisePlate("123"));
}

TEST(PlateNormalisation, InvalidUtf8BecomesAMarkerNotACrash) {
  EXPECT_EQ(normalisePlate(std::string("12\xff"
                                       "3")),
            "12?3");
  EXPECT_EQ(normalisePlate(std::string("\xd0")), "?");         // truncated sequence
  EXPECT_EQ(normalisePlate(std::string("A\xe2\x82")), "A??");  // truncated 3-byte sequence
}

}  // namespace
}  // namespace kordon::msg
