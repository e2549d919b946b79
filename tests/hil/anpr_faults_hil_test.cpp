// SPDX-License-Identifier: Apache-2.0
// HIL: the real kordon-sim-anpr process, in Dahua ITSAPI and Hikvision ISAPI modes, pushes to
// an in-process kordon::http::Server routing (by AnprCamera::handles(), as the daemon does) to
// the real camera drivers over loopback TCP. Each standing fault knob of the simulator
// (POST /fault?kind=...) must show up as the right camera health and counters, never as an
// invented plate read, and the camera must recover after kind=none.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "drivers/anpr_camera/anpr_camera.hpp"
#include "drivers/anpr_camera/dahua_camera.hpp"
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
using msg::DeviceHealth;

constexpr std::int64_t kStaleAfterMs = 1500;
constexpr const char* kHeartbeatS = "0.2";
constexpr const char* kSlowMs = "1500";

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class AnprFaultsHil : public ::testing::Test {
 protected:
  void startCamera(const std::string& type) {
    std::string pattern = (fs::temp_directory_path() / "kordon-anpr-faults-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    evidence_ = std::make_unique<drivers::EvidenceStore>(dir_ + "/evidence");
    drivers::CameraConfig config;
    config.device_id = "cam-L2";
    config.lane = "L2";
    config.type = type;
    config.path = "/anpr/L2";
    config.stale_after_ms = kStaleAfterMs;
    auto camera = drivers::makeAnprCamera(config, loop_.context(clock_, evidence_.get()),
                                          {[this](const msg::PlateRead& read) {
                                             std::lock_guard lock(mutex_);
                                             reads_.push_back(read);
                                             reads_changed_.notify_all();
                                             return Status::ok();
                                           },
                                           [this](const msg::DeviceStatus& status) {
                                             std::lock_guard lock(mutex_);
                                             published_.push_back(status.health);
                                           }});
    ASSERT_TRUE(camera) << camera.status().message();
    camera_ = std::move(camera).value();
    // Route like the daemon: the first camera whose handles() accepts the path; /ping is
    // another endpoint on the same loop, to show a slow upload does not block it.
    server_ = std::make_unique<http::Server>(io_, [this](const http::Request& request) {
      if (camera_->handles(request.path)) return camera_->handle(request);
      if (request.path == "/ping") return http::Response::json(200, R"({"pong":true})");
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
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  void startSim(const std::string& protocol) {
    const std::string target = "http://127.0.0.1:" + std::to_string(target_port_) + "/anpr/L2";
    for (int attempt = 0; attempt < 3 && !sim_; ++attempt) {
      auto port = test::freeLoopbackPort();
      ASSERT_TRUE(port) << port.status().message();
      auto sim = test::Process::spawn(
          {std::string(KORDON_BIN_DIR) + "/kordon-sim-anpr", "--protocol", protocol, "--target",
           target, "--control", "127.0.0.1:" + std::to_string(*port), "--camera-ip", "10.20.2.41",
           "--utc-offset", "+05:00", "--heartbeat-s", kHeartbeatS, "--slow-ms", kSlowMs},
          dir_ + "/sim.log");
      ASSERT_TRUE(sim) << sim.status().message();
      if (test::waitForTcpPort("127.0.0.1", *port, 5s)) {
        control_url_ = "http://127.0.0.1:" + std::to_string(*port);
        sim_ = std::move(sim).value();
      } else {
        (void)sim->terminate();
      }
    }
    ASSERT_TRUE(sim_) << "simulator did not come up\n" << test::readTail(dir_ + "/sim.log");
  }

  nlohmann::json control(const std::string& path_and_query, int expected_status) {
    auto response =
        http::request("POST", control_url_ + path_and_query, "", "application/json", 15s);
    EXPECT_TRUE(response) << response.status().message();
    if (!response) return {};
    EXPECT_EQ(response->status, expected_status) << path_and_query << ": " << response->body;
    return nlohmann::json::parse(response->body, nullptr, false);
  }

  // Runs fn on the server's loop (the camera's thread) and returns its result.
  template <typename Fn>
  auto onLoop(Fn fn) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto result = task.get_future();
    boost::asio::post(io_, [&task] { task(); });
    return result.get();
  }

  // Ticks first, as the daemon's 1 s control-loop tick does, so changes get published.
  msg::DeviceStatus status() {
    return onLoop([this] {
      camera_->tick();
      return camera_->status();
    });
  }

  // Polls until the camera reports `health`; false on timeout.
  bool waitForHealth(DeviceHealth health, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (status().health == health) return true;
      std::this_thread::sleep_for(25ms);
    }
    return status().health == health;
  }

  std::vector<msg::PlateRead> waitForReads(std::size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    reads_changed_.wait_for(lock, timeout, [&] { return reads_.size() >= count; });
    return reads_;
  }

  std::uint64_t commsErrors() { return camera_->counters().comms_errors.load(); }

  // Sets kind=none and expects the camera back to good within a few heartbeats.
  void expectRecovery() {
    control("/fault?kind=none", 200);
    EXPECT_TRUE(waitForHealth(DeviceHealth::kGood, 3s)) << status().reason;
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
  std::vector<DeviceHealth> published_;
};

TEST_F(AnprFaultsHil, DahuaTollgateArrivesAsPlateReadWithDecodableEvidence) {
  startCamera("dahua-itsapi");
  startSim("dahua");
  ASSERT_TRUE(waitForHealth(DeviceHealth::kGood, 3s)) << status().reason;  // KeepAlives
  const WallMs before_ms = clock_.nowWallMs();
  const nlohmann::json reply = control("/plate?text=123ABC02&confidence=97&direction=forward", 200);
  EXPECT_EQ(reply["attempts"], nlohmann::json::array({200})) << reply.dump();

  const auto reads = waitForReads(1, 5s);
  ASSERT_EQ(reads.size(), 1u);
  const msg::PlateRead& read = reads[0];
  EXPECT_EQ(read.camera_id, "cam-L2");
  EXPECT_EQ(read.plate_raw, "123ABC02");
  EXPECT_EQ(read.confidence_pct, 97);
  EXPECT_EQ(read.direction, "forward");
  EXPECT_EQ(
      read.source_event_id.rfind("dahua:" + std::to_string(reply.value("upload_num", -1)) + "@", 0),
      0u)
      << read.source_event_id;
  // AccurateTime is local (+05:00) and must land on the same UTC instant as ours.
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
    const std::string bytes = readFile(evidence_->pathFor(it->sha256, it->media_type));
    ASSERT_EQ(bytes.size(), it->size_bytes);
    EXPECT_EQ(sha256Hex(bytes), it->sha256);
    const cv::Mat image =
        cv::imdecode(std::vector<unsigned char>(bytes.begin(), bytes.end()), cv::IMREAD_COLOR);
    ASSERT_FALSE(image.empty()) << want.role << " does not decode";
    EXPECT_EQ(image.cols, want.width_px);
    EXPECT_EQ(image.rows, want.height_px);
  }
  EXPECT_EQ(commsErrors(), 0u);
  EXPECT_GT(dynamic_cast<drivers::DahuaItsapiCamera&>(*camera_).keepAlives(), 0u);
  EXPECT_EQ(status().health, DeviceHealth::kGood);
}

TEST_F(AnprFaultsHil, DahuaSilenceAndDisconnectBecomeNoDataThenRecover) {
  startCamera("dahua-itsapi");
  startSim("dahua");
  ASSERT_TRUE(waitForHealth(DeviceHealth::kGood, 3s)) << status().reason;

  control("/fault?kind=silence", 200);
  EXPECT_EQ(control("/plate?text=123ABC02", 200).value("sent", true), false);
  EXPECT_TRUE(waitForHealth(DeviceHealth::kNoData, 4s)) << status().reason;
  expectRecovery();

  control("/fault?kind=disconnect", 200);
  control("/plate?text=123ABC02", 503);
  control("/heartbeat", 503);
  EXPECT_TRUE(waitForHealth(DeviceHealth::kNoData, 4s)) << status().reason;
  expectRecovery();

  EXPECT_TRUE(waitForReads(0, 0ms).empty());  // nothing invented
  EXPECT_EQ(commsErrors(), 0u);
  std::lock_guard lock(mutex_);
  EXPECT_NE(std::find(published_.begin(), published_.end(), DeviceHealth::kNoData),
            published_.end());
  EXPECT_EQ(published_.back(), DeviceHealth::kGood);
}

TEST_F(AnprFaultsHil, DahuaGarbageAndTruncatedBodiesAreRejectedAndDegrade) {
  startCamera("dahua-itsapi");
  startSim("dahua");
  ASSERT_TRUE(waitForHealth(DeviceHealth::kGood, 3s)) << status().reason;

  for (const std::string kind : {"garbage", "truncate"}) {
    SCOPED_TRACE(kind);
    const std::uint64_t errors_before = commsErrors();
    control("/fault?kind=" + kind, 200);
    // First answer 400 {"Result": false}; the camera's identical re-send is acknowledged.
    const nlohmann::json reply = control("/plate?text=123ABC02", 200);
    EXPECT_EQ(reply["attempts"], nlohmann::json::array({400, 200})) << reply.dump();
    EXPECT_TRUE(waitForHealth(DeviceHealth::kDegraded, 2s)) << status().reason;
    EXPECT_GE(commsErrors(), errors_before + 2);
    expectRecovery();
  }
  EXPECT_TRUE(waitForReads(0, 0ms).empty());  // nothing invented
}

TEST_F(AnprFaultsHil, DahuaBadJpegKeepsTheReadAndCountsTheRejectedImages) {
  startCamera("dahua-itsapi");
  startSim("dahua");
  control("/fault?kind=bad-jpeg", 200);
  EXPECT_EQ(control("/plate?text=389BK01", 200)["attempts"], nlohmann::json::array({200}));
  const auto reads = waitForReads(1, 5s);
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].plate_raw, "389BK01");
  EXPECT_TRUE(reads[0].evidence.empty());
  EXPECT_EQ(dynamic_cast<drivers::DahuaItsapiCamera&>(*camera_).rejectedImages(), 2u);
  EXPECT_EQ(commsErrors(), 2u);
  control("/fault?kind=none", 200);
  control("/plate?text=389BK01&direction=reverse", 200);
  ASSERT_EQ(waitForReads(2, 5s).size(), 2u);
  EXPECT_EQ(waitForReads(2, 0ms)[1].evidence.size(), 2u);
  EXPECT_TRUE(waitForHealth(DeviceHealth::kGood, 3s)) << status().reason;
}

TEST_F(AnprFaultsHil, SlowUploadIsDeliveredWhileTheLoopServesOtherRequests) {
  startCamera("dahua-itsapi");
  startSim("dahua");
  control("/fault?kind=slow", 200);
  auto plate =
      std::async(std::launch::async, [this] { return control("/plate?text=123ABC02", 200); });
  // While the body trickles in (1.5 s per request), the same loop answers other requests.
  std::this_thread::sleep_for(300ms);
  for (int i = 0; i < 3; ++i) {
    const auto started = std::chrono::steady_clock::now();
    auto ping = http::request("GET", "http://127.0.0.1:" + std::to_string(target_port_) + "/ping",
                              "", "application/json", 2s);
    ASSERT_TRUE(ping) << ping.status().message();
    EXPECT_EQ(ping->status, 200);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 500ms);
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(waitForReads(0, 0ms).size(), 0u);  // not yet: the body is still arriving
  const nlohmann::json reply = plate.get();
  EXPECT_EQ(reply["attempts"], nlohmann::json::array({200})) << reply.dump();
  ASSERT_EQ(waitForReads(1, 1s).size(), 1u);
  EXPECT_EQ(waitForReads(1, 0ms)[0].evidence.size(), 2u);
  expectRecovery();
}

TEST_F(AnprFaultsHil, IsapiHeartbeatsKeepTheCameraGoodAndFaultsShowInHealth) {
  startCamera("isapi-push");
  startSim("isapi");
  ASSERT_TRUE(waitForHealth(DeviceHealth::kGood, 3s)) << status().reason;  // heartBeat events

  control("/fault?kind=garbage", 200);
  EXPECT_EQ(control("/plate?text=123ABC02", 502).value("target_status", 0), 400);
  EXPECT_TRUE(waitForHealth(DeviceHealth::kDegraded, 2s)) << status().reason;
  expectRecovery();

  control("/fault?kind=truncate", 200);
  EXPECT_EQ(control("/plate?text=123ABC02", 502).value("target_status", 0), 400);
  expectRecovery();

  control("/fault?kind=silence", 200);
  EXPECT_TRUE(waitForHealth(DeviceHealth::kNoData, 4s)) << status().reason;
  expectRecovery();

  control("/fault?kind=bad-jpeg", 200);
  control("/plate?text=A585CUO", 200);
  const auto reads = waitForReads(1, 5s);
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0].plate_raw, "A585CUO");
  ASSERT_EQ(reads[0].evidence.size(), 1u);
  EXPECT_EQ(reads[0].evidence[0].role, "scene");
  EXPECT_EQ(dynamic_cast<drivers::IsapiPushCamera&>(*camera_).rejectedImages(), 1u);
  control("/fault?kind=none", 200);
  control("/fault?kind=melt", 400);
}

}  // namespace
}  // namespace kordon
