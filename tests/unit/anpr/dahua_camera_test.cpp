// SPDX-License-Identifier: Apache-2.0
#include "drivers/anpr_camera/dahua_camera.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "drivers/anpr_camera/anpr_camera.hpp"
#include "drivers/anpr_camera/isapi_camera.hpp"
#include "drivers/common/evidence_store.hpp"
#include "edge/base/crypto.hpp"
#include "tests/support/device_loop.hpp"

#include <unistd.h>

namespace kordon::drivers {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;
using namespace std::chrono_literals;

// Wall and steady time both move only when the test says so.
class FakeClock final : public Clock {
 public:
  WallMs nowWallMs() const override { return 1'800'000'000'000 + elapsed_ms_; }
  std::chrono::steady_clock::time_point nowSteady() const override {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(elapsed_ms_));
  }
  void advance(std::chrono::milliseconds by) { elapsed_ms_ += by.count(); }

 private:
  std::int64_t elapsed_ms_ = 0;
};

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(KORDON_SOURCE_DIR) + "/tests/fixtures/dahua/" + name,
                   std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

const std::string kPlateJpeg = "\xFF\xD8\xFF\xE0plate crop\r\n\x00\x01\xFF\xD9"s;
const std::string kSceneJpeg = "\xFF\xD8\xFF\xE0scene picture\r\n\xFF\xD9"s;

http::Request post(const std::string& path, const std::string& body) {
  http::Request request;
  request.method = "POST";
  request.path = path;
  request.remote = "10.20.2.41:50000";
  request.headers["content-type"] = "application/json";
  request.body = body;
  return request;
}

class DahuaCameraTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "kordon-dahua-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    evidence_ = std::make_unique<EvidenceStore>(root_ + "/evidence");
    config_.device_id = "cam-L2";
    config_.lane = "L2";
    config_.type = "dahua-itsapi";
    config_.path = "/anpr/L2";
    config_.stale_after_ms = 10'000;
    // A camera delivers on the loop already (a push's completion): this thread plays it.
    auto camera =
        makeAnprCamera(config_, loop_.context(clock_, evidence_.get()),
                       {[this](const msg::PlateRead& read) {
                          reads_.push_back(read);
                          return plate_saved_;
                        },
                        [this](const msg::DeviceStatus& status) { statuses_.push_back(status); }});
    ASSERT_TRUE(camera) << camera.status().message();
    camera_ = std::move(camera).value();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  DahuaItsapiCamera& dahua() { return dynamic_cast<DahuaItsapiCamera&>(*camera_); }
  http::Response tollgate(const std::string& body) {
    return camera_->handle(post("/anpr/L2/NotificationInfo/TollgateInfo", body));
  }
  http::Response keepAlive(const std::string& body = "{}") {
    return camera_->handle(post("/anpr/L2/NotificationInfo/KeepAlive", body));
  }

  std::string root_;
  FakeClock clock_;
  CameraConfig config_;
  test::DeviceLoop loop_;
  std::unique_ptr<EvidenceStore> evidence_;
  std::unique_ptr<AnprCamera> camera_;
  std::vector<msg::PlateRead> reads_;
  Status plate_saved_ = Status::ok();  // what the journal answers a read
  std::vector<msg::DeviceStatus> statuses_;
};

TEST_F(DahuaCameraTest, RoutesOnlyItsNotificationSubPaths) {
  EXPECT_TRUE(camera_->handles("/anpr/L2/NotificationInfo/TollgateInfo"));
  EXPECT_TRUE(camera_->handles("/anpr/L2/NotificationInfo/KeepAlive"));
  EXPECT_FALSE(camera_->handles("/anpr/L2"));
  EXPECT_FALSE(camera_->handles("/anpr/L2/NotificationInfo/"));
  EXPECT_FALSE(camera_->handles("/anpr/L20/NotificationInfo/KeepAlive"));
  EXPECT_FALSE(camera_->handles("/NotificationInfo/KeepAlive"));

  CameraConfig root = config_;
  root.path = "/";
  DahuaItsapiCamera at_root(root, *evidence_, clock_, nullptr);
  EXPECT_TRUE(at_root.handles("/NotificationInfo/TollgateInfo"));
  EXPECT_FALSE(at_root.handles("/healthz"));

  EvidenceStore evidence("/nonexistent");
  IsapiPushCamera isapi(CameraConfig{}, evidence, clock_, nullptr);
  EXPECT_TRUE(isapi.handles("/anpr/L1"));
  EXPECT_FALSE(isapi.handles("/anpr/L1/x"));
}

TEST_F(DahuaCameraTest, TollgateBecomesPlateReadWithDurableEvidenceAndResultTrue) {
  const http::Response response = tollgate(fixture("tollgate_event.json"));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, R"({"Result":true})");
  EXPECT_EQ(response.content_type, "application/json");

  ASSERT_EQ(reads_.size(), 1u);
  const msg::PlateRead& read = reads_[0];
  EXPECT_EQ(read.camera_id, "cam-L2");
  EXPECT_EQ(read.lane, "L2");
  EXPECT_EQ(read.plate_raw, "123ABC02");
  EXPECT_EQ(read.confidence_pct, 97);
  EXPECT_EQ(read.direction, "reverse");
  EXPECT_EQ(read.source_event_id, "dahua:4711@2026-11-25 15:25:00.123");
  EXPECT_EQ(read.time_ms, 1795602300123);
  ASSERT_EQ(read.evidence.size(), 2u);
  EXPECT_EQ(read.evidence[0].role, "scene");
  EXPECT_EQ(read.evidence[0].sha256, sha256Hex(kSceneJpeg));
  EXPECT_EQ(read.evidence[1].role, "plate");
  EXPECT_EQ(read.evidence[1].sha256, sha256Hex(kPlateJpeg));
  for (const msg::Evidence& evidence : read.evidence) {
    const fs::path path = evidence_->pathFor(evidence.sha256, evidence.media_type);
    ASSERT_TRUE(fs::exists(path)) << path;  // durable before the reply
    EXPECT_EQ(fs::file_size(path), evidence.size_bytes);
  }
  EXPECT_EQ(camera_->counters().readings.load(), 1u);
  EXPECT_EQ(camera_->counters().comms_errors.load(), 0u);
}

TEST_F(DahuaCameraTest, EvidenceIsStoredBeforeTheCallbackRuns) {
  std::vector<bool> existed;
  DahuaItsapiCamera camera(config_, *evidence_, clock_, [&](const msg::PlateRead& read) {
    for (const auto& e : read.evidence) {
      existed.push_back(fs::exists(evidence_->pathFor(e.sha256, e.media_type)));
    }
    return Status::ok();
  });
  EXPECT_EQ(
      camera.handle(post("/anpr/L2/NotificationInfo/TollgateInfo", fixture("tollgate_event.json")))
          .status,
      200);
  EXPECT_EQ(existed, (std::vector<bool>{true, true}));
}

TEST_F(DahuaCameraTest, ResentEventIsAcknowledgedButNotPublishedTwice) {
  EXPECT_EQ(tollgate(fixture("tollgate_event.json")).body, R"({"Result":true})");
  const http::Response again = tollgate(fixture("tollgate_event.json"));
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(nlohmann::json::parse(again.body)["Result"], true);
  EXPECT_EQ(reads_.size(), 1u);
  EXPECT_EQ(dahua().duplicateEvents(), 1u);
}

TEST_F(DahuaCameraTest, KeepAliveIsAnsweredResultTrue) {
  EXPECT_EQ(keepAlive(fixture("keepalive.json")).body, R"({"Result":true})");
  EXPECT_EQ(keepAlive("").body, R"({"Result":true})");
  EXPECT_EQ(dahua().keepAlives(), 2u);
  EXPECT_TRUE(reads_.empty());
  EXPECT_EQ(camera_->counters().comms_errors.load(), 0u);
}

TEST_F(DahuaCameraTest, MalformedBodyIs400ResultFalseThenAcknowledgedWhenResent) {
  const std::string golden = fixture("tollgate_event.json");
  const std::string truncated = golden.substr(0, golden.size() / 2);
  const http::Response first = tollgate(truncated);
  EXPECT_EQ(first.status, 400);
  const nlohmann::json first_body = nlohmann::json::parse(first.body);
  EXPECT_EQ(first_body["Result"], false);
  EXPECT_NE(first_body["Message"].get<std::string>().find("not valid JSON"), std::string::npos);
  // The camera re-sends the same bytes: acknowledged so it stops, still not a plate read.
  const http::Response resent = tollgate(truncated);
  EXPECT_EQ(resent.status, 200);
  const nlohmann::json resent_body = nlohmann::json::parse(resent.body);
  EXPECT_EQ(resent_body["Result"], true);
  EXPECT_EQ(resent_body["Accepted"], false);
  // A different broken body gets its own 400.
  EXPECT_EQ(tollgate(R"({"Picture":{"Plate":{"PlateNumber":7}}})").status, 400);
  EXPECT_EQ(keepAlive("\x01garbage").status, 400);
  EXPECT_TRUE(reads_.empty());
  EXPECT_EQ(camera_->counters().comms_errors.load(), 4u);
  EXPECT_EQ(camera_->counters().readings.load(), 0u);
}

TEST_F(DahuaCameraTest, InvalidUtf8InAnErrorMessageDoesNotThrow) {
  const http::Response response = tollgate("{\"Picture\": \xFF\xFE}");
  EXPECT_EQ(response.status, 400);
  EXPECT_FALSE(nlohmann::json::parse(response.body, nullptr, false).is_discarded());
}

TEST_F(DahuaCameraTest, NonJpegOrBadBase64PictureIsDroppedButTheReadIsKept) {
  std::string body = fixture("tollgate_event.json");
  // Scene: valid base64 of "GIF89a"; plate: not base64 at all.
  const std::string scene_b64 = "/9j/4HNjZW5lIHBpY3R1cmUNCv/Z";
  body.replace(body.find(scene_b64), scene_b64.size(), "R0lGODlh");
  const std::string plate_b64 = "/9j/4HBsYXRlIGNyb3ANCgAB/9k=";
  body.replace(body.find(plate_b64), plate_b64.size(), "@@@@");
  EXPECT_EQ(tollgate(body).body, R"({"Result":true})");
  ASSERT_EQ(reads_.size(), 1u);
  EXPECT_TRUE(reads_[0].evidence.empty());
  EXPECT_EQ(dahua().rejectedImages(), 2u);
  EXPECT_EQ(camera_->counters().comms_errors.load(), 2u);
}

TEST_F(DahuaCameraTest, OtherNotificationsAreAcknowledgedAndOtherMethodsRefused) {
  EXPECT_EQ(camera_->handle(post("/anpr/L2/NotificationInfo/DeviceInfo", "{}")).body,
            R"({"Result":true})");
  EXPECT_EQ(dahua().ignoredEvents(), 1u);
  http::Request get = post("/anpr/L2/NotificationInfo/KeepAlive", "");
  get.method = "GET";
  const http::Response response = camera_->handle(get);
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers.at("Allow"), "POST");
  EXPECT_EQ(camera_->handle(post("/anpr/L2/other", "")).status, 404);
}

TEST_F(DahuaCameraTest, UsesReceiveTimeWhenTheZoneIsUnreadable) {
  std::string body = fixture("tollgate_event.json");
  body.replace(body.find("\"+05:00\""), 8, "13");
  ASSERT_EQ(tollgate(body).status, 200);
  ASSERT_EQ(reads_.size(), 1u);
  // 13 is read as UTC+13 (a whole-hours number): documented behaviour.
  EXPECT_EQ(reads_[0].time_ms, 1795602300123 - 8 * 3'600'000LL);
  std::string unreadable = fixture("tollgate_event.json");
  unreadable.replace(unreadable.find("\"+05:00\""), 8, "\"Almaty\"");
  unreadable.replace(unreadable.find("4711"), 4, "4712");
  ASSERT_EQ(tollgate(unreadable).status, 200);
  ASSERT_EQ(reads_.size(), 2u);
  EXPECT_EQ(reads_[1].time_ms, clock_.nowWallMs());
}

// ---- Health ---------------------------------------------------------------------------------

TEST_F(DahuaCameraTest, HealthFollowsHeartbeatsErrorsAndSilence) {
  EXPECT_EQ(camera_->status().health, msg::DeviceHealth::kNotConnected);
  EXPECT_EQ(camera_->status().device_class, "anpr_camera");
  camera_->tick();
  ASSERT_EQ(statuses_.size(), 1u);
  EXPECT_EQ(statuses_.back().health, msg::DeviceHealth::kNotConnected);

  keepAlive();
  EXPECT_EQ(camera_->status().health, msg::DeviceHealth::kGood);
  ASSERT_EQ(statuses_.size(), 2u);  // published from handle() on the change
  EXPECT_EQ(statuses_.back().health, msg::DeviceHealth::kGood);
  EXPECT_EQ(statuses_.back().device_id, "cam-L2");
  EXPECT_EQ(statuses_.back().lane, "L2");

  clock_.advance(9'999ms);
  camera_->tick();
  EXPECT_EQ(camera_->status().health, msg::DeviceHealth::kGood);
  clock_.advance(1ms);
  camera_->tick();
  EXPECT_EQ(camera_->status().health, msg::DeviceHealth::kNoData);
  ASSERT_EQ(statuses_.size(), 3u);
  EXPECT_EQ(statuses_.back().health, msg::DeviceHealth::kNoData);
  EXPECT_NE(statuses_.back().reason.find("10000 ms"), std::string::npos);
  camera_->tick();
  EXPECT_EQ(statuses_.size(), 3u);  // published on change only

  // Garbage keeps the camera "talking" but is not data: one error is tolerated...
  keepAlive();
  tollgate("\x01 garbage");
  EXPECT_EQ(camera_->status().health, msg::DeviceHealth::kGood);
  // ...two of the last five requests are degraded.
  tollgate("\x02 more garbage");
  EXPECT_EQ(camera_->status().health, msg::DeviceHealth::kDegraded);
  EXPECT_EQ(statuses_.back().health, msg::DeviceHealth::kDegraded);
  EXPECT_EQ(statuses_.back().counters["comms_errors"], 2);
  // Recovery: the errors leave the window of the last five requests.
  for (int i = 0; i < 3; ++i) keepAlive();
  EXPECT_EQ(camera_->status().health, msg::DeviceHealth::kDegraded);
  keepAlive();
  EXPECT_EQ(camera_->status().health, msg::DeviceHealth::kGood);
  EXPECT_EQ(statuses_.back().health, msg::DeviceHealth::kGood);
}

TEST_F(DahuaCameraTest, NeverHeardFromBecomesNoDataAfterStaleTime) {
  clock_.advance(10'000ms);
  camera_->tick();
  EXPECT_EQ(camera_->status().health, msg::DeviceHealth::kNoData);
  EXPECT_EQ(statuses_.back().health, msg::DeviceHealth::kNoData);
}

TEST(IsapiCameraHealth, HeartbeatIsContactAndRejectedBodiesDegrade) {
  FakeClock clock;
  EvidenceStore evidence("/nonexistent");
  CameraConfig config;
  config.stale_after_ms = 5'000;
  std::vector<msg::DeviceStatus> statuses;
  IsapiPushCamera camera(config, evidence, clock, nullptr,
                         [&](const msg::DeviceStatus& s) { statuses.push_back(s); });
  http::Request heartbeat;
  heartbeat.method = "POST";
  heartbeat.headers["content-type"] = "application/xml";
  heartbeat.body =
      "<EventNotificationAlert><eventType>heartBeat</eventType></EventNotificationAlert>";
  EXPECT_EQ(camera.handle(heartbeat).status, 200);
  EXPECT_EQ(camera.status().health, msg::DeviceHealth::kGood);
  http::Request garbage = heartbeat;
  garbage.body = "<EventNotificationAlert><eventType>";
  EXPECT_EQ(camera.handle(garbage).status, 400);
  EXPECT_EQ(camera.handle(garbage).status, 400);
  EXPECT_EQ(camera.status().health, msg::DeviceHealth::kDegraded);
  clock.advance(5'000ms);
  camera.tick();
  EXPECT_EQ(camera.status().health, msg::DeviceHealth::kNoData);
  ASSERT_FALSE(statuses.empty());
  EXPECT_EQ(statuses.back().health, msg::DeviceHealth::kNoData);
}

TEST(AnprCameraFactory, DahuaTypeIsKnownAndStaleTimeValidated) {
  EvidenceStore evidence("/nonexistent");
  FakeClock clock;
  CameraConfig config;
  config.type = "dahua-itsapi";
  test::DeviceLoop loop;
  EXPECT_TRUE(makeAnprCamera(config, loop.context(clock, &evidence), {}));
  config.stale_after_ms = 0;
  auto bad = makeAnprCamera(config, loop.context(clock, &evidence), {});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.status().message().find("stale_after_ms"), std::string::npos);
}

}  // namespace
}  // namespace kordon::drivers
