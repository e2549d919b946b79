// SPDX-License-Identifier: Apache-2.0
// parseTdr / parseTdrDataset: golden files written by kordon-sim-xray's own encoder
// (tests/fixtures/xray), datasets built here with DCMTK for the variants, the shared
// Stratovan-toolkit samples when present, and truncated / garbage inputs.

#include "drivers/xray_scanner/tdr_parser.hpp"

#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "drivers/xray_scanner/dicom_file.hpp"
#include "tests/support/shared_data.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcostrmb.h>

namespace kordon::drivers {
namespace {

using msg::XrayDecision;

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string fixture(const std::string& name) {
  return readFile(std::string(KORDON_SOURCE_DIR) + "/tests/fixtures/xray/" + name);
}

// A minimal TDR built here (independent of the simulator's encoder).
DcmDataset makeTdr(const char* sop_class = "1.2.840.10008.5.1.4.1.1.501.3") {
  DcmDataset ds;
  EXPECT_TRUE(ds.putAndInsertString(DcmTag(0x0008, 0x0016, EVR_UI), sop_class).good());
  EXPECT_TRUE(ds.putAndInsertString(DcmTag(0x0008, 0x0018, EVR_UI), "1.2.3.4.5").good());
  EXPECT_TRUE(ds.putAndInsertString(DcmTag(0x0008, 0x0060, EVR_CS), "TDR").good());
  EXPECT_TRUE(ds.putAndInsertString(DcmTag(0x0010, 0x0020, EVR_LO), "MSCU1234565").good());
  EXPECT_TRUE(ds.putAndInsertString(DcmTag(0x4010, 0x1027, EVR_CS), "OPERATOR").good());
  EXPECT_TRUE(
      ds.putAndInsertString(DcmTag(0x4010, 0x102B, EVR_DT), "20261121102500.5+0100").good());
  EXPECT_TRUE(ds.putAndInsertString(DcmTag(0x4010, 0x1031, EVR_CS), "CLEAR").good());
  EXPECT_TRUE(ds.putAndInsertUint16(DcmTag(0x4010, 0x1033, EVR_US), 3).good());
  EXPECT_TRUE(ds.putAndInsertUint16(DcmTag(0x4010, 0x1034, EVR_US), 0).good());
  EXPECT_TRUE(ds.putAndInsertString(DcmTag(0x4010, 0x1042, EVR_CS), "CARGO").good());
  DcmItem* pto = nullptr;
  EXPECT_TRUE(ds.findOrCreateSequenceItem(DcmTag(0x4010, 0x1011, EVR_SQ), pto, -2).good());
  EXPECT_TRUE(pto->putAndInsertUint16(DcmTag(0x4010, 0x1010, EVR_US), 7).good());
  for (const char* flag : {"NO_THREAT", "HIGH_THREAT"}) {
    DcmItem* assessment = nullptr;
    EXPECT_TRUE(
        pto->findOrCreateSequenceItem(DcmTag(0x4010, 0x1038, EVR_SQ), assessment, -2).good());
    EXPECT_TRUE(assessment->putAndInsertString(DcmTag(0x4010, 0x1012, EVR_CS), "PI").good());
    EXPECT_TRUE(assessment->putAndInsertString(DcmTag(0x4010, 0x1013, EVR_LT), "Knife").good());
    EXPECT_TRUE(assessment->putAndInsertString(DcmTag(0x4010, 0x1015, EVR_CS), flag).good());
  }
  return ds;
}

// A bare dataset (no preamble, no meta header) in the given transfer syntax.
std::string bareDataset(DcmDataset& ds, E_TransferSyntax xfer) {
  std::vector<char> buffer(1 << 20);
  DcmOutputBufferStream stream(buffer.data(), static_cast<offile_off_t>(buffer.size()));
  ds.transferInit();
  EXPECT_TRUE(ds.write(stream, xfer, EET_UndefinedLength, nullptr).good());
  ds.transferEnd();
  void* data = nullptr;
  offile_off_t length = 0;
  stream.flushBuffer(data, length);
  return {static_cast<const char*>(data), static_cast<std::size_t>(length)};
}

TEST(TdrParserTest, GoldenAlarmFileFromSimulatorEncoder) {
  const auto report = parseTdr(fixture("alarm_two_threats.dcs"));
  ASSERT_TRUE(report) << report.status().message();
  const msg::XrayResult r = toXrayResult(*report, "xray1", "L1", 42);
  EXPECT_EQ(r.scan_id, "1.2.276.0.7230010.3.1.4.8323328.31338.1795260064.607884");
  EXPECT_EQ(r.object_ref, "123ABC02");
  EXPECT_EQ(r.object_type, "CARGO");
  EXPECT_EQ(r.decision, XrayDecision::kAlarm);
  EXPECT_EQ(r.tdr_type, "MACHINE");
  EXPECT_FALSE(r.operator_verdict.has_value());
  EXPECT_EQ(r.total_objects, 2);
  EXPECT_EQ(r.alarm_objects, 2);
  ASSERT_EQ(r.threats.size(), 2U);
  EXPECT_EQ(r.threats[0].id, "1001");
  EXPECT_EQ(r.threats[0].category, "ANOMALY");
  EXPECT_EQ(r.threats[0].description, "Simulated object 1");
  EXPECT_EQ(r.threats[0].assessment, "THREAT");
  EXPECT_EQ(r.threats[1].id, "1002");
  EXPECT_EQ(report->alarm_decision_time, "20261121112104.608017+0000");
  EXPECT_EQ(r.time_ms, *parseDicomDateTime("20261121112104.608+0000"));
  EXPECT_EQ(report->modality, "TDR");
  EXPECT_EQ(report->ooi_id_issuer, "KORDON-SIM");
  EXPECT_EQ(report->ooi_id_type, "TEXT");
}

TEST(TdrParserTest, GoldenOperatorFileSetsVerdict) {
  const auto report = parseTdr(fixture("operator_alarm.dcs"));
  ASSERT_TRUE(report) << report.status().message();
  const msg::XrayResult r = toXrayResult(*report, "xray1", "L1", 42);
  EXPECT_EQ(r.object_ref, "CLR1");
  EXPECT_EQ(r.tdr_type, "OPERATOR");
  EXPECT_EQ(r.decision, XrayDecision::kAlarm);
  ASSERT_TRUE(r.operator_verdict.has_value());
  EXPECT_EQ(*r.operator_verdict, XrayDecision::kAlarm);
  EXPECT_EQ(r.total_objects, 0);
  EXPECT_TRUE(r.threats.empty());
}

TEST(TdrParserTest, DatasetWithTwoAssessmentsGivesTwoThreats) {
  DcmDataset ds = makeTdr();
  const auto report = parseTdrDataset(ds);
  ASSERT_TRUE(report) << report.status().message();
  const msg::XrayResult r = toXrayResult(*report, "x", "L2", 42);
  EXPECT_EQ(r.decision, XrayDecision::kClear);
  ASSERT_TRUE(r.operator_verdict.has_value());
  EXPECT_EQ(*r.operator_verdict, XrayDecision::kClear);
  EXPECT_EQ(r.total_objects, 3);
  ASSERT_EQ(r.threats.size(), 2U);
  EXPECT_EQ(r.threats[0].id, "7");
  EXPECT_EQ(r.threats[0].assessment, "NO_THREAT");
  EXPECT_EQ(r.threats[1].assessment, "HIGH_THREAT");
  EXPECT_EQ(r.threats[1].description, "Knife");
  // 10:25:00.5 at +01:00 is 09:25:00.500 UTC.
  EXPECT_EQ(r.time_ms, *parseDicomDateTime("20261121092500.5+0000"));
  const nlohmann::json json = toJson(*report);
  EXPECT_EQ(json["decision"], "clear");
  EXPECT_EQ(json["alarm_decision_time_utc"], "2026-11-21T09:25:00.500Z");
  EXPECT_EQ(json["threats"].size(), 2U);
}

TEST(TdrParserTest, BareDatasetsInExplicitAndImplicitVr) {
  for (E_TransferSyntax xfer : {EXS_LittleEndianExplicit, EXS_LittleEndianImplicit}) {
    DcmDataset ds = makeTdr();
    const auto report = parseTdr(bareDataset(ds, xfer));
    ASSERT_TRUE(report) << report.status().message();
    EXPECT_EQ(report->ooi_id, "MSCU1234565");
    EXPECT_EQ(report->total_objects, 3);
    EXPECT_EQ(report->threats.size(), 2U);
  }
}

TEST(TdrParserTest, EncodedFileRoundTrips) {
  DcmDataset ds = makeTdr();
  const auto bytes = encodeDicomFile(ds);
  ASSERT_TRUE(bytes) << bytes.status().message();
  ASSERT_GT(bytes->size(), 132U);
  EXPECT_EQ(bytes->substr(128, 4), "DICM");
  const auto report = parseTdr(*bytes);
  ASSERT_TRUE(report) << report.status().message();
  EXPECT_EQ(report->sop_instance_uid, "1.2.3.4.5");
}

TEST(TdrParserTest, WrongSopClassIsAnError) {
  DcmDataset ds = makeTdr("1.2.840.10008.5.1.4.1.1.501.1");
  const auto report = parseTdrDataset(ds);
  ASSERT_FALSE(report);
  EXPECT_NE(report.status().message().find("SOP Class UID"), std::string::npos);
  EXPECT_NE(report.status().message().find("1.2.840.10008.5.1.4.1.1.501.1"), std::string::npos);
}

TEST(TdrParserTest, MissingRequiredElementsAreErrors) {
  DcmDataset no_decision = makeTdr();
  ASSERT_TRUE(no_decision.findAndDeleteElement(DcmTagKey(0x4010, 0x1031)).good());
  EXPECT_FALSE(parseTdrDataset(no_decision));
  DcmDataset no_uid = makeTdr();
  ASSERT_TRUE(no_uid.findAndDeleteElement(DcmTagKey(0x0008, 0x0018)).good());
  EXPECT_FALSE(parseTdrDataset(no_uid));
  DcmDataset no_class = makeTdr();
  ASSERT_TRUE(no_class.findAndDeleteElement(DcmTagKey(0x0008, 0x0016)).good());
  EXPECT_FALSE(parseTdrDataset(no_class));
}

TEST(TdrParserTest, UnknownDecisionTextIsUnknown) {
  DcmDataset ds = makeTdr();
  ASSERT_TRUE(ds.putAndInsertString(DcmTag(0x4010, 0x1031, EVR_CS), "MAYBE").good());
  const auto report = parseTdrDataset(ds);
  ASSERT_TRUE(report);
  EXPECT_EQ(toXrayResult(*report, "x", "L", 5).decision, XrayDecision::kUnknown);
}

TEST(TdrParserTest, BadDecisionTimeFallsBackToReceiveTime) {
  DcmDataset ds = makeTdr();
  ASSERT_TRUE(ds.putAndInsertString(DcmTag(0x4010, 0x102B, EVR_DT), "2026-11-21").good());
  const auto report = parseTdrDataset(ds);
  ASSERT_TRUE(report);
  EXPECT_FALSE(report->alarm_decision_time_ms.has_value());
  EXPECT_EQ(toXrayResult(*report, "x", "L", 1234).time_ms, 1234);
}

TEST(TdrParserTest, DicomDateTimes) {
  EXPECT_EQ(parseDicomDateTime("19700101000000"), 0);
  EXPECT_EQ(parseDicomDateTime("19700101000001.25"), 1250);
  EXPECT_EQ(parseDicomDateTime("1970010101-0100"), 2 * 3600 * 1000);
  EXPECT_EQ(parseDicomDateTime("1970"), 0);
  EXPECT_FALSE(parseDicomDateTime(""));
  EXPECT_FALSE(parseDicomDateTime("197"));
  EXPECT_FALSE(parseDicomDateTime("19701301"));
  EXPECT_FALSE(parseDicomDateTime("19700101000000.1234567"));
  EXPECT_FALSE(parseDicomDateTime("19700101000000+01"));
  EXPECT_FALSE(parseDicomDateTime("1970010100000x"));
}

TEST(TdrParserTest, EveryTruncationIsAnErrorOrComplete) {
  const std::string bytes = fixture("alarm_two_threats.dcs");
  ASSERT_GT(bytes.size(), 500U);
  const auto full = parseTdr(bytes);
  ASSERT_TRUE(full);
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    const auto report = parseTdr(std::string_view(bytes).substr(0, length));
    // A cut inside the last elements can leave a valid dataset only if nothing we need was lost.
    if (report) {
      EXPECT_EQ(report->sop_instance_uid, full->sop_instance_uid) << "length " << length;
      EXPECT_EQ(report->alarm_decision, full->alarm_decision) << "length " << length;
    }
  }
}

TEST(TdrParserTest, GarbageAndEmptyAreErrors) {
  EXPECT_FALSE(parseTdr(""));
  EXPECT_FALSE(parseTdr("hello, this is not DICOM"));
  std::string preamble_only(128, '\0');
  preamble_only += "DICM";
  EXPECT_FALSE(parseTdr(preamble_only));
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::string noise(static_cast<std::size_t>(rng() % 2000), '\0');
    for (char& c : noise) c = static_cast<char>(rng() & 0xFF);
    const auto report = parseTdr(noise);
    EXPECT_FALSE(report);
  }
}

TEST(TdrParserTest, BitFlippedFixturesNeverCrash) {
  const std::string bytes = fixture("alarm_two_threats.dcs");
  std::mt19937 rng(11);
  for (int round = 0; round < 2000; ++round) {
    std::string mutated = bytes;
    for (int flips = 0; flips < 4; ++flips) {
      mutated[rng() % mutated.size()] = static_cast<char>(rng() & 0xFF);
    }
    (void)parseTdr(mutated);
  }
}

class SharedTdrTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto dir = test::sharedDataDir("dicos");
    if (!dir) GTEST_SKIP() << test::kSharedDataMissing;
    dir_ = *dir;
  }
  std::string dir_;
};

TEST_F(SharedTdrTest, ThreatSample) {
  const std::string bytes = readFile(dir_ + "/SimpleBaggageTDR.dcs");
  const auto report = parseTdr(bytes);
  ASSERT_TRUE(report) << report.status().message();
  const msg::XrayResult r = toXrayResult(*report, "xray1", "L1", 42);
  EXPECT_EQ(report->modality, "TDR");
  EXPECT_EQ(r.object_type, "BAGGAGE");
  EXPECT_EQ(r.tdr_type, "MACHINE");
  EXPECT_EQ(r.total_objects, 1);
  EXPECT_EQ(r.alarm_objects, 1);
  ASSERT_EQ(r.threats.size(), 1U);
  EXPECT_EQ(r.threats[0].id, "9001");
  EXPECT_EQ(r.threats[0].category, "PI");
  EXPECT_EQ(r.threats[0].description, "Flammable Liquid");
  EXPECT_EQ(r.threats[0].assessment, "THREAT");
  EXPECT_FALSE(r.scan_id.empty());
  // Truncations at many offsets: errors or the same scan, never a crash.
  for (std::size_t length = 0; length < bytes.size(); length += 97) {
    const auto cut = parseTdr(std::string_view(bytes).substr(0, length));
    if (cut) {
      EXPECT_EQ(cut->sop_instance_uid, report->sop_instance_uid);
    }
  }
}

TEST_F(SharedTdrTest, NoThreatSample) {
  const auto report = parseTdr(readFile(dir_ + "/SimpleBaggageNoThreatTDR.dcs"));
  ASSERT_TRUE(report) << report.status().message();
  const msg::XrayResult r = toXrayResult(*report, "xray1", "L1", 42);
  EXPECT_EQ(r.decision, XrayDecision::kClear);
  EXPECT_EQ(r.total_objects, 0);
  EXPECT_EQ(r.alarm_objects, 0);
  EXPECT_TRUE(r.threats.empty());
}

// Found by tdr_fuzz: a length field promising gigabytes must be refused before DCMTK allocates.
TEST(TdrParserTest, DeclaredLengthBeyondTheFileIsRefusedBeforeDecoding) {
  // Explicit VR LE bare dataset: (0010,0020) LO "X", then (0009,0010) OB claiming 2 GiB.
  std::string bytes("\x10\x00\x20\x00LO\x02\x00X ", 10);
  bytes += std::string("\x09\x00\x10\x00OB\x00\x00\xff\xff\xff\x7f", 12);
  bytes += "tail";
  const auto result = parseTdr(bytes);
  ASSERT_FALSE(result.isOk());
  EXPECT_NE(result.status().message().find("declares 2147483647 bytes but only 4 remain"),
            std::string::npos)
      << result.status().message();
  // The same inside a sequence item: the item's own length bounds its elements.
  std::string nested("\x11\x40\x10\x40SQ\x00\x00\x14\x00\x00\x00", 12);
  nested += std::string("\xfe\xff\x00\xe0\x0c\x00\x00\x00", 8);
  nested += std::string("\x10\x40\x10\x40OB\x00\x00\x00\x00\x01\x00", 12);
  EXPECT_FALSE(parseTdr(nested).isOk());
}

}  // namespace
}  // namespace kordon::drivers
