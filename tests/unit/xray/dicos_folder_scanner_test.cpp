// SPDX-License-Identifier: Apache-2.0
// DicosFolderScanner driven poll by poll (pollOnceForTest): stable files only, results with
// evidence, bad files to failed/ with a counted error and no result.

#include "drivers/xray_scanner/dicos_folder_scanner.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "drivers/xray_scanner/xray_scanner.hpp"
#include "tests/support/device_loop.hpp"

namespace kordon::drivers {
namespace {

namespace fs = std::filesystem;

class FixedClock final : public Clock {
 public:
  WallMs nowWallMs() const override { return 1000; }
  std::chrono::steady_clock::time_point nowSteady() const override { return {}; }
};

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(KORDON_SOURCE_DIR) + "/tests/fixtures/xray/" + name,
                   std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeFile(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

class FolderScannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "kordon-xray-folder-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    fs::create_directories(dir_ / "in");
    evidence_ = std::make_unique<EvidenceStore>((dir_ / "evidence").string());
    config_.type = "dicos-folder";
    config_.folder = (dir_ / "in").string();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::unique_ptr<DicosFolderScanner> make() {
    return std::make_unique<DicosFolderScanner>(
        config_, *evidence_, clock_,
        [this](const msg::XrayResult& r) {
          results_.push_back(r);
          return saved_;
        },
        [this](const msg::DeviceStatus& s) { statuses_.push_back(s); });
  }

  fs::path dir_;
  FixedClock clock_;
  std::unique_ptr<EvidenceStore> evidence_;
  XrayScannerConfig config_;
  std::vector<msg::XrayResult> results_;
  Status saved_ = Status::ok();  // what the journal answers a result
  std::vector<msg::DeviceStatus> statuses_;
};

TEST_F(FolderScannerTest, StableTdrBecomesResultAndMovesToDone) {
  auto scanner = make();
  writeFile(dir_ / "in" / "a.dcs", fixture("alarm_two_threats.dcs"));
  writeFile(dir_ / "in" / "ignored.txt", "not a tdr");
  scanner->pollOnceForTest();
  EXPECT_TRUE(results_.empty()) << "a file seen once may still be growing";
  scanner->pollOnceForTest();
  ASSERT_EQ(results_.size(), 1U);
  EXPECT_EQ(results_[0].object_ref, "123ABC02");
  EXPECT_EQ(results_[0].decision, msg::XrayDecision::kAlarm);
  ASSERT_EQ(results_[0].evidence.size(), 1U);
  EXPECT_EQ(results_[0].evidence[0].media_type, "application/dicom");
  EXPECT_TRUE(fs::exists(evidence_->pathFor(results_[0].evidence[0].sha256, "application/dicom")));
  EXPECT_TRUE(fs::exists(dir_ / "in" / "done" / "a.dcs"));
  EXPECT_TRUE(fs::exists(dir_ / "in" / "ignored.txt"));
  EXPECT_EQ(scanner->counters().readings.load(), 1U);
}

TEST_F(FolderScannerTest, GarbageAndTruncatedGoToFailed) {
  auto scanner = make();
  const std::string tdr = fixture("alarm_two_threats.dcs");
  writeFile(dir_ / "in" / "garbage.dcm", std::string(300, 'x'));
  writeFile(dir_ / "in" / "cut.DCS", tdr.substr(0, tdr.size() / 2));
  scanner->pollOnceForTest();
  scanner->pollOnceForTest();
  EXPECT_TRUE(results_.empty());
  EXPECT_EQ(scanner->counters().comms_errors.load(), 2U);
  EXPECT_TRUE(fs::exists(dir_ / "in" / "failed" / "garbage.dcm"));
  EXPECT_TRUE(fs::exists(dir_ / "in" / "failed" / "cut.DCS"));
}

TEST_F(FolderScannerTest, AResultTheJournalDidNotTakeStaysInTheFolderAndIsTakenAgain) {
  auto scanner = make();
  writeFile(dir_ / "in" / "a.dcs", fixture("alarm_two_threats.dcs"));
  saved_ = Status::error("journal: database or disk is full");
  scanner->pollOnceForTest();
  scanner->pollOnceForTest();
  ASSERT_EQ(results_.size(), 1U);  // offered, refused
  EXPECT_TRUE(fs::exists(dir_ / "in" / "a.dcs"));
  EXPECT_FALSE(fs::exists(dir_ / "in" / "done" / "a.dcs"));
  EXPECT_EQ(scanner->counters().store_failures.load(), 1U);
  EXPECT_EQ(scanner->counters().readings.load(), 0U);
  saved_ = Status::ok();
  for (int i = 0; i < 3 && !fs::exists(dir_ / "in" / "done" / "a.dcs"); ++i) {
    scanner->pollOnceForTest();
  }
  EXPECT_TRUE(fs::exists(dir_ / "in" / "done" / "a.dcs"));
  EXPECT_EQ(results_.size(), 2U);
  EXPECT_EQ(scanner->counters().readings.load(), 1U);
}

TEST_F(FolderScannerTest, StartChecksFolderAndStopIsPrompt) {
  config_.folder = (dir_ / "missing").string();
  auto missing = make();
  EXPECT_FALSE(missing->start());
  ASSERT_FALSE(statuses_.empty());
  EXPECT_EQ(statuses_.back().health, msg::DeviceHealth::kNotConnected);

  config_.folder = (dir_ / "in").string();
  config_.poll_interval_ms = 20;
  auto scanner = make();
  ASSERT_TRUE(scanner->start());
  EXPECT_EQ(statuses_.back().health, msg::DeviceHealth::kGood);
  writeFile(dir_ / "in" / "b.dcs", fixture("operator_alarm.dcs"));
  for (int i = 0; i < 200 && results_.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  scanner->stop();
  ASSERT_EQ(results_.size(), 1U);
  EXPECT_EQ(results_[0].tdr_type, "OPERATOR");
  scanner->stop();  // idempotent
}

TEST(XrayFactoryTest, UnknownTypeIsAnError) {
  EvidenceStore evidence("/tmp/kordon-xray-unused");
  FixedClock clock;
  XrayScannerConfig config;
  config.type = "uff";
  test::DeviceLoop loop;
  const auto scanner = makeXrayScanner(config, loop.context(clock, &evidence), {});
  ASSERT_FALSE(scanner);
  EXPECT_NE(scanner.status().message().find("dicos-scp"), std::string::npos);
}

}  // namespace
}  // namespace kordon::drivers
