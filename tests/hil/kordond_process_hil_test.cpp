// SPDX-License-Identifier: Apache-2.0
// kordond as a process: configuration errors at start, SIGHUP reload (good and bad files) and
// SIGTERM with an undeliverable outbox (no broker), which must still exit cleanly and keep
// the events for the next start.

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "edge/base/http.hpp"
#include "tests/hil/process.hpp"

namespace kordon::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

bool waitForLog(const std::string& path, const std::string& needle, seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (readFile(path).find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return false;
}

class KordondProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "kordond-XXXXXX").string();
    dir_ = mkdtemp(pattern.data());
  }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }
  void writeConfig(const std::string& text) { std::ofstream(dir_ + "/kordond.toml") << text; }
  void readsThePlatesTheSimulatorShows(bool over_rtsp);

  std::string dir_;
};

TEST_F(KordondProcess, BadConfigExitsTwoWithOneLineNamingTheKey) {
  writeConfig("[mqtt]\nport = 1883\n");
  auto p = Process::spawn({KORDON_BIN_DIR "/kordond", "--config", dir_ + "/kordond.toml"},
                          dir_ + "/out.log");
  ASSERT_TRUE(p.isOk());
  auto exit = p->wait(seconds(10));
  ASSERT_TRUE(exit.isOk());
  EXPECT_TRUE(exit->exited);
  EXPECT_EQ(exit->code, 2);
  const std::string out = readFile(dir_ + "/out.log");
  EXPECT_EQ(out, "kordond: config error: " + dir_ + "/kordond.toml: mqtt.port: unknown key\n");
}

TEST_F(KordondProcess, ReloadsOnSighupKeepsRunningOnABadReloadAndDrainsOnSigterm) {
  auto http = freeLoopbackPort();
  auto no_broker = freeLoopbackPort();
  auto no_scale = freeLoopbackPort();
  ASSERT_TRUE(http.isOk() && no_broker.isOk() && no_scale.isOk());
  const std::string base =
      "[post]\nid = \"KZ-PROC\"\nstate_dir = \"" + dir_ +
      "/state\"\n[mqtt]\nuri = \"tcp://127.0.0.1:" + std::to_string(*no_broker) +
      "\"\n[http]\nlisten = \"127.0.0.1:" + std::to_string(*http) +
      "\"\n[shutdown]\ndrain_timeout_ms = 300\n[log]\nformat = \"text\"\n" +
      "[[lanes]]\n[lanes.weighbridge]\nport = " + std::to_string(*no_scale) + "\n" +
      "[lanes.radiation]\ntype = \"none\"\n[lanes.xray]\ntype = \"none\"\n";
  writeConfig(base);
  const std::string log = dir_ + "/kordond.log";
  auto p = Process::spawn({KORDON_BIN_DIR "/kordond", "--config", dir_ + "/kordond.toml"}, log);
  ASSERT_TRUE(p.isOk());
  ASSERT_TRUE(waitForTcpPort("127.0.0.1", *http, seconds(10))) << readTail(log);
  ASSERT_TRUE(waitForLog(log, "kordond ready", seconds(10))) << readTail(log);

  writeConfig(base + "[rules]\nweight_tolerance_pct = 2.5\nversion = \"site-7\"\n");
  ASSERT_TRUE(p->sendSignal(SIGHUP));
  EXPECT_TRUE(waitForLog(log, "configuration reloaded rules=site-7", seconds(10))) << readTail(log);

  writeConfig(base + "[rules]\nweight_tolerance_pct = \"lots\"\n");
  ASSERT_TRUE(p->sendSignal(SIGHUP));
  EXPECT_TRUE(waitForLog(log, "rules.weight_tolerance_pct: expected a number", seconds(10)))
      << readTail(log);
  EXPECT_TRUE(p->isRunning());
  auto health = http::request("GET", "http://127.0.0.1:" + std::to_string(*http) + "/healthz");
  ASSERT_TRUE(health.isOk());
  EXPECT_EQ(health->status, 200);

  // No broker: the weighbridge health events stay undelivered, SIGTERM still ends within the
  // drain timeout, and they are kept for the next start.
  auto exit = p->terminate(seconds(10));
  ASSERT_TRUE(exit.isOk());
  EXPECT_TRUE(exit->cleanExit()) << exit->toString() << "\n" << readTail(log);
  EXPECT_NE(readFile(log).find("stopping with undelivered events"), std::string::npos)
      << readTail(log);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/state/kordon.db"));
}

// Issue 6: a frame-only camera (type "frames") pulling pictures from the real kordon-sim-anpr,
// whose pictures come from the synthetic scene generator. kordond must read, fuse and deliver
// the plate the test told the simulator to show (ground truth on the control channel), and
// then the next vehicle's. `over_rtsp`: the camera URL is the simulator's RTSP stream (--rtsp,
// 5 frames/s, read through OpenCV videoio) instead of its HTTP snapshot, and the poll interval
// is longer than the stream's frame interval: a grabber reading one frame per poll would fall
// ever further behind the stream (the next plate 22 s late at poll_ms 600), so the next
// vehicle must be read within 10 s.
void KordondProcess::readsThePlatesTheSimulatorShows(bool over_rtsp) {
  const std::string& dir = dir_;
  auto sim_port = freeLoopbackPort();
  auto rtsp_port = freeLoopbackPort();
  auto http_port = freeLoopbackPort();
  auto no_broker = freeLoopbackPort();
  auto no_scale = freeLoopbackPort();
  ASSERT_TRUE(sim_port.isOk() && rtsp_port.isOk() && http_port.isOk() && no_broker.isOk() &&
              no_scale.isOk());
  const std::string control = "http://127.0.0.1:" + std::to_string(*sim_port);
  const std::string rtsp = "127.0.0.1:" + std::to_string(*rtsp_port);

  std::vector<std::string> sim_argv = {KORDON_BIN_DIR "/kordon-sim-anpr", "--control",
                                       "127.0.0.1:" + std::to_string(*sim_port), "--heartbeat-s",
                                       "0"};
  if (over_rtsp) sim_argv.insert(sim_argv.end(), {"--rtsp", rtsp});
  auto sim = Process::spawn(sim_argv, dir + "/sim.log");
  ASSERT_TRUE(sim.isOk());
  ASSERT_TRUE(waitForTcpPort("127.0.0.1", *sim_port, seconds(10)).isOk())
      << readTail(dir + "/sim.log");
  if (over_rtsp) {
    ASSERT_TRUE(waitForTcpPort("127.0.0.1", *rtsp_port, seconds(10)).isOk())
        << readTail(dir + "/sim.log");
  }
  auto shown = http::request("POST", control + "/show?text=" + http::percentEncode("123 ABC 02"));
  ASSERT_TRUE(shown.isOk() && shown->status == 200) << (shown ? shown->body : "");

  const std::string camera_url =
      over_rtsp ? "rtsp://" + rtsp + "/stream" : control + "/snapshot.jpg";
  std::ostringstream config;
  config << "[post]\nid = \"KZ-FRAMES\"\nstate_dir = \"" << dir << "/state\"\n"
         << "[mqtt]\nuri = \"tcp://127.0.0.1:" << *no_broker << "\"\n"
         << "[http]\nlisten = \"127.0.0.1:" << *http_port << "\"\n"
         << "[shutdown]\ndrain_timeout_ms = 300\n[log]\nformat = \"text\"\n"
         << "[[lanes]]\n[lanes.weighbridge]\nport = " << *no_scale << "\n"
         << "[lanes.radiation]\ntype = \"none\"\n[lanes.xray]\ntype = \"none\"\n"
         << "[lanes.camera]\ntype = \"frames\"\nurl = \"" << camera_url << "\"\n"
         << "poll_ms = " << (over_rtsp ? 500 : 150) << "\nfuse_gap_ms = 500\n";
  writeConfig(config.str());
  const std::string log = dir + "/kordond.log";
  auto daemon = Process::spawn({KORDON_BIN_DIR "/kordond", "--config", dir + "/kordond.toml"}, log);
  ASSERT_TRUE(daemon.isOk());
  // The vehicle stays in view: the fused plate comes after 3 x fuse_gap_ms of reads.
  EXPECT_TRUE(waitForLog(log, "plate=123ABC02", seconds(30))) << readTail(log);

  // The next vehicle, a Russian plate shown in Cyrillic, is a new track.
  shown = http::request("POST", control + "/show?text=" + http::percentEncode("А 777 ВС 77"));
  ASSERT_TRUE(shown.isOk() && shown->status == 200);
  EXPECT_TRUE(waitForLog(log, "plate=A777BC77", seconds(over_rtsp ? 10 : 30))) << readTail(log);

  auto exit = daemon->terminate(seconds(10));
  ASSERT_TRUE(exit.isOk());
  EXPECT_TRUE(exit->cleanExit()) << exit->toString() << "\n" << readTail(log);
  (void)sim->terminate(seconds(5));
}

TEST_F(KordondProcess, FrameCameraReadsThePlatesTheSimulatorShows) {
  readsThePlatesTheSimulatorShows(/*over_rtsp=*/false);
}

TEST_F(KordondProcess, FrameCameraReadsThePlatesTheSimulatorStreamsOverRtsp) {
  readsThePlatesTheSimulatorShows(/*over_rtsp=*/true);
}

}  // namespace
}  // namespace kordon::test
