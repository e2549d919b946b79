// SPDX-License-Identifier: Apache-2.0
#include "drivers/radiation_portal/vm250_parser.hpp"

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace kordon::drivers {
namespace {

using msg::OccupancyPhase;
using msg::RadiationAlarm;

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(KORDON_SOURCE_DIR) + "/tests/fixtures/radiation/" + name,
                   std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<Vm250Output> feedAll(Vm250Parser& parser, const std::string& text) {
  std::vector<Vm250Output> all;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    for (auto& out : parser.feed(line)) all.push_back(std::move(out));
  }
  return all;
}

bool hasFault(const msg::RadiationOccupancy& occ, const std::string& code) {
  for (const auto& f : occ.faults) {
    if (f.code == code) return true;
  }
  return false;
}

TEST(Vm250Parser, GoldenNormalOccupancy) {
  Vm250Parser parser;
  const auto out = feedAll(parser, fixture("vm250_normal.txt"));
  EXPECT_EQ(parser.errors(), 0U) << parser.lastError();
  EXPECT_EQ(parser.lines(), 11U);
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[0].phase, OccupancyPhase::kStart);
  EXPECT_EQ(out[0].occupancy.phase, OccupancyPhase::kStart);
  EXPECT_DOUBLE_EQ(out[0].occupancy.gamma_background_cps, 1064);
  ASSERT_EQ(out[1].phase, OccupancyPhase::kEnd);
  const auto& occ = out[1].occupancy;
  EXPECT_EQ(occ.phase, OccupancyPhase::kEnd);
  EXPECT_EQ(occ.occupancy_id, "17");
  EXPECT_EQ(occ.alarm, RadiationAlarm::kNone);
  EXPECT_EQ(occ.gamma_counts, 212 + 216 + 202);
  EXPECT_EQ(occ.neutron_counts, 2);
  EXPECT_DOUBLE_EQ(occ.gamma_background_cps, 1064);
  EXPECT_DOUBLE_EQ(occ.neutron_background_cps, 10);
  EXPECT_NEAR(occ.duration_s, 0.6, 1e-9);
  EXPECT_DOUBLE_EQ(occ.speed_kmh, 8.0);
  EXPECT_TRUE(occ.faults.empty());
  EXPECT_FALSE(parser.occupied());
  ASSERT_EQ(parser.setup().count("SG1"), 1U);
  EXPECT_EQ(parser.setup().at("SG1").size(), 5U);
}

TEST(Vm250Parser, GoldenAlarmOccupancy) {
  Vm250Parser parser;
  const auto out = feedAll(parser, fixture("vm250_alarm.txt"));
  ASSERT_EQ(out.size(), 2U);
  const auto& occ = out[1].occupancy;
  EXPECT_EQ(occ.alarm, RadiationAlarm::kBoth);
  EXPECT_EQ(occ.gamma_counts, 860 + 820);
  EXPECT_EQ(occ.neutron_counts, 52);
  EXPECT_EQ(occ.occupancy_id, "18");
  EXPECT_NEAR(occ.duration_s, 0.4, 1e-9);
}

TEST(Vm250Parser, SigmaThresholdRaisesAGammaAlarmOnGsLines) {
  // B = 1000 cps; 4 sigma -> 1126.5 counts in one second (5 samples).
  Vm250Parser quiet(4.0), hot(4.0), disabled(0.0);
  const std::string bg = "GB,250,250,250,250\nNB,1,1,1,1\n";
  std::string below = bg, above = bg;
  for (int i = 0; i < 5; ++i) below += "GS,50,50,50,50\n";
  for (int i = 0; i < 5; ++i) above += "GS,60,60,60,60\n";
  below += "GX,1,4000,0,0\n";
  above += "GX,2,4000,0,0\n";
  EXPECT_EQ(feedAll(quiet, below).at(1).occupancy.alarm, RadiationAlarm::kNone);
  EXPECT_EQ(feedAll(hot, above).at(1).occupancy.alarm, RadiationAlarm::kGamma);
  EXPECT_EQ(feedAll(disabled, above).at(1).occupancy.alarm, RadiationAlarm::kNone);
}

TEST(Vm250Parser, MalformedLinesAreCountedAndNeverStartAnOccupancy) {
  Vm250Parser parser;
  const std::vector<std::string> bad = {
      "GB,1,2,3",     "GB,a,2,3,4",   "XX,1,2,3,4", std::string("\x01\xff\xfe", 3),
      "GS,1,2,3,-4",  "GS,1,2,3,4,5", "GX",         "GB,99999999999999999999,1,1,1",
      "NS,1.5,2,3,4", "SP,1,2",       "SP,1,2,x",   "GX,abc,0,0,0",
      "gs,1,2,3,4",   ",,,,",         "GS 1 2 3 4", std::string(5000, 'A')};
  for (const auto& line : bad) {
    EXPECT_TRUE(parser.feed(line).empty()) << line;
  }
  EXPECT_EQ(parser.errors(), bad.size());
  EXPECT_FALSE(parser.occupied());
  EXPECT_FALSE(parser.lastError().empty());
  EXPECT_TRUE(parser.feed("").empty());  // blank lines are not errors
  EXPECT_TRUE(parser.feed("\r\n").empty());
  EXPECT_EQ(parser.errors(), bad.size());
  // Still works afterwards.
  const auto out = feedAll(parser, fixture("vm250_normal.txt"));
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[1].occupancy.gamma_counts, 630);
  EXPECT_FALSE(hasFault(out[1].occupancy, "line_errors"));
}

TEST(Vm250Parser, ErrorsInsideAnOccupancyAreReportedAsAFault) {
  Vm250Parser parser;
  const auto out = feedAll(parser, "GB,1,1,1,1\nGS,1,1,1,1\n#junk\nGS,1,1,1,1\nGX,3,0,0,0\n");
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[1].occupancy.gamma_counts, 8);
  EXPECT_TRUE(hasFault(out[1].occupancy, "line_errors"));
}

TEST(Vm250Parser, TruncatedStreamGivesATruncatedOccupancy) {
  Vm250Parser parser;
  const auto out = feedAll(parser, "GB,250,250,250,250\nGS,50,50,50,50\nGA,90,90,90,90\n");
  ASSERT_EQ(out.size(), 1U);
  EXPECT_TRUE(parser.occupied());
  const auto cut = parser.truncate();
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->phase, OccupancyPhase::kEnd);
  EXPECT_TRUE(hasFault(cut->occupancy, "truncated"));
  EXPECT_EQ(cut->occupancy.alarm, RadiationAlarm::kGamma);
  EXPECT_EQ(cut->occupancy.gamma_counts, 560);
  EXPECT_FALSE(parser.occupied());
  EXPECT_FALSE(parser.truncate());  // nothing open any more
  // A new stream that starts mid-occupancy is marked partial.
  const auto again = feedAll(parser, "GS,1,1,1,1\nGX,9,0,0,0\n");
  ASSERT_EQ(again.size(), 2U);
  EXPECT_TRUE(hasFault(again[1].occupancy, "partial"));
}

TEST(Vm250Parser, DeviceFaultsAndTamperTravelWithTheOccupancy) {
  Vm250Parser parser;
  feedAll(parser, "GB,250,250,250,250\nGH,900,900,900,900\nTT\n");
  EXPECT_EQ(parser.activeFaults(), (std::vector<std::string>{"gamma_background_high", "tamper"}));
  auto out = feedAll(parser, "NS,0,0,0,0\nTC\nGX,4,0,0,0\n");
  ASSERT_EQ(out.size(), 2U);
  EXPECT_TRUE(hasFault(out[1].occupancy, "gamma_background_high"));
  EXPECT_TRUE(hasFault(out[1].occupancy, "tamper"));
  EXPECT_EQ(out[1].occupancy.gamma_counts, 0);
  feedAll(parser, "GB,250,250,250,250\nGL,1,1,1,1\nNH,50,50,50,50\n");
  EXPECT_EQ(parser.activeFaults(),
            (std::vector<std::string>{"gamma_background_low", "neutron_background_high"}));
  feedAll(parser, "GB,250,250,250,250\nNB,1,1,1,1\n");
  EXPECT_TRUE(parser.activeFaults().empty());
}

TEST(Vm250Parser, GxWithoutOccupancyIsIgnored) {
  Vm250Parser parser;
  EXPECT_TRUE(parser.feed("GX,5,0,0,0").empty());
  EXPECT_EQ(parser.errors(), 0U);
}

TEST(Vm250Parser, IdenticalBackgroundRunsAreCounted) {
  Vm250Parser parser;
  for (int i = 0; i < 30; ++i) parser.feed("GB,250,260,270,280");
  EXPECT_EQ(parser.identicalBackgroundRun(), 30U);
  parser.feed("GB,251,260,270,280");
  EXPECT_EQ(parser.identicalBackgroundRun(), 1U);
}

TEST(Vm250Inspect, ReportsOccupanciesErrorsAndTruncation) {
  const auto j = inspectVm250(fixture("vm250_normal.txt") + "bogus\nGB,1,1,1,1\nGS,1,1,1,1\n");
  EXPECT_EQ(j["error_count"], 1);
  EXPECT_EQ(j["errors"][0]["line"], 12);
  ASSERT_EQ(j["occupancies"].size(), 2U);
  EXPECT_EQ(j["occupancies"][0]["occupancy_id"], "17");
  EXPECT_EQ(j["occupancies"][0]["gamma_counts"], 630);
  EXPECT_EQ(j["occupancies"][1]["faults"][0]["code"], "truncated");
  EXPECT_EQ(j["setup"]["SG1"].size(), 5U);
  EXPECT_FALSE(inspectVm250(std::string("\xff\x00\n", 3))
                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                   .empty());
}

}  // namespace
}  // namespace kordon::drivers
