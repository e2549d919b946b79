// SPDX-License-Identifier: Apache-2.0
// Golden register blocks for the shipped maps, written from device-protocols.md §1.1/§1.2 by
// hand (not produced by an encoder), so they pin the wire format.

#include "drivers/weighbridge/weight_decoder.hpp"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include "drivers/weighbridge/register_map.hpp"

namespace kordon::drivers {
namespace {

using msg::WeightState;

const RegisterMap& laumas() { return *findRegisterMap("laumas"); }
const RegisterMap& flintec() { return *findRegisterMap("flintec"); }

WeightSample decodeOk(const std::vector<std::uint16_t>& block, const RegisterMap& map) {
  const auto sample = decodeWeight(block, map);
  EXPECT_TRUE(sample.isOk()) << sample.status().message();
  return sample.isOk() ? *sample : WeightSample{};
}

TEST(RegisterMap, FindsShippedMapsByName) {
  ASSERT_NE(findRegisterMap("laumas"), nullptr);
  ASSERT_NE(findRegisterMap("flintec"), nullptr);
  EXPECT_EQ(findRegisterMap("laumas")->name, "laumas");
  EXPECT_EQ(findRegisterMap("flintec")->name, "flintec");
  EXPECT_EQ(findRegisterMap("mettler"), nullptr);
  EXPECT_EQ(findRegisterMap(""), nullptr);
  EXPECT_EQ(knownRegisterMapNames(), "laumas, flintec, flintec-ft111");
}

TEST(RegisterMap, ShippedMapsUseDocumentedWireAddresses) {
  // §1.1: 40007 status, 40008/40009 gross high/low -> wire 6, 7, 8.
  EXPECT_EQ(laumas().status_addr, 6);
  EXPECT_EQ(laumas().gross_addr, 7);
  EXPECT_EQ(laumas().block_start, 6);
  EXPECT_EQ(laumas().block_count, 3);
  // §1.2: status 0x0002, gross 0x0005 (two words).
  EXPECT_EQ(flintec().status_addr, 0x0002);
  EXPECT_EQ(flintec().gross_addr, 0x0005);
  for (const RegisterMap* map : {&laumas(), &flintec()}) {
    SCOPED_TRACE(map->name);
    EXPECT_GE(map->status_addr, map->block_start);
    EXPECT_LT(map->status_addr, map->block_start + map->block_count);
    EXPECT_GE(map->gross_addr, map->block_start);
    EXPECT_LE(map->gross_addr + 2, map->block_start + map->block_count);
    EXPECT_LE(map->block_count, 32);  // Laumas answers at most 32 registers per query
  }
}

// --- Laumas: {status (wire 6), gross high (7), gross low (8)} ---

TEST(LaumasDecoder, PositiveStable) {
  const auto s = decodeOk({0x0800, 0x0000, 0x9614}, laumas());  // bit 11 stable, 38420
  EXPECT_EQ(s.state, WeightState::kStable);
  EXPECT_TRUE(s.indicator_stable);
  EXPECT_EQ(s.gross_kg, 38420);
}

TEST(LaumasDecoder, HighWordComesFirst) {
  const auto s = decodeOk({0x0800, 0x0001, 0xE240}, laumas());  // 123456 = 0x0001E240
  EXPECT_EQ(s.gross_kg, 123456);
  EXPECT_EQ(s.state, WeightState::kStable);
}

TEST(LaumasDecoder, MotionWhenStabilityBitClear) {
  const auto s = decodeOk({0x0000, 0x0001, 0xE240}, laumas());
  EXPECT_EQ(s.state, WeightState::kMotion);
  EXPECT_FALSE(s.indicator_stable);
  EXPECT_EQ(s.gross_kg, 123456);
}

TEST(LaumasDecoder, SignBitMakesUnderZero) {
  const auto s = decodeOk({0x0080, 0x0000, 0x0028}, laumas());  // bit 7 negative, 40
  EXPECT_EQ(s.state, WeightState::kUnderZero);
  EXPECT_EQ(s.gross_kg, -40);
  const auto big = decodeOk({0x0880, 0xFFFF, 0xFFFF}, laumas());
  EXPECT_EQ(big.gross_kg, -4294967295LL);  // full 32-bit magnitude, no overflow
}

TEST(LaumasDecoder, NegativeZeroIsZero) {
  const auto s = decodeOk({0x0880, 0x0000, 0x0000}, laumas());
  EXPECT_EQ(s.state, WeightState::kStable);
  EXPECT_EQ(s.gross_kg, 0);
}

TEST(LaumasDecoder, OverloadBitsGiveOverloadAndNoNumber) {
  for (int bit : {2, 3, 4}) {
    SCOPED_TRACE(bit);
    const auto s =
        decodeOk({static_cast<std::uint16_t>(0x0800 | (1U << bit)), 0x0000, 0x9614}, laumas());
    EXPECT_EQ(s.state, WeightState::kOverload);
    EXPECT_EQ(s.gross_kg, 0);
  }
}

TEST(LaumasDecoder, ErrorBitsGiveErrorAndNoNumber) {
  for (int bit : {0, 1}) {
    SCOPED_TRACE(bit);
    const auto s =
        decodeOk({static_cast<std::uint16_t>(0x0800 | (1U << bit)), 0x0000, 0x9614}, laumas());
    EXPECT_EQ(s.state, WeightState::kError);
    EXPECT_EQ(s.gross_kg, 0);
  }
  // A fault outranks an overload.
  EXPECT_EQ(decodeOk({0x0809, 0x0000, 0x9614}, laumas()).state, WeightState::kError);
}

TEST(LaumasDecoder, IgnoresUnrelatedStatusBits) {
  // bit 5 net out of range, bit 8 net negative, bit 10 net mode, bit 12 centre of zero
  const auto s = decodeOk({0x1D20, 0x0000, 0x9614}, laumas());
  EXPECT_EQ(s.state, WeightState::kStable);
  EXPECT_EQ(s.gross_kg, 38420);
}

TEST(LaumasDecoder, ShortBlockIsAnError) {
  const std::vector<std::vector<std::uint16_t>> short_blocks{{}, {0x0800}, {0x0800, 0x0001}};
  for (const auto& block : short_blocks) {
    const auto s = decodeWeight(block, laumas());
    ASSERT_FALSE(s.isOk());
    EXPECT_NE(s.status().message().find("too short"), std::string::npos) << s.status().message();
  }
}

TEST(LaumasDecoder, ExtraTrailingRegistersAreIgnored) {
  EXPECT_EQ(decodeOk({0x0800, 0x0000, 0x9614, 0xDEAD, 0xBEEF}, laumas()).gross_kg, 38420);
}

// --- Flintec: {display hi, display lo, status, tare hi, tare lo, gross hi, gross lo} ---

TEST(FlintecDecoder, PositiveStableReadsGrossNotDisplay) {
  // Display shows net 100000 (0x000186A0) after a tare; gross is 123456 (0x0001E240).
  const auto s =
      decodeOk({0x0001, 0x86A0, 0x0002, 0x0000, 0x5BA0, 0x0001, 0xE240}, flintec());  // D1 ok
  EXPECT_EQ(s.state, WeightState::kStable);
  EXPECT_TRUE(s.indicator_stable);
  EXPECT_EQ(s.gross_kg, 123456);
}

TEST(FlintecDecoder, MotionBitMeansUnstable) {
  const auto s = decodeOk({0x0000, 0x9614, 0x0006, 0, 0, 0x0000, 0x9614}, flintec());  // D1|D2
  EXPECT_EQ(s.state, WeightState::kMotion);
  EXPECT_FALSE(s.indicator_stable);
  EXPECT_EQ(s.gross_kg, 38420);
}

TEST(FlintecDecoder, TwosComplementNegativeIsUnderZero) {
  const auto s = decodeOk({0xFFFF, 0xFFD8, 0x0002, 0, 0, 0xFFFF, 0xFFD8}, flintec());  // -40
  EXPECT_EQ(s.state, WeightState::kUnderZero);
  EXPECT_EQ(s.gross_kg, -40);
  const auto min = decodeOk({0, 0, 0x0002, 0, 0, 0x8000, 0x0000}, flintec());
  EXPECT_EQ(min.gross_kg, -2147483648LL);
}

TEST(FlintecDecoder, DataNotOkIsError) {
  const auto s = decodeOk({0x0000, 0x9614, 0x0000, 0, 0, 0x0000, 0x9614}, flintec());  // D1 = 0
  EXPECT_EQ(s.state, WeightState::kError);
  EXPECT_EQ(s.gross_kg, 0);
}

TEST(FlintecDecoder, ErrorCodesMapToOverloadOrError) {
  struct Case {
    std::uint16_t code;
    WeightState state;
  };
  for (const Case c : {Case{1, WeightState::kOverload}, Case{2, WeightState::kOverload},
                       Case{3, WeightState::kError}, Case{4, WeightState::kError},
                       Case{5, WeightState::kError}, Case{7, WeightState::kError}}) {
    SCOPED_TRACE(c.code);
    const auto status = static_cast<std::uint16_t>(0x0002 | (c.code << 13));
    const auto s = decodeOk({0x0000, 0x9614, status, 0, 0, 0x0000, 0x9614}, flintec());
    EXPECT_EQ(s.state, c.state);
    EXPECT_EQ(s.gross_kg, 0);
  }
}

TEST(FlintecDecoder, ShortBlockIsAnError) {
  EXPECT_FALSE(decodeWeight(std::vector<std::uint16_t>{0, 0, 0x0002, 0, 0, 0x0001}, flintec()));
}

TEST(Decoder, LowHighWordOrderIsAMapSetting) {
  RegisterMap low_high = flintec();
  low_high.word_order = WordOrder::kLowHigh;
  const auto s = decodeOk({0, 0, 0x0002, 0, 0, 0xE240, 0x0001}, low_high);
  EXPECT_EQ(s.gross_kg, 123456);
}

}  // namespace
}  // namespace kordon::drivers
