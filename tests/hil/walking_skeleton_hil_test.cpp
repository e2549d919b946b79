// SPDX-License-Identifier: Apache-2.0
// The walking skeleton on real parts: mosquitto, the weighbridge simulator (Modbus TCP), the
// camera simulator (ISAPI push), kordond and kordon-central, each a separate process on
// loopback. kordon-scenario drives two trucks; the test then asserts what central received.

#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "edge/base/http.hpp"
#include "edge/msg/event.hpp"
#include "tests/hil/post_config.hpp"
#include "tests/hil/process.hpp"

namespace kordon::test {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kPost = "KZ-HIL";

std::string makeTempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "kordon-hil-XXXXXX").string();
  return mkdtemp(pattern.data());
}

std::uint16_t port() {
  auto p = freeLoopbackPort();
  EXPECT_TRUE(p.isOk()) << p.status().message();
  return p.isOk() ? *p : 0;
}

void writeFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

class WalkingSkeleton : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = makeTempDir();
    mqtt_ = port();
    modbus_ = port();
    wb_control_ = port();
    cam_control_ = port();
    lane_modbus_ = port();
    lane_control_ = port();
    kordond_http_ = port();
    central_http_ = port();

    writeFile(dir_ + "/mosquitto.conf",
              "listener " + std::to_string(mqtt_) +
                  " 127.0.0.1\nallow_anonymous true\npersistence false\n");
    writeFile(dir_ + "/central.toml",
              "[central]\ndb = \"" + dir_ +
                  "/central.db\"\n[mqtt]\nuri = \"tcp://127.0.0.1:" + std::to_string(mqtt_) +
                  "\"\nclient_id = \"central-hil\"\n[http]\nlisten = \"127.0.0.1:" +
                  std::to_string(central_http_) + "\"\ntokens_file = \"" +
                  writeCentralTokens(dir_ + "/tokens.toml") + "\"\n[log]\nformat = \"text\"\n");
    writeFile(dir_ + "/token", testCentralToken() + "\n");
    writeFile(
        dir_ + "/kordond.toml",
        std::string("[post]\nid = \"") + kPost + "\"\nstate_dir = \"" + dir_ +
            "/kordond\"\n[mqtt]\nuri = \"tcp://127.0.0.1:" + std::to_string(mqtt_) +
            "\"\n[http]\nlisten = \"127.0.0.1:" + std::to_string(kordond_http_) +
            "\"\n[log]\nformat = \"text\"\n[[lanes]]\nid = \"L1\"\n[lanes.weighbridge]\nport = " +
            std::to_string(modbus_) + "\nstable_time_ms = 600\n[lanes.barrier]\ntype = " +
            "\"lane-modbus-tcp\"\nport = " + std::to_string(lane_modbus_) + "\n" +
            // The skeleton lane has no screening devices; their HIL tests are their own.
            "[lanes.radiation]\ntype = \"none\"\n[lanes.xray]\ntype = \"none\"\n");

    start("mosquitto", {"/usr/sbin/mosquitto", "-c", dir_ + "/mosquitto.conf"}, mqtt_);
    start("central",
          {KORDON_BIN_DIR "/kordon-central", "serve", "--config", dir_ + "/central.toml"},
          central_http_);
    // Central must be subscribed before the post publishes, or the first events would only
    // come back through backfill (a later issue).
    ASSERT_TRUE(waitForHealth(central_http_, "\"mqtt_connected\":true"))
        << readTail(dir_ + "/central.log");
    start("weighbridge-sim",
          {KORDON_BIN_DIR "/kordon-sim-weighbridge", "--modbus",
           "127.0.0.1:" + std::to_string(modbus_), "--control",
           "127.0.0.1:" + std::to_string(wb_control_)},
          wb_control_);
    // The barrier is the real lane controller firmware on its simulated boom.
    start(
        "lane-controller",
        {KORDON_BIN_DIR "/kordon-sim-lane", "--modbus", "127.0.0.1:" + std::to_string(lane_modbus_),
         "--control", "127.0.0.1:" + std::to_string(lane_control_), "--travel-ms", "300"},
        lane_control_);
    start("kordond", {KORDON_BIN_DIR "/kordond", "--config", dir_ + "/kordond.toml"},
          kordond_http_);
    // kordond is ready for trucks once its MQTT session is up (declarations flow down).
    ASSERT_TRUE(waitForHealth(kordond_http_, "\"connected\":true"))
        << readTail(dir_ + "/kordond.log");
    start("anpr-sim",
          {KORDON_BIN_DIR "/kordon-sim-anpr", "--target",
           "http://127.0.0.1:" + std::to_string(kordond_http_) + "/anpr/L1", "--control",
           "127.0.0.1:" + std::to_string(cam_control_)},
          cam_control_);
  }

  void TearDown() override {
    // Stop in reverse order; kordond first drains its outbox towards the still-running broker.
    for (auto it = order_.rbegin(); it != order_.rend(); ++it) {
      auto status = processes_.at(*it).terminate(seconds(10));
      if (*it != "mosquitto") {
        EXPECT_TRUE(status.isOk() && status->cleanExit())
            << *it << " did not stop cleanly: "
            << (status.isOk() ? status->toString() : status.status().message()) << "\n"
            << readTail(processes_.at(*it).logPath());
      }
    }
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  void start(const std::string& name, const std::vector<std::string>& argv,
             std::uint16_t wait_port) {
    auto p = Process::spawn(argv, dir_ + "/" + name + ".log");
    ASSERT_TRUE(p.isOk()) << name << ": " << p.status().message();
    processes_.emplace(name, std::move(*p));
    order_.push_back(name);
    Status up = waitForTcpPort("127.0.0.1", wait_port, seconds(15));
    ASSERT_TRUE(up) << name << " did not listen on " << wait_port << ": " << up.message() << "\n"
                    << readTail(dir_ + "/" + name + ".log");
  }

  static bool waitForHealth(std::uint16_t port, const std::string& needle) {
    const auto deadline = std::chrono::steady_clock::now() + seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      auto health = http::request("GET", "http://127.0.0.1:" + std::to_string(port) + "/healthz");
      if (health.isOk() && health->body.find(needle) != std::string::npos) return true;
      std::this_thread::sleep_for(milliseconds(100));
    }
    return false;
  }

  std::string central() const { return "http://127.0.0.1:" + std::to_string(central_http_); }

  std::string dir_;
  std::uint16_t mqtt_ = 0, modbus_ = 0, wb_control_ = 0, cam_control_ = 0, kordond_http_ = 0,
                central_http_ = 0, lane_modbus_ = 0, lane_control_ = 0;
  std::map<std::string, Process> processes_;
  std::vector<std::string> order_;
};

TEST_F(WalkingSkeleton, GreenAndOverweightTrucksCrossAndCentralHasEveryEvent) {
  writeFile(dir_ + "/trucks.jsonl",
            R"({"plate":"123 ABC 02","declared_kg":38420,"actual_kg":38460,"expect":"green"})"
            "\n"
            R"({"plate":"А 777 ВС 77","declared_kg":20000,"actual_kg":24500,"expect":"yellow"})"
            "\n");
  // The ground truth arrives on its own topic, before each truck is driven.
  auto truth =
      Process::spawn({"mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(mqtt_), "-t",
                      std::string("kordon/v1/") + kPost + "/sim/truth", "-C", "2", "-W", "120"},
                     dir_ + "/truth.log");
  ASSERT_TRUE(truth.isOk()) << truth.status().message();
  std::this_thread::sleep_for(milliseconds(300));  // let the subscription settle
  auto scenario = Process::spawn({KORDON_BIN_DIR "/kordon-scenario",
                                  "--central-token-file",
                                  dir_ + "/token",
                                  "--post",
                                  kPost,
                                  "--central",
                                  central(),
                                  "--weighbridge",
                                  "http://127.0.0.1:" + std::to_string(wb_control_),
                                  "--camera",
                                  "http://127.0.0.1:" + std::to_string(cam_control_),
                                  "--rpm",
                                  "none",
                                  "--xray",
                                  "none",
                                  "--barrier",
                                  "http://127.0.0.1:" + std::to_string(lane_control_),
                                  "--mqtt",
                                  "tcp://127.0.0.1:" + std::to_string(mqtt_),
                                  "--trucks",
                                  dir_ + "/trucks.jsonl",
                                  "--settle-ms",
                                  "800",
                                  "--timeout-s",
                                  "30"},
                                 dir_ + "/scenario.log");
  ASSERT_TRUE(scenario.isOk()) << scenario.status().message();
  auto exit = scenario->wait(seconds(120));
  ASSERT_TRUE(exit.isOk()) << "scenario did not finish: " << readTail(dir_ + "/scenario.log");
  EXPECT_TRUE(exit->cleanExit()) << exit->toString() << "\n" << readTail(dir_ + "/scenario.log");

  auto truth_exit = truth->wait(seconds(10));
  ASSERT_TRUE(truth_exit.isOk() && truth_exit->cleanExit()) << readTail(dir_ + "/truth.log");
  const std::string truth_log = readTail(dir_ + "/truth.log");
  EXPECT_NE(truth_log.find("\"schema\":\"kordon.truth/1\""), std::string::npos) << truth_log;
  EXPECT_NE(truth_log.find("\"expect\":\"yellow\""), std::string::npos) << truth_log;

  // The last event (the barrier closing behind the green truck) reaches central in its own
  // time: under load (sanitizers, a build beside the tests) a fixed wait was too short.
  const std::string events_url = central() + "/v1/events?post=" + kPost + "&after=0&limit=1000";
  auto res = centralGet(events_url);
  for (const auto deadline = std::chrono::steady_clock::now() + seconds(30);
       std::chrono::steady_clock::now() < deadline;) {
    if (res.isOk() && res->status == 200 &&
        res->body.find("\"type\":\"barrier.closed\"") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(milliseconds(200));
    res = centralGet(events_url);
  }
  ASSERT_TRUE(res.isOk()) << res.status().message();
  ASSERT_EQ(res->status, 200) << res->body;
  const json body = json::parse(res->body);
  const json& events = body["events"];
  ASSERT_GT(events.size(), 10u);

  // Gap-free sequence numbers from 1, and an unbroken hash chain.
  std::string prev = msg::kGenesisHash;
  for (std::size_t i = 0; i < events.size(); ++i) {
    auto e = msg::parseEvent(events[i]);
    ASSERT_TRUE(e.isOk()) << e.status().message();
    EXPECT_EQ(e->seq, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(e->prev_hash, prev) << "chain broken at seq " << e->seq;
    EXPECT_EQ(msg::computeEventHash(*e), e->hash) << "hash mismatch at seq " << e->seq;
    EXPECT_EQ(e->post, kPost);
    prev = e->hash;
  }

  std::map<std::string, json> decided_by_plate;
  std::vector<std::string> opened_passages, released_passages;
  for (const auto& e : events) {
    const std::string type = e["type"];
    if (type == "passage.decided") decided_by_plate[e["payload"]["plate"]] = e;
    if (type == "barrier.opened") opened_passages.push_back(e["passage"]);
    if (type == "passage.released") released_passages.push_back(e["passage"]);
  }
  ASSERT_EQ(decided_by_plate.size(), 2u);
  const json& green = decided_by_plate.at("123ABC02");
  const json& yellow = decided_by_plate.at("A777BC77");  // read in Cyrillic, normalised
  EXPECT_EQ(green["payload"]["corridor"], "green");
  EXPECT_EQ(green["payload"]["reasons"][0]["rule"], "DECL-MATCHED");
  EXPECT_EQ(green["payload"]["reasons"][1]["rule"], "WEIGHT-OK");
  EXPECT_EQ(green["payload"]["gross_kg"], 38460);
  EXPECT_EQ(yellow["payload"]["corridor"], "yellow");
  const json& weight_reason = yellow["payload"]["reasons"][1];
  EXPECT_EQ(weight_reason["rule"], "WEIGHT-TOLERANCE");
  EXPECT_EQ(weight_reason["values"]["measured_kg"], 24500);
  EXPECT_EQ(weight_reason["values"]["declared_kg"], 20000);

  // The barrier opened once, for the green truck only.
  EXPECT_EQ(opened_passages, std::vector<std::string>{green["passage"].get<std::string>()});
  EXPECT_EQ(released_passages, std::vector<std::string>{green["passage"].get<std::string>()});

  // Central's own view: nothing missing, nothing rejected.
  auto posts = centralGet(central() + "/v1/posts");
  ASSERT_TRUE(posts.isOk());
  EXPECT_NE(posts->body.find("\"contiguous_seq\":" + std::to_string(events.size())),
            std::string::npos)
      << posts->body;

  // The command-line view of central's store lists the same events.
  auto cli =
      Process::spawn({KORDON_BIN_DIR "/kordon-central", "events", "--db", dir_ + "/central.db",
                      "--post", kPost, "--after", "0", "--limit", "1000"},
                     dir_ + "/cli.log");
  ASSERT_TRUE(cli.isOk());
  auto cli_exit = cli->wait(seconds(10));
  ASSERT_TRUE(cli_exit.isOk() && cli_exit->cleanExit()) << readTail(dir_ + "/cli.log");
  std::ifstream cli_out(dir_ + "/cli.log");
  std::size_t lines = 0;
  for (std::string line; std::getline(cli_out, line);) {
    if (line.find("\"schema\":\"kordon.event/1\"") != std::string::npos) ++lines;
  }
  EXPECT_EQ(lines, events.size());
}

}  // namespace
}  // namespace kordon::test
