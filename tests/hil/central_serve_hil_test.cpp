// SPDX-License-Identifier: Apache-2.0
// kordon-central as a process against a real mosquitto (label hil; registered from
// tests/hil/CMakeLists.txt): events in over MQTT, the pull API and CLI out, the broker's
// persistent session holding QoS1 events while central is down, declarations down, and the
// exit codes a supervisor relies on.

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "edge/base/http.hpp"
#include "edge/msg/event.hpp"
#include "edge/msg/signed_json.hpp"
#include "edge/msg/topics.hpp"
#include "tests/hil/post_config.hpp"
#include "tests/hil/process.hpp"
#include "tests/unit/central/central_test_util.hpp"
#include "tests/unit/central/postgres_server.hpp"

namespace kordon::central {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using test::Process;
using test::readTail;

constexpr const char* kPost = "KZ-CENTRAL-HIL";

void writeFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class CentralServe : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    auto mqtt = test::freeLoopbackPort();
    auto http = test::freeLoopbackPort();
    ASSERT_TRUE(mqtt.isOk() && http.isOk());
    mqtt_port_ = *mqtt;
    http_port_ = *http;
    writeFile(dir_.file("mosquitto.conf"), "listener " + std::to_string(mqtt_port_) +
                                               " 127.0.0.1\nallow_anonymous true\n"
                                               "persistence false\n");
    configure();
    auto broker = Process::spawn({"/usr/sbin/mosquitto", "-c", dir_.file("mosquitto.conf")},
                                 dir_.file("mosquitto.log"));
    ASSERT_TRUE(broker.isOk()) << broker.status().message();
    broker_.emplace(std::move(*broker));
    ASSERT_TRUE(test::waitForTcpPort("127.0.0.1", mqtt_port_, seconds(10)));
  }

  // Writes central.toml; `central` and `mqtt` are extra lines for those sections.
  // `db` "" is a SQLite file in the test's directory.
  void configure(const std::string& central = "", const std::string& mqtt = "",
                 const std::string& db = "") {
    writeFile(dir_.file("central.toml"),
              "[central]\ndb = \"" + (db.empty() ? dir_.file("central.db") : db) + "\"\n" +
                  central + "[mqtt]\nuri = \"tcp://127.0.0.1:" + std::to_string(mqtt_port_) +
                  "\"\nclient_id = \"central-hil\"\n" + mqtt +
                  "[http]\nlisten = \"127.0.0.1:" + std::to_string(http_port_) +
                  "\"\ntokens_file = \"" + test::writeCentralTokens(dir_.file("tokens.toml")) +
                  "\"\n[log]\nlevel = \"debug\"\nformat = \"text\"\n");
  }

  void TearDown() override {
    if (central_) (void)central_->terminate(seconds(5));
    if (broker_) (void)broker_->terminate(seconds(5));
  }

  void startCentral() {
    auto p = Process::spawn(
        {KORDON_BIN_DIR "/kordon-central", "serve", "--config", dir_.file("central.toml")},
        dir_.file("central.log"));
    ASSERT_TRUE(p.isOk()) << p.status().message();
    central_.emplace(std::move(*p));
    Status up = test::waitForTcpPort("127.0.0.1", http_port_, seconds(10));
    ASSERT_TRUE(up) << up.message() << "\n" << readTail(dir_.file("central.log"));
  }

  // Waits until central has logged its `n`th MQTT connection, then a moment for its
  // subscription to reach the broker (events published before that are not queued for it).
  void waitForMqtt(int n) {
    const auto deadline = std::chrono::steady_clock::now() + seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      const std::string log = readFile(dir_.file("central.log"));
      int seen = 0;
      for (auto pos = log.find("mqtt connected"); pos != std::string::npos;
           pos = log.find("mqtt connected", pos + 1)) {
        ++seen;
      }
      if (seen >= n) {
        std::this_thread::sleep_for(milliseconds(300));
        return;
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
    ADD_FAILURE() << "central did not connect to the broker\n"
                  << readTail(dir_.file("central.log"));
  }

  std::string api() const { return "http://127.0.0.1:" + std::to_string(http_port_); }
  // The test's admin token, in a file for `kordon-central declare --token-file`.
  std::string tokenFile() const {
    writeFile(dir_.file("token"), test::testCentralToken() + "\n");
    return dir_.file("token");
  }

  // Publishes at QoS1 the way a post does; mosquitto_pub waits for the PUBACK.
  void publish(const std::string& topic, const std::string& payload, bool retain = false) {
    std::vector<std::string> argv = {
        "mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(mqtt_port_), "-q", "1", "-t",
        topic,           "-m", payload};
    if (retain) argv.push_back("-r");
    auto p = Process::spawn(argv, dir_.file("pub.log"));
    ASSERT_TRUE(p.isOk()) << p.status().message();
    auto done = p->wait(seconds(10));
    ASSERT_TRUE(done.isOk() && done->cleanExit()) << readTail(dir_.file("pub.log"));
  }

  // Polls /v1/posts until `pred` holds for this post's entry.
  json waitForPost(const std::function<bool(const json&)>& pred) {
    json last;
    const auto deadline = std::chrono::steady_clock::now() + seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      auto res = test::centralGet(api() + "/v1/posts");
      if (res.isOk() && res->status == 200) {
        const json body = json::parse(res->body, nullptr, false);
        if (!body.is_discarded()) {
          for (const auto& p : body["posts"]) {
            if (p["post"] == kPost) {
              last = p;
              if (pred(p)) return p;
            }
          }
        }
      }
      std::this_thread::sleep_for(milliseconds(100));
    }
    ADD_FAILURE() << "post status never matched; last: " << last.dump() << "\n"
                  << readTail(dir_.file("central.log"));
    return last;
  }

  // Starts `mosquitto_sub` printing up to `count` messages on `topic` to `out`, one a line.
  Process subscribe(const std::string& topic, int count, const std::string& out) {
    auto sub = Process::spawn({"mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(mqtt_port_),
                               "-q", "1", "-t", topic, "-C", std::to_string(count), "-W", "20"},
                              dir_.file(out));
    EXPECT_TRUE(sub.isOk());
    std::this_thread::sleep_for(milliseconds(300));  // let the subscription settle
    return std::move(*sub);
  }

  void shareTheLoad(const std::string& db);

  testing::TempDir dir_;
  std::uint16_t mqtt_port_ = 0;
  std::uint16_t http_port_ = 0;
  std::optional<Process> broker_;
  std::optional<Process> central_;
};

TEST_F(CentralServe, CollectsEventsAcrossARestartAndServesThem) {
  testing::Journal journal(kPost);
  std::vector<msg::Event> events;
  for (int i = 0; i < 4; ++i) events.push_back(journal.next());
  const std::string topic = msg::eventsTopic(kPost);

  startCentral();
  waitForMqtt(1);
  publish(topic, testing::wire(events[0]));
  publish(topic, testing::wire(events[1]));
  publish(topic, testing::wire(events[1]));  // an at-least-once re-send
  waitForPost([](const json& p) { return p["contiguous_seq"] == 2 && p["duplicates"] == 1; });

  // A clean stop, then two events published while central is away: the broker keeps them in
  // central's persistent session.
  auto stopped = central_->terminate(seconds(10));
  ASSERT_TRUE(stopped.isOk());
  EXPECT_TRUE(stopped->cleanExit()) << stopped->toString() << "\n"
                                    << readTail(dir_.file("central.log"));
  central_.reset();
  publish(topic, testing::wire(events[2]));
  publish(topic, testing::wire(events[3]));
  nlohmann::json tampered = msg::toJson(journal.next());
  tampered["payload"]["corridor"] = "green-after-all";
  publish(topic, tampered.dump());

  startCentral();
  const json p =
      waitForPost([](const json& q) { return q["contiguous_seq"] == 4 && q["rejected"] == 1; });
  EXPECT_EQ(p["highest_seq"], 4);
  EXPECT_EQ(p["gaps"], json::array());
  EXPECT_EQ(p["chain_breaks"], 0);

  auto res = test::centralGet(api() + "/v1/events?post=" + kPost + "&after=0");
  ASSERT_TRUE(res.isOk()) << res.status().message();
  const json body = json::parse(res->body);
  ASSERT_EQ(body["events"].size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(body["events"][i], msg::toJson(events[i]));
  EXPECT_EQ(body["next"], 4);

  // The CLI reads the same database while central runs.
  auto cli = Process::spawn({KORDON_BIN_DIR "/kordon-central", "events", "--db",
                             dir_.file("central.db"), "--post", kPost, "--after", "1"},
                            dir_.file("cli.out"));
  ASSERT_TRUE(cli.isOk());
  auto cli_exit = cli->wait(seconds(10));
  ASSERT_TRUE(cli_exit.isOk() && cli_exit->cleanExit()) << readFile(dir_.file("cli.out"));
  std::istringstream lines(readFile(dir_.file("cli.out")));
  std::vector<json> printed;
  for (std::string line; std::getline(lines, line);) printed.push_back(json::parse(line));
  ASSERT_EQ(printed.size(), 3u);
  EXPECT_EQ(printed[0], msg::toJson(events[1]));
}

// Disk full, simulated by a trigger that fails every insert: central must not acknowledge the
// event, and must exit non-zero; once restarted with a working store it gets the event again.
TEST_F(CentralServe, AStoreFailureStopsCentralWithoutAcknowledging) {
  testing::Journal journal(kPost);
  const msg::Event first = journal.next();
  const msg::Event second = journal.next();
  const std::string topic = msg::eventsTopic(kPost);
  startCentral();
  waitForMqtt(1);
  publish(topic, testing::wire(first));
  waitForPost([](const json& p) { return p["contiguous_seq"] == 1; });

  auto sql = [&](const std::string& statement) {
    auto p = Process::spawn({"sqlite3", dir_.file("central.db"), statement}, dir_.file("sql.log"));
    ASSERT_TRUE(p.isOk());
    auto done = p->wait(seconds(10));
    ASSERT_TRUE(done.isOk() && done->cleanExit()) << readTail(dir_.file("sql.log"));
  };
  sql("CREATE TRIGGER full BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk full'); END;");
  publish(topic, testing::wire(second));
  auto exit = central_->wait(seconds(10));
  ASSERT_TRUE(exit.isOk()) << "central did not stop\n" << readTail(dir_.file("central.log"));
  EXPECT_TRUE(exit->exited && exit->code == 1) << exit->toString();
  central_.reset();

  sql("DROP TRIGGER full;");
  startCentral();
  const json p = waitForPost([](const json& q) { return q["contiguous_seq"] == 2; });
  EXPECT_EQ(p["events"], 2);
}

// With post_keys, central stores what the post signed and rejects the rest.
TEST_F(CentralServe, VerifiesSignaturesWithThePostsKey) {
  const SigningKey key = SigningKey::generate();
  std::filesystem::create_directory(dir_.file("keys"));
  configure("post_keys = \"" + dir_.file("keys") + "\"\n");
  testing::Journal signed_journal(kPost, key);
  testing::Journal unsigned_journal(kPost);
  const msg::Event good = signed_journal.next();
  unsigned_journal.next();
  const msg::Event bad = unsigned_journal.next();
  startCentral();
  waitForMqtt(1);
  // No key registered yet: refused.
  publish(msg::eventsTopic(kPost), testing::wire(good));
  waitForPost([](const json& p) { return p["rejected"] == 1; });

  // The post's key arrives; SIGHUP makes central read it.
  writeFile(dir_.file("keys/") + kPost + ".pub", key.publicPem());
  ASSERT_TRUE(central_->sendSignal(SIGHUP));
  const auto deadline = std::chrono::steady_clock::now() + seconds(10);
  while (readFile(dir_.file("central.log")).find("post keys reloaded") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  publish(msg::eventsTopic(kPost), testing::wire(good));
  publish(msg::eventsTopic(kPost), testing::wire(bad));
  waitForPost([](const json& p) { return p["events"] == 1 && p["rejected"] == 2; });
  auto res = test::centralGet(api() + "/v1/events?post=" + kPost);
  ASSERT_TRUE(res.isOk());
  const json body = json::parse(res->body);
  ASSERT_EQ(body["meta"].size(), 1u);
  EXPECT_EQ(body["meta"][0]["sig"], "verified");
  const std::string log = readFile(dir_.file("central.log"));
  EXPECT_NE(log.find("no public key registered"), std::string::npos);
  EXPECT_NE(log.find("sig: unsigned event"), std::string::npos);
}

// A post whose status says last_seq 5 while central holds 1, 2 and 4: central asks for 3 and
// for 5, signed with its key, and the answers fill the journal.
TEST_F(CentralServe, AsksThePostToResendWhatIsMissing) {
  configure("signing_key = \"" + dir_.file("central.key") + "\"\nbackfill_retry_s = 1\n");
  testing::Journal journal(kPost);
  std::vector<msg::Event> events;
  for (int i = 0; i < 5; ++i) events.push_back(journal.next());
  const std::string topic = msg::eventsTopic(kPost);
  publish(msg::statusTopic(kPost),
          json{{"post", kPost}, {"state", "online"}, {"last_seq", 5}}.dump(), /*retain=*/true);
  Process requests = subscribe(msg::commandTopic(kPost, msg::kBackfillCommand), 2, "requests.out");
  startCentral();
  waitForMqtt(1);
  for (int i : {0, 1, 3}) publish(topic, testing::wire(events[i]));

  auto got = requests.wait(seconds(20));
  ASSERT_TRUE(got.isOk() && got->cleanExit()) << readFile(dir_.file("requests.out")) << "\n"
                                              << readTail(dir_.file("central.log"));
  auto key = VerifyKey::load(dir_.file("central.key.pub"));
  ASSERT_TRUE(key.isOk()) << key.status().message();
  std::istringstream lines(readFile(dir_.file("requests.out")));
  std::vector<std::pair<std::int64_t, std::int64_t>> asked;
  for (std::string line; std::getline(lines, line);) {
    const json request = json::parse(line);
    EXPECT_EQ(request["schema"], msg::kBackfillSchema);
    EXPECT_TRUE(msg::verifyJson(request, *key)) << line;
    asked.emplace_back(request["from"].get<std::int64_t>(), request["to"].get<std::int64_t>());
    // Answer as the post does: re-publish the range from the journal.
    for (auto seq = asked.back().first; seq <= asked.back().second; ++seq) {
      publish(topic, testing::wire(events[static_cast<std::size_t>(seq - 1)]));
    }
  }
  EXPECT_EQ(asked, (std::vector<std::pair<std::int64_t, std::int64_t>>{{3, 3}, {5, 5}}));
  const json p = waitForPost(
      [](const json& q) { return q["contiguous_seq"] == 5 && q["backfill"]["missing"] == 0; });
  EXPECT_EQ(p["backfill"]["announced_last_seq"], 5);
  EXPECT_GE(p["backfill"]["requests"], 2);
  EXPECT_EQ(p["duplicates"], 0);
}

// Two instances in one shared group on one store: every event lands exactly once, and both
// take a share.
void CentralServe::shareTheLoad(const std::string& db) {
  configure("", "shared_group = \"kordon-central\"\n", db);
  auto http2 = test::freeLoopbackPort();
  ASSERT_TRUE(http2.isOk());
  std::string second = readFile(dir_.file("central.toml"));
  second.replace(second.find("central-hil"), 11, "central-hil-2");
  second.replace(second.find(std::to_string(http_port_)), std::to_string(http_port_).size(),
                 std::to_string(*http2));
  writeFile(dir_.file("central2.toml"), second);
  startCentral();
  auto other = Process::spawn(
      {KORDON_BIN_DIR "/kordon-central", "serve", "--config", dir_.file("central2.toml")},
      dir_.file("central2.log"));
  ASSERT_TRUE(other.isOk());
  ASSERT_TRUE(test::waitForTcpPort("127.0.0.1", *http2, seconds(10)));
  waitForMqtt(1);
  std::this_thread::sleep_for(milliseconds(500));  // the second one subscribes too

  constexpr int kEvents = 300;
  testing::Journal journal(kPost);
  std::string lines;
  for (int i = 0; i < kEvents; ++i) lines += testing::wire(journal.next()) + "\n";
  writeFile(dir_.file("events.txt"), lines);
  auto pub =
      Process::spawn({"sh", "-c",
                      "mosquitto_pub -h 127.0.0.1 -p " + std::to_string(mqtt_port_) + " -q 1 -t " +
                          msg::eventsTopic(kPost) + " -l < " + dir_.file("events.txt")},
                     dir_.file("pub.log"));
  ASSERT_TRUE(pub.isOk());
  auto published = pub->wait(seconds(30));
  ASSERT_TRUE(published.isOk() && published->cleanExit()) << readTail(dir_.file("pub.log"));

  const json p = waitForPost([](const json& q) { return q["contiguous_seq"] == kEvents; });
  EXPECT_EQ(p["events"], kEvents);
  EXPECT_EQ(p["duplicates"], 0);
  EXPECT_EQ(p["conflicts"], 0);
  EXPECT_EQ(p["chain_breaks"], 0);
  auto count = [&](const std::string& log) {
    const std::string text = readFile(log);
    int n = 0;
    for (auto pos = text.find("event stored"); pos != std::string::npos;
         pos = text.find("event stored", pos + 1)) {
      ++n;
    }
    return n;
  };
  const int first = count(dir_.file("central.log"));
  const int other_count = count(dir_.file("central2.log"));
  EXPECT_EQ(first + other_count, kEvents);
  EXPECT_GT(first, 0);
  EXPECT_GT(other_count, 0);
  (void)other->terminate(seconds(5));
}

TEST_F(CentralServe, TwoInstancesShareTheLoadOnOneSqliteFile) { shareTheLoad(""); }

TEST_F(CentralServe, TwoInstancesShareTheLoadOnOnePostgresDatabase) {
  auto uri = testing::PostgresServer::instance().createDatabase();
  if (!uri) GTEST_SKIP() << testing::PostgresServer::instance().unavailable();
  shareTheLoad(*uri);
}

TEST_F(CentralServe, PushesADeclarationDownToThePost) {
  startCentral();
  const std::string topic = msg::commandTopic(kPost, "declarations");
  auto sub = Process::spawn({"mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(mqtt_port_),
                             "-q", "1", "-t", topic, "-C", "1", "-W", "15"},
                            dir_.file("sub.out"));
  ASSERT_TRUE(sub.isOk());
  std::this_thread::sleep_for(milliseconds(500));  // let the subscription settle

  const json declaration = {{"schema", "kordon.declaration/1"},
                            {"id", "KZ-TD-1"},
                            {"version", 1},
                            {"tractor_plate", "123 ABC 02"}};
  writeFile(dir_.file("decl.json"), declaration.dump());
  // central connects in the background; retry while it answers 503.
  bool accepted = false;
  for (int attempt = 0; attempt < 50 && !accepted; ++attempt) {
    auto declare =
        Process::spawn({KORDON_BIN_DIR "/kordon-central", "declare", "--api", api(), "--post",
                        kPost, "--token-file", tokenFile(), dir_.file("decl.json")},
                       dir_.file("declare.out"));
    ASSERT_TRUE(declare.isOk());
    auto exit = declare->wait(seconds(10));
    ASSERT_TRUE(exit.isOk());
    accepted = exit->cleanExit();
    if (!accepted) std::this_thread::sleep_for(milliseconds(200));
  }
  ASSERT_TRUE(accepted) << readFile(dir_.file("declare.out"));
  auto got = sub->wait(seconds(15));
  ASSERT_TRUE(got.isOk() && got->cleanExit()) << readFile(dir_.file("sub.out"));
  json received = json::parse(readFile(dir_.file("sub.out")));
  EXPECT_EQ(received["issued_by"], json({{"credential", "hil-admin"}, {"role", "declarant"}}));
  received.erase("issued_by");
  received.erase("issued_at");
  EXPECT_EQ(received, declaration);

  // An invalid one is refused with the field's name and a non-zero exit.
  writeFile(dir_.file("bad.json"), R"({"schema":"kordon.declaration/1","id":"x","version":0})");
  auto bad = Process::spawn({KORDON_BIN_DIR "/kordon-central", "declare", "--api", api(), "--post",
                             kPost, "--token-file", tokenFile(), dir_.file("bad.json")},
                            dir_.file("bad.out"));
  ASSERT_TRUE(bad.isOk());
  auto bad_exit = bad->wait(seconds(10));
  ASSERT_TRUE(bad_exit.isOk());
  EXPECT_FALSE(bad_exit->cleanExit());
  EXPECT_NE(readFile(dir_.file("bad.out")).find("version"), std::string::npos);
}

TEST_F(CentralServe, ExitsTwoWithOneLineOnABadConfig) {
  writeFile(dir_.file("bad.toml"), "[mqtt]\nurl = \"tcp://127.0.0.1:1\"\n");
  auto p =
      Process::spawn({KORDON_BIN_DIR "/kordon-central", "serve", "--config", dir_.file("bad.toml")},
                     dir_.file("bad.log"));
  ASSERT_TRUE(p.isOk());
  auto exit = p->wait(seconds(10));
  ASSERT_TRUE(exit.isOk());
  EXPECT_TRUE(exit->exited);
  EXPECT_EQ(exit->code, 2);
  const std::string out = readFile(dir_.file("bad.log"));
  EXPECT_NE(out.find("mqtt.url"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
}

TEST_F(CentralServe, EventsCliFailsClearlyOnAMissingDatabase) {
  auto p =
      Process::spawn({KORDON_BIN_DIR "/kordon-central", "events", "--db", dir_.file("none.db")},
                     dir_.file("cli.log"));
  ASSERT_TRUE(p.isOk());
  auto exit = p->wait(seconds(10));
  ASSERT_TRUE(exit.isOk());
  EXPECT_FALSE(exit->cleanExit());
  EXPECT_NE(readFile(dir_.file("cli.log")).find("no such database file"), std::string::npos);
}

}  // namespace
}  // namespace kordon::central
