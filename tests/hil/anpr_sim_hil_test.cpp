// SPDX-License-Identifier: Apache-2.0
// HIL: the real kordon-sim-anpr process pushes to an in-process kordon::http::Server routing to
// the real IsapiPushCamera, over loopback TCP. Asserts what the lane would receive against what
// the test told the simulator to show (ground truth on the control channel).

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "drivers/anpr_camera/anpr_camera.hpp"
#include "drivers/anpr_camera/isapi_camera.hpp"
#include "drivers/common/evidence_store.hpp"
#include "edge/base/crypto.hpp"
#include "edge/base/http.hpp"
#include "tests/hil/process.hpp"
#include "tests/support/device_loop.hpp"

#include <stdlib.h>

namespace kordon {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class AnprSimHil : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "kordon-anpr-hil-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    evidence_ = std::make_unique<drivers::EvidenceStore>(dir_ + "/evidence");

    drivers::CameraConfig config;
    config.device_id = "cam-L1";
    config.lane = "L1";
    config.path = "/anpr/L1";
    auto camera = drivers::makeAnprCamera(config, loop_.context(clock_, evidence_.get()),
                                          {[this](const msg::PlateRead& read) {
                                             std::lock_guard lock(mutex_);
                                             reads_.push_back(read);
                                             reads_changed_.notify_all();
                                             return Status::ok();
                                           },
                                           nullptr});
    ASSERT_TRUE(camera) << camera.status().message();
    camera_ = std::move(camera).value();

    // Route like the daemon does: the configured path to the camera, anything else 404.
    server_ = std::make_unique<http::Server>(io_, [this](const http::Request& request) {
      if (request.path == camera_->config().path) return camera_->handle(request);
      return http::Response::text(404, "no route\n");
    });
    auto target_port = server_->listen("127.0.0.1", 0);
    ASSERT_TRUE(target_port) << target_port.status().message();
    target_port_ = *target_port;
    io_thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    if (sim_) {
      auto ended = sim_->terminate();
      EXPECT_TRUE(ended && ended->cleanExit())
          << (ended ? ended->toString() : ended.status().message()) << "\n"
          << test::readTail(sim_->logPath());
    }
    io_.stop();
    if (io_thread_.joinable()) io_thread_.join();
    server_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Starts the simulator pushing to `target_url` and waits for its control port.
  void startSim(const std::string& target_url) {
    for (int attempt = 0; attempt < 3 && !sim_; ++attempt) {
      auto port = test::freeLoopbackPort();
      ASSERT_TRUE(port) << port.status().message();
      auto sim =
          test::Process::spawn({std::string(KORDON_BIN_DIR) + "/kordon-sim-anpr", "--target",
                                target_url, "--control", "127.0.0.1:" + std::to_string(*port),
                                "--camera-ip", "10.20.1.41", "--utc-offset", "+05:00"},
                               dir_ + "/sim.log");
      ASSERT_TRUE(sim) << sim.status().message();
      if (test::waitForTcpPort("127.0.0.1", *port, 5s)) {
        control_url_ = "http://127.0.0.1:" + std::to_string(*port);
        sim_ = std::move(sim).value();
      } else {
        (void)sim->terminate();  // the port was taken in between; try another
      }
    }
    ASSERT_TRUE(sim_) << "simulator did not come up\n" << test::readTail(dir_ + "/sim.log");
  }

  std::string targetUrl() const {
    return "http://127.0.0.1:" + std::to_string(target_port_) + "/anpr/L1";
  }

  // POSTs a control command to the simulator and returns its JSON reply.
  nlohmann::json control(const std::string& path_and_query, int expected_status) {
    auto response =
        http::request("POST", control_url_ + path_and_query, "", "application/json", 10s);
    EXPECT_TRUE(response) << response.status().message();
    if (!response) return {};
    EXPECT_EQ(response->status, expected_status) << response->body;
    return nlohmann::json::parse(response->body, nullptr, false);
  }

  std::vector<msg::PlateRead> waitForReads(std::size_t count) {
    std::unique_lock lock(mutex_);
    reads_changed_.wait_for(lock, 5s, [&] { return reads_.size() >= count; });
    return reads_;
  }

  std::string dir_;
  SystemClock clock_;
  // kordond's control loop: the driver's sink runs there. Outlives the driver.
  test::DeviceLoop loop_;
  std::unique_ptr<drivers::EvidenceStore> evidence_;
  std::unique_ptr<drivers::AnprCamera> camera_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  std::unique_ptr<http::Server> server_;
  std::uint16_t target_port_ = 0;
  std::thread io_thread_;
  std::optional<test::Process> sim_;
  std::string control_url_;

  std::mutex mutex_;
  std::condition_variable reads_changed_;
  std::vector<msg::PlateRead> reads_;
};

TEST_F(AnprSimHil, PlateCommandArrivesAsPlateReadWithDecodableEvidence) {
  startSim(targetUrl());
  const WallMs before_ms = clock_.nowWallMs();
  const nlohmann::json reply = control("/plate?text=123ABC02&confidence=97&direction=forward", 200);
  EXPECT_EQ(reply.value("ok", false), true) << reply.dump();
  EXPECT_EQ(reply.value("target_status", 0), 200) << reply.dump();

  const auto reads = waitForReads(1);
  ASSERT_EQ(reads.size(), 1u);
  const msg::PlateRead& read = reads[0];
  EXPECT_EQ(read.camera_id, "cam-L1");
  EXPECT_EQ(read.lane, "L1");
  EXPECT_EQ(read.plate_raw, "123ABC02");
  EXPECT_EQ(read.confidence_pct, 97);
  EXPECT_EQ(read.direction, "forward");
  EXPECT_EQ(read.source_event_id, reply.value("uuid", "?"));
  // Camera time (sent as local +05:00) must land on the same UTC instant as ours.
  EXPECT_GE(read.time_ms, before_ms - 1000);
  EXPECT_LE(read.time_ms, clock_.nowWallMs() + 1000);

  ASSERT_EQ(read.evidence.size(), 2u);
  const struct {
    const char* role;
    int width_px, height_px;
  } expected[] = {{"plate", 520, 112}, {"scene", 1280, 720}};
  for (const auto& want : expected) {
    const auto it = std::find_if(read.evidence.begin(), read.evidence.end(),
                                 [&](const msg::Evidence& e) { return e.role == want.role; });
    ASSERT_NE(it, read.evidence.end()) << want.role;
    EXPECT_EQ(it->media_type, "image/jpeg");
    const std::string path = evidence_->pathFor(it->sha256, it->media_type);
    const std::string bytes = readFile(path);
    ASSERT_EQ(bytes.size(), it->size_bytes) << path;
    EXPECT_EQ(sha256Hex(bytes), it->sha256);
    const cv::Mat image =
        cv::imdecode(std::vector<unsigned char>(bytes.begin(), bytes.end()), cv::IMREAD_COLOR);
    ASSERT_FALSE(image.empty()) << want.role << " does not decode";
    EXPECT_EQ(image.cols, want.width_px);
    EXPECT_EQ(image.rows, want.height_px);
  }
  EXPECT_EQ(camera_->counters().readings.load(), 1u);
  EXPECT_EQ(camera_->counters().comms_errors.load(), 0u);
}

TEST_F(AnprSimHil, FaultKnobsReachTheDriverAsDegradedOrRejectedPushes) {
  startSim(targetUrl());
  // Bad JPEG: the read survives without its plate picture.
  control("/plate?text=389BK01&fault=bad-jpeg", 200);
  // XML alone, as some firmware sends it: a read without pictures.
  control("/plate?text=A585CUO&fault=xml-only", 200);
  // Truncated multipart and truncated XML: rejected with 400, relayed as 502 by the simulator.
  EXPECT_EQ(control("/plate?text=123ABC02&fault=no-close", 502).value("target_status", 0), 400);
  EXPECT_EQ(control("/plate?text=123ABC02&fault=bad-xml", 502).value("target_status", 0), 400);
  // Heartbeats are answered and not published.
  control("/heartbeat", 200);

  const auto reads = waitForReads(2);
  ASSERT_EQ(reads.size(), 2u);
  EXPECT_EQ(reads[0].plate_raw, "389BK01");
  ASSERT_EQ(reads[0].evidence.size(), 1u);
  EXPECT_EQ(reads[0].evidence[0].role, "scene");
  EXPECT_EQ(reads[1].plate_raw, "A585CUO");
  EXPECT_TRUE(reads[1].evidence.empty());
  EXPECT_EQ(camera_->counters().comms_errors.load(), 3u);  // bad JPEG + two rejected bodies
  EXPECT_EQ(dynamic_cast<drivers::IsapiPushCamera&>(*camera_).ignoredEvents(), 1u);
}

// The scenario sends plates as a driver would see them on the vehicle: spaces, Cyrillic. The
// camera passes the text through unchanged; normalisation is the lane's job.
TEST_F(AnprSimHil, RawPlateTextWithSpacesAndCyrillicPassesThroughUnchanged) {
  startSim(targetUrl());
  const std::string cyrillic = "\xD0\x90 777 \xD0\x92\xD0\xA1 77";  // "А 777 ВС 77"
  control("/plate?text=" + http::percentEncode(cyrillic), 200);
  control("/plate?text=" + http::percentEncode("123 ABC 02"), 200);
  const auto reads = waitForReads(2);
  ASSERT_EQ(reads.size(), 2u);
  EXPECT_EQ(reads[0].plate_raw, cyrillic);
  EXPECT_EQ(reads[1].plate_raw, "123 ABC 02");
  EXPECT_EQ(reads[0].evidence.size(), 2u);
}

TEST_F(AnprSimHil, UnreachableTargetIsReportedAs502) {
  auto closed_port = test::freeLoopbackPort();
  ASSERT_TRUE(closed_port) << closed_port.status().message();
  startSim("http://127.0.0.1:" + std::to_string(*closed_port) + "/anpr/L1");
  const nlohmann::json reply = control("/plate?text=123ABC02", 502);
  EXPECT_EQ(reply.value("ok", true), false);
  EXPECT_NE(reply.value("error", "").find("unreachable"), std::string::npos) << reply.dump();
}

TEST_F(AnprSimHil, BadControlParametersAre400) {
  startSim(targetUrl());
  control("/plate?text=", 400);
  control("/plate?text=12%01AB", 400);    // control character
  control("/plate?text=%D0%90%D0", 400);  // truncated UTF-8
  control("/plate?text=123ABC02&confidence=101", 400);
  control("/plate?text=123ABC02&direction=up", 400);
  control("/plate?text=123ABC02&fault=melt", 400);
  EXPECT_TRUE(waitForReads(0).empty());
}

}  // namespace
}  // namespace kordon
