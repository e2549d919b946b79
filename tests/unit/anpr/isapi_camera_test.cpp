// SPDX-License-Identifier: Apache-2.0
#include "drivers/anpr_camera/isapi_camera.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "drivers/anpr_camera/anpr_camera.hpp"
#include "drivers/common/evidence_store.hpp"
#include "edge/base/crypto.hpp"
#include "tests/support/device_loop.hpp"

#include <unistd.h>

namespace kordon::drivers {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

class FixedClock final : public Clock {
 public:
  WallMs nowWallMs() const override { return 1'800'000'000'000; }
  std::chrono::steady_clock::time_point nowSteady() const override { return {}; }
};

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string fixtureXml() {
  return readFile(std::string(KORDON_SOURCE_DIR) + "/tests/fixtures/isapi/anpr_event.xml");
}

// Minimal JPEG-shaped payloads: SOI marker, some bytes with CR/LF, EOI marker.
const std::string kPlateJpeg = "\xFF\xD8\xFF\xE0plate\r\n\x00\x01\xFF\xD9"s;
const std::string kSceneJpeg = "\xFF\xD8\xFF\xE0scene picture\r\n--\r\n\xFF\xD9"s;

struct TestPart {
  std::string name, content_type, bytes;
};

http::Request multipartRequest(const std::vector<TestPart>& parts) {
  http::Request request;
  request.method = "POST";
  request.path = "/anpr/L1";
  request.remote = "10.20.1.41:50000";
  request.headers["content-type"] = "multipart/form-data; boundary=MIME_boundary";
  for (const TestPart& part : parts) {
    request.body += "--MIME_boundary\r\nContent-Disposition: form-data; name=\"" + part.name +
                    "\"; filename=\"" + part.name + "\"\r\nContent-Type: " + part.content_type +
                    "\r\nContent-Length: " + std::to_string(part.bytes.size()) + "\r\n\r\n" +
                    part.bytes + "\r\n";
  }
  request.body += "--MIME_boundary--\r\n";
  return request;
}

http::Request cameraPush() {
  return multipartRequest({{"anpr.xml", "application/xml", fixtureXml()},
                           {"licensePlatePicture.jpg", "image/jpeg", kPlateJpeg},
                           {"detectionPicture.jpg", "image/jpeg", kSceneJpeg}});
}

class IsapiCameraTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "kordon-anpr-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    evidence_ = std::make_unique<EvidenceStore>(root_ + "/evidence");
    CameraConfig config;
    config.device_id = "cam-L1";
    config.lane = "L1";
    // A camera delivers on the loop already (a push's completion): this thread plays it.
    auto camera = makeAnprCamera(config, loop_.context(clock_, evidence_.get()),
                                 {[this](const msg::PlateRead& read) {
                                    reads_.push_back(read);
                                    return plate_saved_;
                                  },
                                  nullptr});
    ASSERT_TRUE(camera) << camera.status().message();
    camera_ = std::move(camera).value();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::string root_;
  FixedClock clock_;
  test::DeviceLoop loop_;
  std::unique_ptr<EvidenceStore> evidence_;
  std::unique_ptr<AnprCamera> camera_;
  std::vector<msg::PlateRead> reads_;
  Status plate_saved_ = Status::ok();  // what the journal answers a read
};

TEST_F(IsapiCameraTest, MultipartPushBecomesPlateReadWithDurableEvidence) {
  const http::Response response = camera_->handle(cameraPush());
  EXPECT_EQ(response.status, 200) << response.body;

  ASSERT_EQ(reads_.size(), 1u);
  const msg::PlateRead& read = reads_[0];
  EXPECT_EQ(read.camera_id, "cam-L1");
  EXPECT_EQ(read.lane, "L1");
  EXPECT_EQ(read.plate_raw, "123ABC02");
  EXPECT_EQ(read.confidence_pct, 97);
  EXPECT_EQ(read.direction, "reverse");
  EXPECT_EQ(read.source_event_id, "6f1c2b8e-3d4a-4e5f-9a7b-0c1d2e3f4a5b");
  EXPECT_EQ(read.time_ms, 1795602300123);  // the camera's dateTime, not the clock

  ASSERT_EQ(read.evidence.size(), 2u);
  EXPECT_EQ(read.evidence[0].role, "plate");
  EXPECT_EQ(read.evidence[0].sha256, sha256Hex(kPlateJpeg));
  EXPECT_EQ(read.evidence[1].role, "scene");
  EXPECT_EQ(read.evidence[1].sha256, sha256Hex(kSceneJpeg));
  for (const msg::Evidence& evidence : read.evidence) {
    EXPECT_EQ(evidence.media_type, "image/jpeg");
    const fs::path path = evidence_->pathFor(evidence.sha256, evidence.media_type);
    EXPECT_EQ(path, fs::path(root_) / "evidence" / evidence.sha256.substr(0, 2) /
                        (evidence.sha256 + ".jpg"));
    ASSERT_TRUE(fs::exists(path)) << path;
    EXPECT_EQ(sha256Hex(readFile(path.string())), evidence.sha256);
    EXPECT_EQ(fs::file_size(path), evidence.size_bytes);
  }
  EXPECT_EQ(camera_->counters().readings.load(), 1u);
  EXPECT_EQ(camera_->counters().comms_errors.load(), 0u);
}

TEST_F(IsapiCameraTest, BareXmlBodyIsAccepted) {
  http::Request request;
  request.method = "POST";
  request.headers["content-type"] = "application/xml; charset=UTF-8";
  request.body = fixtureXml();
  EXPECT_EQ(camera_->handle(request).status, 200);
  request.headers["content-type"] = "text/xml";
  EXPECT_EQ(camera_->handle(request).status, 200);
  ASSERT_EQ(reads_.size(), 2u);
  EXPECT_EQ(reads_[0].plate_raw, "123ABC02");
  EXPECT_TRUE(reads_[0].evidence.empty());
}

TEST_F(IsapiCameraTest, XmlPartFoundByFilenameOrLeadingAngleBracket) {
  // Firmware varies the XML part's field name and Content-Type.
  auto by_name = multipartRequest({{"MoveDetection.xml", "text/plain", fixtureXml()}});
  EXPECT_EQ(camera_->handle(by_name).status, 200);
  auto by_bytes = multipartRequest({{"event", "application/octet-stream", fixtureXml()},
                                    {"licensePlatePicture.jpg", "image/jpeg", kPlateJpeg}});
  EXPECT_EQ(camera_->handle(by_bytes).status, 200);
  ASSERT_EQ(reads_.size(), 2u);
  ASSERT_EQ(reads_[1].evidence.size(), 1u);
  EXPECT_EQ(reads_[1].evidence[0].role, "plate");
}

TEST_F(IsapiCameraTest, UsesReceiveTimeWhenCameraTimeIsMissing) {
  std::string xml = fixtureXml();
  const std::string date_time = "<dateTime>2026-11-25T15:25:00.123+05:00</dateTime>";
  xml.erase(xml.find(date_time), date_time.size());
  EXPECT_EQ(camera_->handle(multipartRequest({{"anpr.xml", "application/xml", xml}})).status, 200);
  ASSERT_EQ(reads_.size(), 1u);
  EXPECT_EQ(reads_[0].time_ms, clock_.nowWallMs());
}

TEST_F(IsapiCameraTest, BadBodiesAre400AndCounted) {
  std::string no_plate = fixtureXml();
  const std::string plate = "<licensePlate>123ABC02</licensePlate>";
  no_plate.erase(no_plate.find(plate), plate.size());

  http::Request truncated = cameraPush();
  truncated.body.resize(truncated.body.size() - 10);
  http::Request no_boundary = cameraPush();
  no_boundary.headers["content-type"] = "multipart/form-data";
  http::Request garbage_xml;
  garbage_xml.method = "POST";
  garbage_xml.headers["content-type"] = "application/xml";
  garbage_xml.body = "<EventNotificationAlert><eventType>ANPR";

  const std::vector<http::Request> bad = {
      truncated,
      no_boundary,
      garbage_xml,
      multipartRequest({{"anpr.xml", "application/xml", no_plate}}),
      multipartRequest({{"licensePlatePicture.jpg", "image/jpeg", kPlateJpeg}}),  // no XML
  };
  std::uint64_t expected_errors = 0;
  for (const http::Request& request : bad) {
    const http::Response response = camera_->handle(request);
    EXPECT_EQ(response.status, 400) << response.body;
    EXPECT_FALSE(response.body.empty());
    EXPECT_EQ(response.body.find('\n'), response.body.size() - 1) << "one line: " << response.body;
    EXPECT_EQ(camera_->counters().comms_errors.load(), ++expected_errors);
  }
  EXPECT_TRUE(reads_.empty());
  EXPECT_EQ(camera_->counters().readings.load(), 0u);
}

TEST_F(IsapiCameraTest, UnsupportedContentTypeIs415) {
  http::Request request;
  request.method = "POST";
  request.headers["content-type"] = "application/json";
  request.body = "{}";
  EXPECT_EQ(camera_->handle(request).status, 415);
  EXPECT_EQ(camera_->counters().comms_errors.load(), 1u);
}

TEST_F(IsapiCameraTest, NonPostIs405) {
  http::Request request;
  request.method = "GET";
  const http::Response response = camera_->handle(request);
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.headers.at("Allow"), "POST");
  EXPECT_TRUE(reads_.empty());
}

TEST_F(IsapiCameraTest, HeartbeatIsAnsweredAndIgnored) {
  http::Request request;
  request.method = "POST";
  request.headers["content-type"] = "application/xml";
  request.body =
      "<EventNotificationAlert version=\"2.0\" xmlns=\"http://www.isapi.org/ver20/XMLSchema\">"
      "<eventType>heartBeat</eventType><eventState>active</eventState>"
      "</EventNotificationAlert>";
  const http::Response response = camera_->handle(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_NE(response.body.find("heartBeat"), std::string::npos);
  EXPECT_TRUE(reads_.empty());
  EXPECT_EQ(camera_->counters().comms_errors.load(), 0u);
  EXPECT_EQ(dynamic_cast<IsapiPushCamera&>(*camera_).ignoredEvents(), 1u);
}

TEST_F(IsapiCameraTest, NonJpegImageIsDroppedButTheReadIsKept) {
  const http::Response response =
      camera_->handle(multipartRequest({{"anpr.xml", "application/xml", fixtureXml()},
                                        {"licensePlatePicture.jpg", "image/jpeg", "GIF89a..."},
                                        {"detectionPicture.jpg", "image/jpeg", kSceneJpeg}}));
  EXPECT_EQ(response.status, 200);
  ASSERT_EQ(reads_.size(), 1u);
  ASSERT_EQ(reads_[0].evidence.size(), 1u);
  EXPECT_EQ(reads_[0].evidence[0].role, "scene");
  EXPECT_EQ(camera_->counters().comms_errors.load(), 1u);
}

TEST_F(IsapiCameraTest, EvidenceStoreFailureIsAnsweredNotSavedAndCounted) {
  // A regular file where the store's root directory should be: every put() fails. A camera
  // does not re-send after a 200, so a read whose pictures were not saved is not answered 200:
  // 503 with Retry-After, and the read is not delivered (it comes again with its pictures).
  const std::string blocked_root = root_ + "/not-a-dir";
  std::ofstream(blocked_root) << "x";
  EvidenceStore broken(blocked_root);
  IsapiPushCamera camera(CameraConfig{}, broken, clock_, [this](const msg::PlateRead& read) {
    reads_.push_back(read);
    return Status::ok();
  });
  const http::Response response = camera.handle(cameraPush());
  EXPECT_EQ(response.status, 503);
  EXPECT_FALSE(response.headers.at("Retry-After").empty());
  EXPECT_TRUE(reads_.empty());
  EXPECT_EQ(camera.evidenceWriteFailures(), 1u);
  EXPECT_EQ(camera.counters().store_failures.load(), 1u);
}

TEST_F(IsapiCameraTest, AReadTheJournalDidNotTakeIsAnswered503NotOk) {
  plate_saved_ = Status::error("journal: database or disk is full");
  const http::Response refused = camera_->handle(cameraPush());
  EXPECT_EQ(refused.status, 503);
  EXPECT_NE(refused.body.find("disk is full"), std::string::npos) << refused.body;
  EXPECT_EQ(camera_->counters().store_failures.load(), 1u);
  EXPECT_EQ(camera_->counters().readings.load(), 0u);
  // The camera re-sends once the journal takes writes again, and that one is a 200.
  plate_saved_ = Status::ok();
  EXPECT_EQ(camera_->handle(cameraPush()).status, 200);
  EXPECT_EQ(camera_->counters().readings.load(), 1u);
}

TEST(AnprCameraFactory, UnknownTypeNamesItAndListsKnownTypes) {
  EvidenceStore evidence("/nonexistent");
  FixedClock clock;
  CameraConfig config;
  config.type = "axis-lpv";
  test::DeviceLoop loop;
  auto camera = makeAnprCamera(config, loop.context(clock, &evidence), {});
  ASSERT_FALSE(camera);
  EXPECT_NE(camera.status().message().find("'axis-lpv'"), std::string::npos);
  EXPECT_NE(camera.status().message().find("isapi-push"), std::string::npos);
  EXPECT_NE(camera.status().message().find("dahua-itsapi"), std::string::npos);
}

TEST(AnprCameraFactory, RejectsPathWithoutLeadingSlash) {
  EvidenceStore evidence("/nonexistent");
  FixedClock clock;
  CameraConfig config;
  config.path = "anpr/L1";
  test::DeviceLoop loop;
  EXPECT_FALSE(makeAnprCamera(config, loop.context(clock, &evidence), {}));
}

}  // namespace
}  // namespace kordon::drivers
