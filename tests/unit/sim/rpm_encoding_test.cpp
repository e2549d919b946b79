// SPDX-License-Identifier: Apache-2.0
// The radiation portal simulator's bytes, pinned (golden frames), and read back by the
// production parsers: the simulator encodes from the published formats on its own, so the two
// sides agreeing is evidence, not a tautology.
#include "simulators/rpm_sim/rpm_encoding.hpp"

#include <random>

#include <gtest/gtest.h>

#include "drivers/radiation_portal/n42_parser.hpp"

namespace kordon::sim {
namespace {

TEST(RpmEncoding, VmLinesAreTagAndPanelCounts) {
  EXPECT_EQ(panelLine("GB", {262, 281, 255, 297}), "GB,262,281,255,297\r\n");
  EXPECT_EQ(panelLine("NA", {0, 12, 3, 1}), "NA,0,12,3,1\r\n");
  EXPECT_EQ(fixed(8.0 / 3.6, 3), "2.222");
  EXPECT_EQ(fixed(4.97097, 2), "4.97");
}

TEST(RpmEncoding, UuidsAreVersionFourAndSeeded) {
  std::mt19937 a(7), b(7);
  const std::string uuid = uuidFrom(a);
  EXPECT_EQ(uuid, uuidFrom(b));
  ASSERT_EQ(uuid.size(), 36u);
  EXPECT_EQ(uuid[14], '4');
  EXPECT_NE(std::string("89ab").find(uuid[19]), std::string::npos);
}

TEST(RpmEncoding, AnN42DocumentTheProductionParserReadsAsSent) {
  OccupancyPlan plan;
  plan.id = 3;
  plan.gamma_alarm = true;
  plan.speed_kmh = 7.2;
  const WallMs t0 = 1795602300000;  // 2026-11-25T10:25:00Z
  std::vector<Sample> samples = {{{400, 410, 420, 430}, Panels{1, 0, 2, 1}, t0 + 1000},
                                 {{500, 510, 520, 530}, std::nullopt, t0 + 1200}};
  const std::string xml = n42Document(plan, samples, {262, 281, 255, 297}, {2, 3, 1, 2}, t0,
                                      "12345678-1234-4234-8234-123456789abc");
  // Golden fragments: the parts a real portal's reader keys on.
  EXPECT_NE(xml.find("<RadInstrumentData xmlns=\"http://physics.nist.gov/N42/2011/N42\" "
                     "n42DocUUID=\"12345678-1234-4234-8234-123456789abc\">"),
            std::string::npos);
  EXPECT_NE(xml.find("<StartDateTime>2026-11-25T10:25:00.000Z</StartDateTime>"), std::string::npos);
  EXPECT_NE(xml.find("<SpeedValue>2.000</SpeedValue>"), std::string::npos);  // 7.2 km/h in m/s

  auto parsed = drivers::parseN42(xml);
  ASSERT_TRUE(parsed) << parsed.status().message();
  EXPECT_EQ(parsed->doc_uuid, "12345678-1234-4234-8234-123456789abc");
  ASSERT_EQ(parsed->measurements.size(), 3u);  // background + two samples
  EXPECT_EQ(parsed->measurements[0].class_code, "Background");
  EXPECT_EQ(parsed->measurements[1].class_code, "Foreground");
  ASSERT_EQ(parsed->measurements[1].counts.size(), 8u);  // four gamma, four neutron panels
  EXPECT_EQ(parsed->measurements[1].counts[0].counts, 400);
  EXPECT_EQ(parsed->measurements[2].counts.size(), 4u);  // no neutron sample this tick
  ASSERT_EQ(parsed->alarms.size(), 1u);
  EXPECT_EQ(parsed->alarms[0].category, "Gamma");
}

}  // namespace
}  // namespace kordon::sim
