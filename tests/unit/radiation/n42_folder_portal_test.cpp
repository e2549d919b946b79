// SPDX-License-Identifier: Apache-2.0
// The n42-folder driver, one scan at a time (scanForTest), on a temporary folder.

#include "drivers/radiation_portal/n42_folder_portal.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/device_loop.hpp"

namespace kordon::drivers {
namespace {

namespace fs = std::filesystem;

class FixedClock final : public Clock {
 public:
  WallMs nowWallMs() const override { return 1'700'000'000'000; }
  std::chrono::steady_clock::time_point nowSteady() const override { return {}; }
};

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(KORDON_SOURCE_DIR) + "/tests/fixtures/radiation/" + name,
                   std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class N42FolderPortalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "kordon-n42-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    fs::create_directories(root_ / "in");
    evidence_ = std::make_unique<EvidenceStore>((root_ / "evidence").string());
    RadiationPortalConfig config;
    config.device_id = "rpm-n42";
    config.lane = "L2";
    config.type = "n42-folder";
    config.folder = (root_ / "in").string();
    portal_ = std::make_unique<N42FolderPortal>(
        config, *evidence_, clock_,
        [this](const msg::RadiationOccupancy& o) {
          occupancies_.push_back(o);
          return saved_;
        },
        [this](const msg::DeviceStatus& s) { statuses_.push_back(s); });
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  void write(const std::string& name, const std::string& bytes) {
    std::ofstream(root_ / "in" / name, std::ios::binary) << bytes;
  }

  fs::path root_;
  FixedClock clock_;
  std::unique_ptr<EvidenceStore> evidence_;
  std::unique_ptr<N42FolderPortal> portal_;
  std::vector<msg::RadiationOccupancy> occupancies_;
  Status saved_ = Status::ok();  // what the journal answers an occupancy
  std::vector<msg::DeviceStatus> statuses_;
};

TEST_F(N42FolderPortalTest, PublishesASettledDocumentWithEvidenceAndMovesItToDone) {
  write("a.n42", fixture("portal_alarm_prefixed.n42"));
  write("ignored.txt", "x");
  write(".hidden.n42", "x");
  portal_->scanForTest();  // first sight: not yet settled
  EXPECT_TRUE(occupancies_.empty());
  ASSERT_EQ(statuses_.size(), 1U);
  EXPECT_EQ(statuses_[0].health, msg::DeviceHealth::kGood);
  EXPECT_EQ(statuses_[0].device_class, "radiation_portal");
  portal_->scanForTest();
  ASSERT_EQ(occupancies_.size(), 1U);
  const auto& occ = occupancies_[0];
  EXPECT_EQ(occ.device_id, "rpm-n42");
  EXPECT_EQ(occ.lane, "L2");
  EXPECT_EQ(occ.alarm, msg::RadiationAlarm::kBoth);
  EXPECT_EQ(occ.occupancy_id, "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");
  ASSERT_EQ(occ.evidence.size(), 1U);
  EXPECT_EQ(occ.evidence[0].media_type, "application/xml");
  EXPECT_TRUE(fs::exists(evidence_->pathFor(occ.evidence[0].sha256, "application/xml")));
  EXPECT_TRUE(fs::exists(root_ / "in" / "done" / "a.n42"));
  EXPECT_FALSE(fs::exists(root_ / "in" / "a.n42"));
  EXPECT_TRUE(fs::exists(root_ / "in" / "ignored.txt"));
  EXPECT_TRUE(fs::exists(root_ / "in" / ".hidden.n42"));
  EXPECT_EQ(portal_->counters().readings.load(), 1U);
}

TEST_F(N42FolderPortalTest, AGrowingFileIsLeftAlone) {
  const std::string doc = fixture("portal_clean.n42");
  write("b.xml", doc.substr(0, 100));
  portal_->scanForTest();
  write("b.xml", doc);  // still being written: size changed
  portal_->scanForTest();
  EXPECT_TRUE(occupancies_.empty());
  portal_->scanForTest();
  ASSERT_EQ(occupancies_.size(), 1U);
  EXPECT_EQ(occupancies_[0].gamma_counts, 1800);
}

TEST_F(N42FolderPortalTest, BadDocumentsGoToFailedAndDegradeHealth) {
  const std::string doc = fixture("portal_clean.n42");
  write("cut.n42", doc.substr(0, doc.size() / 2));
  write("riid.n42", fixture("riid_spectrum.n42"));
  portal_->scanForTest();
  portal_->scanForTest();
  EXPECT_TRUE(occupancies_.empty());
  EXPECT_EQ(portal_->counters().comms_errors.load(), 2U);
  EXPECT_TRUE(fs::exists(root_ / "in" / "failed" / "cut.n42"));
  EXPECT_TRUE(fs::exists(root_ / "in" / "failed" / "riid.n42"));
  EXPECT_EQ(portal_->health(), msg::DeviceHealth::kDegraded);
  write("good.n42", doc);
  portal_->scanForTest();
  portal_->scanForTest();
  ASSERT_EQ(occupancies_.size(), 1U);
  EXPECT_EQ(portal_->health(), msg::DeviceHealth::kGood);
}

TEST_F(N42FolderPortalTest, AnOccupancyTheJournalDidNotTakeStaysInTheFolderAndIsTakenAgain) {
  write("a.n42", fixture("portal_alarm_prefixed.n42"));
  saved_ = Status::error("journal: database or disk is full");
  portal_->scanForTest();
  portal_->scanForTest();
  ASSERT_EQ(occupancies_.size(), 1U);  // offered, refused
  EXPECT_TRUE(fs::exists(root_ / "in" / "a.n42"));
  EXPECT_FALSE(fs::exists(root_ / "in" / "done" / "a.n42"));
  EXPECT_EQ(portal_->counters().store_failures.load(), 1U);
  EXPECT_EQ(portal_->health(), msg::DeviceHealth::kDegraded);
  saved_ = Status::ok();
  for (int i = 0; i < 3 && !fs::exists(root_ / "in" / "done" / "a.n42"); ++i) {
    portal_->scanForTest();
  }
  EXPECT_TRUE(fs::exists(root_ / "in" / "done" / "a.n42"));
  EXPECT_EQ(occupancies_.size(), 2U);
  EXPECT_EQ(portal_->counters().readings.load(), 1U);
  EXPECT_EQ(portal_->health(), msg::DeviceHealth::kGood);
}

TEST_F(N42FolderPortalTest, MissingFolderIsNotConnected) {
  fs::remove_all(root_ / "in");
  portal_->scanForTest();
  ASSERT_FALSE(statuses_.empty());
  EXPECT_EQ(statuses_.back().health, msg::DeviceHealth::kNotConnected);
  fs::create_directories(root_ / "in");
  portal_->scanForTest();
  EXPECT_EQ(statuses_.back().health, msg::DeviceHealth::kGood);
}

TEST(RadiationPortalFactory, RejectsUnknownTypesAndBadConfig) {
  FixedClock clock;
  EvidenceStore evidence((fs::temp_directory_path() / "kordon-n42-unused").string());
  const auto on_occ = [](const msg::RadiationOccupancy&) { return Status::ok(); };
  const auto on_status = [](const msg::DeviceStatus&) {};
  test::DeviceLoop loop;
  const DeviceContext devices = loop.context(clock, &evidence);
  RadiationPortalConfig config;
  config.type = "modbus-rtu";
  auto made = makeRadiationPortal(config, devices, {on_occ, on_status});
  ASSERT_FALSE(made);
  EXPECT_NE(made.status().message().find("vm250-tcp, n42-folder"), std::string::npos);
  config.type = "n42-folder";
  EXPECT_FALSE(makeRadiationPortal(config, devices, {on_occ, on_status}));  // no folder
  config.type = "vm250-tcp";
  config.stale_after_ms = 0;
  EXPECT_FALSE(makeRadiationPortal(config, devices, {on_occ, on_status}));
  config.stale_after_ms = 1000;
  config.backoff_max_ms = 1;
  EXPECT_FALSE(makeRadiationPortal(config, devices, {on_occ, on_status}));
  config.backoff_max_ms = 8000;
  EXPECT_TRUE(makeRadiationPortal(config, devices, {on_occ, on_status}));
  EXPECT_FALSE(makeRadiationPortal(config, devices, {nullptr, on_status}));
}

}  // namespace
}  // namespace kordon::drivers
