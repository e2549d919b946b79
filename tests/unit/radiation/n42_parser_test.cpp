// SPDX-License-Identifier: Apache-2.0
#include "drivers/radiation_portal/n42_parser.hpp"

#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/shared_data.hpp"

namespace kordon::drivers {
namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string fixture(const std::string& name) {
  return readFile(std::string(KORDON_SOURCE_DIR) + "/tests/fixtures/radiation/" + name);
}

TEST(IsoDuration, AcceptsTheCommonForms) {
  double s = 0;
  ASSERT_TRUE(parseIsoDuration("PT0.1S", &s));
  EXPECT_DOUBLE_EQ(s, 0.1);
  ASSERT_TRUE(parseIsoDuration("PT1M2.5S", &s));
  EXPECT_DOUBLE_EQ(s, 62.5);
  ASSERT_TRUE(parseIsoDuration("P1DT1H", &s));
  EXPECT_DOUBLE_EQ(s, 90000);
  for (const char* bad : {"", "P", "PT", "T1S", "PT1", "PTS", "PT1X", "PT-1S", "1S", "PT1S2"}) {
    EXPECT_FALSE(parseIsoDuration(bad, &s)) << bad;
  }
}

TEST(N42Parser, GoldenCleanPortalOccupancy) {
  const auto doc = parseN42(fixture("portal_clean.n42"));
  ASSERT_TRUE(doc) << doc.status().message();
  EXPECT_EQ(doc->doc_uuid, "11111111-2222-4333-8444-555555555555");
  EXPECT_EQ(doc->instrument_id, "RPM-7");
  EXPECT_EQ(doc->model, "GC-2");
  EXPECT_EQ(doc->class_code, "Portal Monitor");
  ASSERT_EQ(doc->measurements.size(), 5U);
  EXPECT_EQ(doc->measurements[1].counts[0].counts, 300);  // widest window (0-3000 keV)
  EXPECT_EQ(doc->measurements[1].counts[2].kind, N42DetectorKind::kNeutron);

  const auto occ = toRadiationOccupancy(*doc);
  ASSERT_TRUE(occ) << occ.status().message();
  EXPECT_EQ(occ->phase, msg::OccupancyPhase::kEnd);
  EXPECT_EQ(occ->occupancy_id, "11111111-2222-4333-8444-555555555555");
  EXPECT_EQ(occ->alarm, msg::RadiationAlarm::kNone);
  EXPECT_EQ(occ->gamma_counts, 1800);
  EXPECT_EQ(occ->neutron_counts, 3);
  EXPECT_DOUBLE_EQ(occ->gamma_background_cps, 1000.0);
  EXPECT_DOUBLE_EQ(occ->neutron_background_cps, 4.0);
  EXPECT_DOUBLE_EQ(occ->duration_s, 1.5);
  EXPECT_DOUBLE_EQ(occ->speed_kmh, 9.0);
  WallMs end = 0;
  ASSERT_TRUE(parseUtcMs("2024-05-01T10:00:01.500Z", &end));
  EXPECT_EQ(occ->time_ms, end);
  EXPECT_TRUE(occ->faults.empty());

  const auto json = toJson(*doc);
  EXPECT_EQ(json["occupancy"]["gamma_counts"], 1800);
  EXPECT_EQ(json["portal_occupancy"], true);
}

TEST(N42Parser, GoldenPrefixedAlarmWithFaults) {
  const auto doc = parseN42(fixture("portal_alarm_prefixed.n42"));
  ASSERT_TRUE(doc) << doc.status().message();
  EXPECT_EQ(doc->doc_uuid, "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");
  ASSERT_EQ(doc->alarms.size(), 3U);
  EXPECT_EQ(doc->alarms[0].light_color, "Red");
  const auto occ = toRadiationOccupancy(*doc);
  ASSERT_TRUE(occ) << occ.status().message();
  EXPECT_EQ(occ->alarm, msg::RadiationAlarm::kBoth);
  EXPECT_EQ(occ->gamma_counts, 3500);
  EXPECT_EQ(occ->neutron_counts, 55);
  EXPECT_DOUBLE_EQ(occ->gamma_background_cps, 300.0);
  EXPECT_DOUBLE_EQ(occ->neutron_background_cps, 2.0);
  EXPECT_DOUBLE_EQ(occ->duration_s, 2.0);
  EXPECT_DOUBLE_EQ(occ->speed_kmh, 21.6);
  ASSERT_EQ(occ->faults.size(), 2U);  // the repeated overspeed is reported once
  EXPECT_EQ(occ->faults[0].code, "overspeed");
  EXPECT_EQ(occ->faults[0].description, "Overspeed");
  EXPECT_EQ(occ->faults[0].severity, "warning");
  EXPECT_EQ(occ->faults[1].code, "n42_fault_17");
  EXPECT_EQ(occ->faults[1].severity, "error");
}

TEST(N42Parser, HandheldSpectrumIsNotAPortalOccupancy) {
  const auto doc = parseN42(fixture("riid_spectrum.n42"));
  ASSERT_TRUE(doc) << doc.status().message();
  EXPECT_FALSE(isPortalOccupancy(*doc));
  const auto occ = toRadiationOccupancy(*doc);
  ASSERT_FALSE(occ);
  EXPECT_NE(occ.status().message().find("not a portal occupancy"), std::string::npos);
  EXPECT_TRUE(toJson(*doc)["occupancy"].is_null());
}

TEST(N42Parser, RejectsMalformedDocuments) {
  const std::string good = fixture("portal_clean.n42");
  EXPECT_FALSE(parseN42(""));
  EXPECT_FALSE(parseN42("not xml at all"));
  EXPECT_FALSE(parseN42(good.substr(0, good.size() / 2)));  // cut in the middle
  EXPECT_FALSE(parseN42("<Other/>"));
  const auto old = parseN42("<N42InstrumentData/>");
  ASSERT_FALSE(old);
  EXPECT_NE(old.status().message().find("2006"), std::string::npos);
  const auto bad_count = parseN42(
      "<RadInstrumentData><RadMeasurement id='m'><GrossCounts><CountData>1 x</CountData>"
      "</GrossCounts></RadMeasurement></RadInstrumentData>");
  EXPECT_FALSE(bad_count);
  EXPECT_FALSE(
      parseN42("<RadInstrumentData><RadMeasurement><OccupancyIndicator>maybe"
               "</OccupancyIndicator></RadMeasurement></RadInstrumentData>"));
  EXPECT_FALSE(
      parseN42("<RadInstrumentData><RadMeasurement><RealTimeDuration>1s"
               "</RealTimeDuration></RadMeasurement></RadInstrumentData>"));
  // Well-formed but empty: parses, but is no occupancy.
  const auto empty = parseN42("<RadInstrumentData/>");
  ASSERT_TRUE(empty);
  EXPECT_FALSE(toRadiationOccupancy(*empty));
}

TEST(N42Parser, PortalWithoutOccupiedSampleIsRejected) {
  const auto doc = parseN42(
      "<RadInstrumentData><RadInstrumentInformation><RadInstrumentClassCode>Portal Monitor"
      "</RadInstrumentClassCode></RadInstrumentInformation><RadMeasurement>"
      "<OccupancyIndicator>0</OccupancyIndicator></RadMeasurement></RadInstrumentData>");
  ASSERT_TRUE(doc);
  EXPECT_FALSE(toRadiationOccupancy(*doc));
}

class SharedN42Test : public ::testing::Test {
 protected:
  std::string load(const std::string& name) {
    const auto dir = test::sharedDataDir("n42");
    if (!dir) return {};
    return readFile(*dir + "/" + name);
  }
};

TEST_F(SharedN42Test, AnnexDIsAPlainOccupancy) {
  const auto dir = test::sharedDataDir("n42");
  if (!dir) GTEST_SKIP() << test::kSharedDataMissing;
  const auto doc = parseN42(load("Annex_D.n42"));
  ASSERT_TRUE(doc) << doc.status().message();
  EXPECT_EQ(doc->instrument_id, "A1234b");
  EXPECT_EQ(doc->model, "RPM 3000");
  EXPECT_EQ(doc->class_code, "Portal Monitor");
  EXPECT_EQ(doc->measurements.size(), 7U);
  const auto occ = toRadiationOccupancy(*doc);
  ASSERT_TRUE(occ) << occ.status().message();
  EXPECT_EQ(occ->occupancy_id, "f7f99b76-d6dd-41b7-9452-9202931316af");
  EXPECT_EQ(occ->alarm, msg::RadiationAlarm::kNone);
  // 3 occupied samples x (22 + 11 + 7 + 7) in the widest (0-3000 keV) window; 1 neutron each.
  EXPECT_EQ(occ->gamma_counts, 141);
  EXPECT_EQ(occ->neutron_counts, 3);
  EXPECT_NEAR(occ->duration_s, 0.3, 1e-9);
  EXPECT_NEAR(occ->gamma_background_cps, 470.0, 1e-6);  // 4 x 47 counts in 0.4 s
  EXPECT_NEAR(occ->neutron_background_cps, 10.0, 1e-6);
  EXPECT_TRUE(occ->faults.empty());
  EXPECT_EQ(occ->speed_kmh, 0);
}

TEST_F(SharedN42Test, AnnexDAlarmedHasBothAlarmsAndOverspeed) {
  const auto dir = test::sharedDataDir("n42");
  if (!dir) GTEST_SKIP() << test::kSharedDataMissing;
  const auto doc = parseN42(load("Annex_D_alarmed.n42"));
  ASSERT_TRUE(doc) << doc.status().message();
  const auto occ = toRadiationOccupancy(*doc);
  ASSERT_TRUE(occ) << occ.status().message();
  EXPECT_EQ(occ->occupancy_id, "0a91ca36-f473-4319-bef3-134898d15b69");
  EXPECT_EQ(occ->alarm, msg::RadiationAlarm::kBoth);
  EXPECT_EQ(occ->gamma_counts, 141);
  EXPECT_EQ(occ->neutron_counts, 3);
  ASSERT_EQ(occ->faults.size(), 1U);
  EXPECT_EQ(occ->faults[0].code, "overspeed");
  EXPECT_EQ(occ->faults[0].severity, "warning");
  EXPECT_DOUBLE_EQ(occ->speed_kmh, 54.0);  // 15 m/s
  EXPECT_NE(occ->time_ms, 0);
}

TEST_F(SharedN42Test, AnnexBAndCAreNotPortalOccupancies) {
  const auto dir = test::sharedDataDir("n42");
  if (!dir) GTEST_SKIP() << test::kSharedDataMissing;
  for (const char* name : {"Annex_B.n42", "Annex_C.n42"}) {
    const auto doc = parseN42(load(name));
    if (!doc) continue;  // a clear error is acceptable too
    const auto occ = toRadiationOccupancy(*doc);
    ASSERT_FALSE(occ) << name;
    EXPECT_NE(occ.status().message().find("not a portal occupancy"), std::string::npos) << name;
    EXPECT_FALSE(toJson(*doc).dump().empty());
  }
}

}  // namespace
}  // namespace kordon::drivers
