// SPDX-License-Identifier: Apache-2.0
// HIL: the real kordon-sim-anpr process streams its scene over RTSP (--rtsp), read with OpenCV
// videoio (FFmpeg backend), the reader the "frames" camera driver uses. The frames must be the
// picture GET /snapshot.jpg returns (ground truth on the control channel), follow a change of
// plate, reach several clients at once, and survive a client that asks for UDP first and
// clients that send garbage.

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "edge/base/http.hpp"
#include "tests/hil/process.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace kordon {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Mean absolute difference per channel value, 0..255.
double meanAbsDiff(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat diff;
  cv::absdiff(a, b, diff);
  const cv::Scalar per_channel = cv::mean(diff);
  return (per_channel[0] + per_channel[1] + per_channel[2]) / 3.0;
}

// A decoded picture from the stream and the decoded snapshot differ only by the decoders'
// rounding (FFmpeg's MJPEG and libjpeg's IDCT, chroma upsampling, YCbCr->BGR). Two different
// plates differ by far more than this in the plate region alone.
constexpr double kSamePictureMad = 2.0;

// RTSP by hand on a raw TCP connection, for requests no real client sends.
class RawRtspClient {
 public:
  explicit RawRtspClient(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval timeout{3, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawRtspClient() { ::close(fd_); }
  RawRtspClient(const RawRtspClient&) = delete;
  RawRtspClient& operator=(const RawRtspClient&) = delete;

  bool connected() const { return connected_; }

  // Sends `bytes`; returns one reply (head and body), or what arrived before the server closed
  // or 3 s passed.
  std::string exchange(const std::string& bytes) {
    if (::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) < 0) return "";
    std::string reply;
    char buffer[4096];
    std::size_t wanted = std::string::npos;  // head + body, once the head is in
    while (reply.size() < wanted) {
      const ssize_t got = ::recv(fd_, buffer, sizeof buffer, 0);
      if (got <= 0) break;
      reply.append(buffer, static_cast<std::size_t>(got));
      const std::size_t head_end = reply.find("\r\n\r\n");
      if (head_end == std::string::npos) continue;
      const std::size_t length_at = reply.find("Content-Length: ");
      const std::size_t body =
          length_at < head_end ? std::stoul(reply.substr(length_at + 16, 10)) : 0;
      wanted = head_end + 4 + body;
    }
    return reply;
  }

  // True once the server has closed the connection (recv sees end of stream).
  bool closedByServer() {
    char byte;
    return ::recv(fd_, &byte, 1, 0) == 0;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

class AnprRtspHil : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "kordon-rtsp-hil-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    for (int attempt = 0; attempt < 3 && !sim_; ++attempt) {
      auto control_port = test::freeLoopbackPort();
      auto rtsp_port = test::freeLoopbackPort();
      ASSERT_TRUE(control_port && rtsp_port);
      if (*control_port == *rtsp_port) continue;
      auto sim =
          test::Process::spawn({std::string(KORDON_BIN_DIR) + "/kordon-sim-anpr", "--control",
                                "127.0.0.1:" + std::to_string(*control_port), "--heartbeat-s", "0",
                                "--rtsp", "127.0.0.1:" + std::to_string(*rtsp_port)},
                               dir_ + "/sim.log");
      ASSERT_TRUE(sim) << sim.status().message();
      if (test::waitForTcpPort("127.0.0.1", *control_port, 5s) &&
          test::waitForTcpPort("127.0.0.1", *rtsp_port, 5s)) {
        control_url_ = "http://127.0.0.1:" + std::to_string(*control_port);
        rtsp_port_ = *rtsp_port;
        stream_url_ = "rtsp://127.0.0.1:" + std::to_string(*rtsp_port) + "/stream";
        sim_ = std::move(sim).value();
      } else {
        (void)sim->terminate();  // a port was taken in between; try others
      }
    }
    ASSERT_TRUE(sim_) << "simulator did not come up\n" << test::readTail(dir_ + "/sim.log");
  }

  void TearDown() override {
    if (sim_) {
      auto ended = sim_->terminate();
      EXPECT_TRUE(ended && ended->cleanExit())
          << (ended ? ended->toString() : ended.status().message()) << "\n"
          << test::readTail(sim_->logPath());
    }
    if (!HasFailure()) {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    } else {
      std::cerr << "simulator log kept in " << dir_ << "\n";
    }
  }

  void show(const std::string& text) {
    auto reply = http::request("POST", control_url_ + "/show?text=" + http::percentEncode(text));
    ASSERT_TRUE(reply && reply->status == 200) << (reply ? reply->body : reply.status().message());
  }

  cv::Mat snapshot() {
    auto reply = http::request("GET", control_url_ + "/snapshot.jpg");
    if (!reply || reply->status != 200) return {};
    const cv::Mat raw(1, static_cast<int>(reply->body.size()), CV_8UC1, reply->body.data());
    return cv::imdecode(raw, cv::IMREAD_COLOR);
  }

  nlohmann::json health() {
    auto reply = http::request("GET", control_url_ + "/health");
    if (!reply || reply->status != 200) return nlohmann::json::object();
    return nlohmann::json::parse(reply->body, nullptr, false);
  }

  // Polls /health until `key` equals `value` or 5 s pass.
  bool waitForHealth(const std::string& key, std::uint64_t value) {
    for (auto deadline = std::chrono::steady_clock::now() + 5s;
         std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(50ms)) {
      const nlohmann::json h = health();
      if (h.contains(key) && h[key] == value) return true;
    }
    return false;
  }

  std::unique_ptr<cv::VideoCapture> open() {
    const auto started = std::chrono::steady_clock::now();
    auto capture =
        std::make_unique<cv::VideoCapture>(stream_url_, cv::CAP_FFMPEG,
                                           std::vector<int>{cv::CAP_PROP_OPEN_TIMEOUT_MSEC, 10000,
                                                            cv::CAP_PROP_READ_TIMEOUT_MSEC, 5000});
    std::cerr << "opened " << stream_url_ << " in "
              << std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count()
              << " ms\n";
    return capture;
  }

  std::string dir_;
  std::optional<test::Process> sim_;
  std::string control_url_;
  std::uint16_t rtsp_port_ = 0;
  std::string stream_url_;
};

TEST_F(AnprRtspHil, StreamsTheShownSceneAndFollowsAPlateChange) {
  show("123 ABC 02");
  const cv::Mat first_truth = snapshot();
  ASSERT_FALSE(first_truth.empty());

  auto capture = open();
  ASSERT_TRUE(capture->isOpened()) << test::readTail(dir_ + "/sim.log");
  EXPECT_EQ(capture->getBackendName(), "FFMPEG");
  cv::Mat frame;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(capture->read(frame)) << "frame " << i << "\n" << test::readTail(dir_ + "/sim.log");
    ASSERT_EQ(frame.cols, 1280);
    ASSERT_EQ(frame.rows, 720);
    ASSERT_EQ(frame.type(), CV_8UC3);
    EXPECT_LT(meanAbsDiff(frame, first_truth), kSamePictureMad) << "frame " << i;
  }
  EXPECT_TRUE(waitForHealth("rtsp_sessions", 1));

  // The next vehicle: the stream shows it within a few frames.
  show("А 777 ВС 77");
  const cv::Mat second_truth = snapshot();
  ASSERT_FALSE(second_truth.empty());
  ASSERT_GT(meanAbsDiff(first_truth, second_truth), kSamePictureMad);
  bool switched = false;
  for (int i = 0; i < 25 && !switched; ++i) {  // 5 s at 5 frames/s
    ASSERT_TRUE(capture->read(frame)) << test::readTail(dir_ + "/sim.log");
    switched = meanAbsDiff(frame, second_truth) < kSamePictureMad;
  }
  EXPECT_TRUE(switched) << "the stream never showed the new plate";

  capture->release();  // TEARDOWN
  EXPECT_TRUE(waitForHealth("rtsp_sessions", 0)) << health().dump();
  const nlohmann::json h = health();
  EXPECT_EQ(h["rtsp_bad_requests"], 0) << h.dump();
  EXPECT_GE(h["rtsp_frames_sent"].get<std::uint64_t>(), 4u) << h.dump();
}

// OpenCV asks FFmpeg for TCP (rtsp_transport=tcp) unless OPENCV_FFMPEG_CAPTURE_OPTIONS is set;
// with it set to options without rtsp_transport, FFmpeg offers UDP first, gets 461 and must
// retry with interleaved TCP by itself.
TEST_F(AnprRtspHil, AClientOfferingUdpFirstFallsBackToTcp) {
  show("123ABC02");
  ASSERT_EQ(::setenv("OPENCV_FFMPEG_CAPTURE_OPTIONS", "max_delay;500000", 1), 0);
  auto capture = open();
  ::unsetenv("OPENCV_FFMPEG_CAPTURE_OPTIONS");
  ASSERT_TRUE(capture->isOpened()) << test::readTail(dir_ + "/sim.log");
  cv::Mat frame;
  ASSERT_TRUE(capture->read(frame));
  EXPECT_LT(meanAbsDiff(frame, snapshot()), kSamePictureMad);
  const nlohmann::json h = health();
  EXPECT_GE(h["rtsp_udp_refused"].get<std::uint64_t>(), 1u) << h.dump();
  EXPECT_EQ(h["rtsp_sessions"], 1) << h.dump();
}

TEST_F(AnprRtspHil, ServesSeveralClientsAtOnceAndOutlivesOneThatVanishes) {
  show("123ABC02");
  const cv::Mat truth = snapshot();
  auto first = open();
  auto second = open();
  ASSERT_TRUE(first->isOpened() && second->isOpened()) << test::readTail(dir_ + "/sim.log");
  EXPECT_TRUE(waitForHealth("rtsp_sessions", 2)) << health().dump();

  // A third client sets up and plays, then drops the connection without TEARDOWN.
  {
    RawRtspClient vanishing(rtsp_port_);
    ASSERT_TRUE(vanishing.connected());
    const std::string setup =
        vanishing.exchange("SETUP " + stream_url_ +
                           "/track1 RTSP/1.0\r\nCSeq: 1\r\n"
                           "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n");
    ASSERT_EQ(setup.rfind("RTSP/1.0 200 OK\r\nCSeq: 1\r\n", 0), 0u) << setup;
    const std::size_t at = setup.find("Session: ");
    ASSERT_NE(at, std::string::npos) << setup;
    const std::string session = setup.substr(at + 9, setup.find(';', at) - at - 9);
    const std::string play = vanishing.exchange("PLAY " + stream_url_ +
                                                " RTSP/1.0\r\nCSeq: 2\r\n"
                                                "Session: " +
                                                session + "\r\n\r\n");
    ASSERT_EQ(play.rfind("RTSP/1.0 200 OK\r\nCSeq: 2\r\n", 0), 0u) << play;
    EXPECT_TRUE(waitForHealth("rtsp_sessions", 3)) << health().dump();
  }
  EXPECT_TRUE(waitForHealth("rtsp_sessions", 2)) << health().dump();

  cv::Mat frame;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(first->read(frame));
    EXPECT_LT(meanAbsDiff(frame, truth), kSamePictureMad);
    ASSERT_TRUE(second->read(frame));
    EXPECT_LT(meanAbsDiff(frame, truth), kSamePictureMad);
  }
}

TEST_F(AnprRtspHil, BadRequestsGetErrorRepliesAndAreCounted) {
  show("123ABC02");
  struct Case {
    std::string request;
    std::string expected_status_line;
    bool closes;
  };
  const std::vector<Case> cases = {
      {"\x01\x02\x03 binary garbage\r\n\r\n", "RTSP/1.0 400 Bad Request\r\n", true},
      {"OPTIONS " + stream_url_ + " RTSP/1.0\r\n\r\n", "RTSP/1.0 400 Bad Request\r\n", false},
      {"OPTIONS " + stream_url_ + " RTSP/2.0\r\nCSeq: 1\r\n\r\n",
       "RTSP/1.0 505 RTSP Version Not Supported\r\nCSeq: 1\r\n", false},
      {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "RTSP/1.0 400 Bad Request\r\n", false},
      {"BREW " + stream_url_ + " RTSP/1.0\r\nCSeq: 2\r\n\r\n",
       "RTSP/1.0 501 Not Implemented\r\nCSeq: 2\r\n", false},
      {"PAUSE " + stream_url_ + " RTSP/1.0\r\nCSeq: 3\r\n\r\n",
       "RTSP/1.0 405 Method Not Allowed\r\nCSeq: 3\r\n", false},
      {"PLAY " + stream_url_ + " RTSP/1.0\r\nCSeq: 4\r\nSession: 1234\r\n\r\n",
       "RTSP/1.0 455 Method Not Valid in This State\r\nCSeq: 4\r\n", false},
      {"TEARDOWN " + stream_url_ + " RTSP/1.0\r\nCSeq: 5\r\nSession: 1234\r\n\r\n",
       "RTSP/1.0 454 Session Not Found\r\nCSeq: 5\r\n", false},
      {"SETUP " + stream_url_ + " RTSP/1.0\r\nCSeq: 6\r\n\r\n",
       "RTSP/1.0 400 Bad Request\r\nCSeq: 6\r\n", false},
      {"OPTIONS " + stream_url_ + " RTSP/1.0\r\nCSeq: 7\r\nX-Pad: " + std::string(9000, 'a') +
           "\r\n\r\n",
       "RTSP/1.0 400 Bad Request\r\n", true},
      {"DESCRIBE " + stream_url_ + " RTSP/1.0\r\nCSeq: 8\r\nContent-Length: 99999999\r\n\r\n",
       "RTSP/1.0 413 Request Entity Too Large\r\nCSeq: 8\r\n", true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.request.substr(0, 60));
    RawRtspClient client(rtsp_port_);
    ASSERT_TRUE(client.connected());
    const std::string reply = client.exchange(c.request);
    EXPECT_EQ(reply.rfind(c.expected_status_line, 0), 0u) << reply;
    if (c.closes) {
      EXPECT_TRUE(client.closedByServer());
    }
  }
  // Still serving: a good request on a new connection, and the count of the bad ones.
  RawRtspClient client(rtsp_port_);
  const std::string options =
      client.exchange("OPTIONS " + stream_url_ + " RTSP/1.0\r\nCSeq: 9\r\n\r\n");
  EXPECT_EQ(options.rfind("RTSP/1.0 200 OK\r\nCSeq: 9\r\n", 0), 0u) << options;
  EXPECT_NE(options.find("Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER\r\n"),
            std::string::npos)
      << options;
  const nlohmann::json h = health();
  EXPECT_EQ(h["rtsp_bad_requests"], cases.size()) << h.dump();
  EXPECT_TRUE(sim_->isRunning());
}

TEST_F(AnprRtspHil, DescribeAnswers503UntilThereIsAScene) {
  RawRtspClient client(rtsp_port_);
  const std::string before =
      client.exchange("DESCRIBE " + stream_url_ + " RTSP/1.0\r\nCSeq: 1\r\n\r\n");
  EXPECT_EQ(before.rfind("RTSP/1.0 503 Service Unavailable\r\nCSeq: 1\r\n", 0), 0u) << before;
  show("123ABC02");
  const std::string after =
      client.exchange("DESCRIBE " + stream_url_ + " RTSP/1.0\r\nCSeq: 2\r\n\r\n");
  EXPECT_EQ(after.rfind("RTSP/1.0 200 OK\r\nCSeq: 2\r\n", 0), 0u) << after;
  EXPECT_NE(after.find("Content-Base: " + stream_url_ + "/\r\n"), std::string::npos) << after;
  EXPECT_NE(after.find("Content-Type: application/sdp\r\n"), std::string::npos) << after;
}

}  // namespace
}  // namespace kordon
