// SPDX-License-Identifier: Apache-2.0
// HIL (issue 6): kordond with a frame-only camera (type "frames") pulling HTTP snapshots from
// the real kordon-sim-anpr process, whose pictures come from the synthetic scene generator.
// The daemon must read, fuse and deliver the plate the test told the simulator to show (ground
// truth on the control channel), and then the next vehicle's.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "edge/base/http.hpp"
#include "tests/hil/process.hpp"

namespace kordon::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string readAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool waitForLog(const std::string& path, const std::string& needle, seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (readAll(path).find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(milliseconds(100));
  }
  return false;
}

TEST(FrameCameraHil, KordondReadsThePlatesTheSimulatorShows) {
  std::string pattern = (std::filesystem::temp_directory_path() / "kordon-frames-XXXXXX").string();
  const std::string dir = mkdtemp(pattern.data());
  auto sim_port = freeLoopbackPort();
  auto http_port = freeLoopbackPort();
  auto no_broker = freeLoopbackPort();
  auto no_scale = freeLoopbackPort();
  ASSERT_TRUE(sim_port.isOk() && http_port.isOk() && no_broker.isOk() && no_scale.isOk());
  const std::string control = "http://127.0.0.1:" + std::to_string(*sim_port);

  auto sim = Process::spawn({KORDON_BIN_DIR "/kordon-sim-anpr", "--control",
                             "127.0.0.1:" + std::to_string(*sim_port), "--heartbeat-s", "0"},
                            dir + "/sim.log");
  ASSERT_TRUE(sim.isOk());
  ASSERT_TRUE(waitForTcpPort("127.0.0.1", *sim_port, seconds(10)).isOk()) << readTail(dir + "/sim.log");
  auto shown = http::request("POST", control + "/show?text=" + http::percentEncode("123 ABC 02"));
  ASSERT_TRUE(shown.isOk() && shown->status == 200) << (shown ? shown->body : "");

  std::ofstream(dir + "/kordond.toml")
      << "[post]\nid = \"KZ-FRAMES\"\nstate_dir = \"" << dir << "/state\"\n"
      << "[mqtt]\nuri = \"tcp://127.0.0.1:" << *no_broker << "\"\n"
      << "[http]\nlisten = \"127.0.0.1:" << *http_port << "\"\n"
      << "[shutdown]\ndrain_timeout_ms = 300\n[log]\nformat = \"text\"\n"
      << "[[lanes]]\n[lanes.weighbridge]\nport = " << *no_scale << "\n"
      << "[lanes.radiation]\ntype = \"none\"\n[lanes.xray]\ntype = \"none\"\n"
      << "[lanes.camera]\ntype = \"frames\"\nurl = \"" << control << "/snapshot.jpg\"\n"
      << "poll_ms = 150\nfuse_gap_ms = 500\n";
  const std::string log = dir + "/kordond.log";
  auto daemon =
      Process::spawn({KORDON_BIN_DIR "/kordond", "--config", dir + "/kordond.toml"}, log);
  ASSERT_TRUE(daemon.isOk());
  // The vehicle stays in view: the fused plate comes after 3 x fuse_gap_ms of reads.
  EXPECT_TRUE(waitForLog(log, "plate=123ABC02", seconds(30))) << readTail(log);

  // The next vehicle, a Russian plate shown in Cyrillic, is a new track.
  shown = http::request("POST", control + "/show?text=" + http::percentEncode("А 777 ВС 77"));
  ASSERT_TRUE(shown.isOk() && shown->status == 200);
  EXPECT_TRUE(waitForLog(log, "plate=A777BC77", seconds(30))) << readTail(log);

  auto exit = daemon->terminate(seconds(10));
  ASSERT_TRUE(exit.isOk());
  EXPECT_TRUE(exit->cleanExit()) << exit->toString() << "\n" << readTail(log);
  (void)sim->terminate(seconds(5));
  if (!::testing::Test::HasFailure()) std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kordon::test
