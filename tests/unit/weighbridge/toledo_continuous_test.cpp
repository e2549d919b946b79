// SPDX-License-Identifier: Apache-2.0
// Toledo continuous frames (device-protocols.md §1.4): golden frames, every SWA/SWB/SWC bit,
// the checksum, framer resynchronisation, the frame -> sample mapping and the inspect report.

#include "drivers/weighbridge/toledo_continuous.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "drivers/weighbridge/toledo_weighbridge.hpp"

namespace kordon::drivers {
namespace {

using Bytes = std::vector<std::uint8_t>;
using msg::WeightState;

// The worked example of §1.4, byte for byte.
const Bytes kGoldenStable{0x02, 0x32, 0x30, 0x20, 0x30, 0x31, 0x32, 0x33, 0x34,
                          0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x0D, 0x25};
const Bytes kGoldenMotion{0x02, 0x32, 0x38, 0x20, 0x30, 0x31, 0x32, 0x33, 0x34,
                          0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x0D, 0x1D};

// A frame from its parts, with the checksum computed independently of toledoChecksum().
Bytes frame(std::uint8_t swa, std::uint8_t swb, std::uint8_t swc, const std::string& displayed,
            const std::string& tare, bool checksum = true) {
  Bytes bytes{0x02, swa, swb, swc};
  bytes.insert(bytes.end(), displayed.begin(), displayed.end());
  bytes.insert(bytes.end(), tare.begin(), tare.end());
  bytes.push_back(0x0D);
  if (checksum) {
    int sum = 0;
    for (auto b : bytes) sum += b;
    bytes.push_back(static_cast<std::uint8_t>((128 - sum % 128) % 128));
  }
  return bytes;
}

TEST(ToledoFrameTest, GoldenStableFrameIs12340KgGrossWithX2Increment) {
  const auto f = decodeToledoFrame(kGoldenStable);
  ASSERT_TRUE(f) << f.status().message();
  EXPECT_TRUE(f->has_checksum);
  EXPECT_EQ(f->displayed_digits, 12340);
  EXPECT_EQ(f->tare_digits, 0);
  EXPECT_EQ(f->decimal_code, 2);  // 010 = XXXXXX
  EXPECT_EQ(f->exponent, 0);
  EXPECT_EQ(f->increment, 2);  // bit 4 set, bit 3 clear
  EXPECT_FALSE(f->net);
  EXPECT_FALSE(f->negative);
  EXPECT_FALSE(f->out_of_range);
  EXPECT_FALSE(f->motion);
  EXPECT_TRUE(f->kg);
  EXPECT_FALSE(f->not_zeroed);
  EXPECT_EQ(f->unit(), ToledoUnit::kKg);
  EXPECT_EQ(f->unit_extension, 0);
  EXPECT_FALSE(f->print_request);
  EXPECT_FALSE(f->expanded);

  const auto sample = toledoWeightSample(*f);
  ASSERT_TRUE(sample);
  EXPECT_EQ(sample->gross_kg, 12340);
  EXPECT_EQ(sample->state, WeightState::kStable);
  EXPECT_TRUE(sample->indicator_stable);
}

TEST(ToledoFrameTest, GoldenMotionFrame) {
  const auto f = decodeToledoFrame(kGoldenMotion);
  ASSERT_TRUE(f) << f.status().message();
  EXPECT_TRUE(f->motion);
  const auto sample = toledoWeightSample(*f);
  ASSERT_TRUE(sample);
  EXPECT_EQ(sample->state, WeightState::kMotion);
  EXPECT_EQ(sample->gross_kg, 12340);
}

TEST(ToledoFrameTest, ChecksumMatchesTheWorkedExample) {
  EXPECT_EQ(toledoChecksum(std::span(kGoldenStable).first(17)), 0x25);
  EXPECT_EQ(toledoChecksum(std::span(kGoldenMotion).first(17)), 0x1D);
  EXPECT_EQ(frame(0x32, 0x30, 0x20, "012340", "000000"), kGoldenStable);
}

TEST(ToledoFrameTest, WrongChecksumIsRejectedAndParityBitIgnored) {
  Bytes bad = kGoldenStable;
  bad[17] = 0x26;
  const auto f = decodeToledoFrame(bad);
  ASSERT_FALSE(f);
  EXPECT_NE(f.status().message().find("checksum"), std::string::npos);
  Bytes parity = kGoldenStable;
  parity[17] |= 0x80;  // bit 7 is the parity bit on a 7-bit line
  EXPECT_TRUE(decodeToledoFrame(parity));
}

TEST(ToledoFrameTest, FrameWithoutChecksumDecodes) {
  const auto f = decodeToledoFrame(std::span(kGoldenStable).first(17));
  ASSERT_TRUE(f);
  EXPECT_FALSE(f->has_checksum);
  EXPECT_EQ(f->displayed_digits, 12340);
}

TEST(ToledoFrameTest, MalformedFramesAreErrors) {
  EXPECT_FALSE(decodeToledoFrame(std::span(kGoldenStable).first(16)));  // too short
  Bytes longer = kGoldenStable;
  longer.push_back(0x00);
  EXPECT_FALSE(decodeToledoFrame(longer));
  Bytes no_stx = kGoldenStable;
  no_stx[0] = 0x03;
  EXPECT_FALSE(decodeToledoFrame(std::span(no_stx).first(17)));
  Bytes no_cr = kGoldenStable;
  no_cr[16] = 0x0A;
  EXPECT_FALSE(decodeToledoFrame(std::span(no_cr).first(17)));
  EXPECT_FALSE(decodeToledoFrame(frame(0x32, 0x30, 0x20, "01A340", "000000")));
  EXPECT_FALSE(decodeToledoFrame(frame(0x12, 0x30, 0x20, "012340", "000000")));  // no SWA bit 5
  EXPECT_FALSE(decodeToledoFrame(frame(0x22, 0x30, 0x20, "012340", "000000")));  // no increment
  EXPECT_FALSE(decodeToledoFrame(frame(0x32, 0x30, 0x20, "01 340", "000000")));  // inner blank
}

TEST(ToledoFrameTest, LeadingBlanksReadAsZeros) {
  const auto f = decodeToledoFrame(frame(0x2A, 0x30, 0x20, "  1234", "     0"));
  ASSERT_TRUE(f) << f.status().message();
  EXPECT_EQ(f->displayed_digits, 1234);
  EXPECT_EQ(f->tare_digits, 0);
}

TEST(ToledoFrameTest, EveryDecimalCodeScalesTheDigits) {
  // SWA bits 0-2 with x1 increment (bit 3) and bit 5.
  const int exponents[8] = {2, 1, 0, -1, -2, -3, -4, -5};
  for (int code = 0; code < 8; ++code) {
    const auto swa = static_cast<std::uint8_t>(0x28 | code);
    const auto f = decodeToledoFrame(frame(swa, 0x30, 0x20, "123456", "000000"));
    ASSERT_TRUE(f) << "code " << code;
    EXPECT_EQ(f->decimal_code, code);
    EXPECT_EQ(f->exponent, exponents[code]) << "code " << code;
    EXPECT_EQ(f->increment, 1);
  }
  const auto hundreds = decodeToledoFrame(frame(0x28, 0x30, 0x20, "000384", "000000"));
  ASSERT_TRUE(hundreds);
  EXPECT_EQ(*toledoDigitsToKg(hundreds->displayed_digits, *hundreds), 38400);
  const auto tenths = decodeToledoFrame(frame(0x2B, 0x30, 0x20, "384205", "000000"));
  ASSERT_TRUE(tenths);
  EXPECT_EQ(*toledoDigitsToKg(tenths->displayed_digits, *tenths), 38421);  // 38420.5 rounds up
}

TEST(ToledoFrameTest, IncrementBits) {
  EXPECT_EQ(decodeToledoFrame(frame(0x2A, 0x30, 0x20, "000000", "000000"))->increment, 1);
  EXPECT_EQ(decodeToledoFrame(frame(0x32, 0x30, 0x20, "000000", "000000"))->increment, 2);
  EXPECT_EQ(decodeToledoFrame(frame(0x3A, 0x30, 0x20, "000000", "000000"))->increment, 5);
}

TEST(ToledoFrameTest, EverySwbBit) {
  struct Case {
    std::uint8_t swb;
    bool net, negative, out_of_range, motion, kg, not_zeroed;
  };
  const Case cases[] = {
      {0x20, false, false, false, false, false, false},
      {0x21, true, false, false, false, false, false},
      {0x22, false, true, false, false, false, false},
      {0x24, false, false, true, false, false, false},
      {0x28, false, false, false, true, false, false},
      {0x30, false, false, false, false, true, false},
      {0x60, false, false, false, false, false, true},
      {0x7F, true, true, true, true, true, true},
  };
  for (const Case& c : cases) {
    const auto f = decodeToledoFrame(frame(0x2A, c.swb, 0x20, "001000", "000000"));
    ASSERT_TRUE(f) << std::hex << int{c.swb};
    EXPECT_EQ(f->net, c.net);
    EXPECT_EQ(f->negative, c.negative);
    EXPECT_EQ(f->out_of_range, c.out_of_range);
    EXPECT_EQ(f->motion, c.motion);
    EXPECT_EQ(f->kg, c.kg);
    EXPECT_EQ(f->not_zeroed, c.not_zeroed);
  }
}

TEST(ToledoFrameTest, SwcUnitsPrintAndExpanded) {
  const std::pair<std::uint8_t, ToledoUnit> units[] = {{0x20, ToledoUnit::kKg},
                                                       {0x21, ToledoUnit::kGram},
                                                       {0x22, ToledoUnit::kTonne},
                                                       {0x23, ToledoUnit::kOunce},
                                                       {0x26, ToledoUnit::kOther}};
  for (const auto& [swc, unit] : units) {
    const auto f = decodeToledoFrame(frame(0x2A, 0x30, swc, "000012", "000000"));
    ASSERT_TRUE(f);
    EXPECT_EQ(f->unit(), unit) << std::hex << int{swc};
  }
  const auto lb = decodeToledoFrame(frame(0x2A, 0x20, 0x20, "000012", "000000"));
  EXPECT_EQ(lb->unit(), ToledoUnit::kLb);
  const auto flags = decodeToledoFrame(frame(0x2A, 0x30, 0x38, "000012", "000000"));
  EXPECT_TRUE(flags->print_request);
  EXPECT_TRUE(flags->expanded);
}

TEST(ToledoSampleTest, StatesNeverNumbers) {
  // Over capacity: out of range, positive.
  auto s = toledoWeightSample(*decodeToledoFrame(frame(0x2A, 0x34, 0x20, "999999", "000000")));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->state, WeightState::kOverload);
  EXPECT_EQ(s->gross_kg, 0);
  // Under zero with out of range.
  s = toledoWeightSample(*decodeToledoFrame(frame(0x2A, 0x36, 0x20, "000500", "000000")));
  EXPECT_EQ(s->state, WeightState::kUnderZero);
  EXPECT_EQ(s->gross_kg, 0);
  // Negative, in range.
  s = toledoWeightSample(*decodeToledoFrame(frame(0x2A, 0x32, 0x20, "000040", "000000")));
  EXPECT_EQ(s->state, WeightState::kUnderZero);
  EXPECT_EQ(s->gross_kg, -40);
  // Power-up, not zeroed.
  s = toledoWeightSample(*decodeToledoFrame(frame(0x2A, 0x70, 0x20, "001000", "000000")));
  EXPECT_EQ(s->state, WeightState::kError);
  // Net: gross = displayed + tare.
  s = toledoWeightSample(*decodeToledoFrame(frame(0x2A, 0x31, 0x20, "020000", "014000")));
  EXPECT_EQ(s->state, WeightState::kStable);
  EXPECT_EQ(s->gross_kg, 34000);
  // Tonnes with two decimals: 38.42 t.
  s = toledoWeightSample(*decodeToledoFrame(frame(0x2C, 0x20, 0x22, "003842", "000000")));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->gross_kg, 38420);
  // lb is rejected, never converted.
  EXPECT_FALSE(toledoWeightSample(*decodeToledoFrame(frame(0x2A, 0x20, 0x20, "001000", "000000"))));
}

TEST(ToledoFramerTest, SplitsAStreamFedByteByByte) {
  Bytes stream;
  for (int i = 0; i < 3; ++i)
    stream.insert(stream.end(), kGoldenStable.begin(), kGoldenStable.end());
  ToledoFramer framer(true);
  std::size_t frames = 0;
  for (auto b : stream) frames += framer.feed(std::span(&b, 1)).size();
  EXPECT_EQ(frames, 3U);
  EXPECT_EQ(framer.badFrames(), 0U);
  EXPECT_EQ(framer.discardedBytes(), 0U);
}

TEST(ToledoFramerTest, ResynchronisesAfterGarbageAndTruncatedFrames) {
  Bytes stream{0xFF, 0x41, 0x0D};                                                 // noise
  stream.insert(stream.end(), kGoldenStable.begin(), kGoldenStable.begin() + 9);  // truncated
  stream.insert(stream.end(), kGoldenMotion.begin(), kGoldenMotion.end());
  stream.push_back(0x02);  // stray STX
  stream.push_back(0x7E);
  stream.insert(stream.end(), kGoldenStable.begin(), kGoldenStable.end());
  ToledoFramer framer(true);
  const auto frames = framer.feed(stream);
  ASSERT_EQ(frames.size(), 2U);
  EXPECT_TRUE(frames[0].motion);
  EXPECT_FALSE(frames[1].motion);
  EXPECT_GE(framer.badFrames(), 2U);
  EXPECT_GE(framer.discardedBytes(), 3U);
}

TEST(ToledoFramerTest, CountsBadChecksums) {
  Bytes bad = kGoldenStable;
  bad[17] = 0x00;
  Bytes stream = bad;
  stream.insert(stream.end(), kGoldenStable.begin(), kGoldenStable.end());
  ToledoFramer framer(true);
  EXPECT_EQ(framer.feed(stream).size(), 1U);
  EXPECT_EQ(framer.badFrames(), 1U);
  EXPECT_NE(framer.lastError().find("checksum"), std::string::npos);
}

TEST(ToledoFramerTest, ChecksumOffTakes17ByteFramesAndSkipsAChecksumByte) {
  Bytes stream = kGoldenStable;  // 18 bytes: the checksum byte is noise to this framer
  stream.insert(stream.end(), kGoldenMotion.begin(), kGoldenMotion.end() - 1);
  ToledoFramer framer(false);
  const auto frames = framer.feed(stream);
  EXPECT_EQ(frames.size(), 2U);
  EXPECT_EQ(framer.badFrames(), 0U);
  EXPECT_EQ(framer.discardedBytes(), 1U);
}

TEST(ToledoInspectTest, ReportsModeCountsAndFrames) {
  Bytes capture{0x55};
  for (int i = 0; i < 4; ++i)
    capture.insert(capture.end(), kGoldenStable.begin(), kGoldenStable.end());
  const auto report = inspectToledoStream(capture);
  EXPECT_EQ(report["format"], "toledo-continuous");
  EXPECT_EQ(report["checksum"], true);
  EXPECT_EQ(report["good_frames"], 4);
  EXPECT_EQ(report["discarded_bytes"], 1);
  ASSERT_EQ(report["frames"].size(), 4U);
  EXPECT_EQ(report["frames"][0]["displayed"], 12340);
  EXPECT_EQ(report["frames"][0]["unit"], "kg");
  EXPECT_EQ(report["frames"][0]["increment"], 2);
  EXPECT_EQ(inspectToledoStream({})["good_frames"], 0);
}

}  // namespace
}  // namespace kordon::drivers
