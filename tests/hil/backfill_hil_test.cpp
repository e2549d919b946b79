// SPDX-License-Identifier: Apache-2.0
// A post answers central's backfill requests from its journal (label hil): real mosquitto, real
// kordond. Events already delivered are published again, byte for byte as journalled; a
// malformed request is refused with a downlink.rejected event; a request beyond the journal is
// clamped to it.

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "edge/msg/event.hpp"
#include "tests/hil/broker.hpp"
#include "tests/hil/camera_traffic.hpp"
#include "tests/hil/post_config.hpp"
#include "tests/hil/process.hpp"

namespace kordon::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kPost = "KZ-BACKFILL";

// Seqs of the events that mosquitto_sub printed (one envelope per line) to `path`.
std::multiset<std::int64_t> seqsIn(const std::string& path) {
  std::multiset<std::int64_t> seqs;
  std::istringstream lines(readFile(path));
  for (std::string line; std::getline(lines, line);) {
    auto e = msg::parseEvent(nlohmann::json::parse(line, nullptr, false));
    if (e) seqs.insert(e->seq);
  }
  return seqs;
}

class Backfill : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "kordon-bf-XXXXXX").string();
    dir_ = mkdtemp(pattern.data());
    auto broker = Broker::start(dir_);
    ASSERT_TRUE(broker) << broker.status().message();
    broker_.emplace(std::move(*broker));
    auto http = freeLoopbackPort();
    auto dead = freeLoopbackPort();
    ASSERT_TRUE(http && dead);
    http_ = *http;
    std::ofstream(dir_ + "/kordond.toml")
        << postConfig(kPost, dir_ + "/state", broker_->uri(), http_, *dead, 1);
    auto p = Process::spawn({KORDON_BIN_DIR "/kordond", "--config", dir_ + "/kordond.toml"},
                            dir_ + "/kordond.log");
    ASSERT_TRUE(p) << p.status().message();
    kordond_.emplace(std::move(*p));
    ASSERT_TRUE(waitForPostHealth(http_, seconds(10), [](const nlohmann::json& h) {
      return h["outbox"]["connected"] == true;
    })) << readTail(dir_ + "/kordond.log");
  }

  void TearDown() override {
    if (kordond_) (void)kordond_->terminate(seconds(5));
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  Status publishCommand(const std::string& payload) {
    auto pub = Process::spawn(
        {"mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(broker_->port()), "-q", "1", "-t",
         std::string("kordon/v1/") + kPost + "/cmd/backfill", "-m", payload},
        dir_ + "/pub.log");
    if (!pub) return pub.status();
    auto exit = pub->wait(seconds(10));
    if (!exit) return exit.status();
    return exit->cleanExit() ? Status::ok() : Status::error("mosquitto_pub: " + exit->toString());
  }

  std::string dir_;
  std::uint16_t http_ = 0;
  std::optional<Broker> broker_;
  std::optional<Process> kordond_;
};

TEST_F(Backfill, RepublishesDeliveredEventsFromTheJournal) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(pushAnprAlert(http_, "/anpr/L1", "123ABC0" + std::to_string(i % 10), i));
  }
  std::int64_t last_seq = 0;
  ASSERT_TRUE(waitForPostHealth(http_, seconds(10), [&](const nlohmann::json& h) {
    last_seq = h["outbox"]["last_seq"].get<std::int64_t>();
    return last_seq >= 10 && h["outbox"]["undelivered"] == 0;
  })) << postHealth(http_).dump();

  auto sub =
      Process::spawn({"mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(broker_->port()),
                      "-q", "1", "-t", std::string("kordon/v1/") + kPost + "/events", "-W", "30"},
                     dir_ + "/events.log");
  ASSERT_TRUE(sub);
  std::this_thread::sleep_for(milliseconds(300));  // let the subscription settle

  // A request past the journal's end is clamped to it.
  ASSERT_TRUE(publishCommand(R"({"schema":"kordon.backfill/1","from":3,"to":)" +
                             std::to_string(last_seq + 50) + "}"));
  std::multiset<std::int64_t> expected;
  for (std::int64_t s = 3; s <= last_seq; ++s) expected.insert(s);
  const auto deadline = std::chrono::steady_clock::now() + seconds(10);
  while (seqsIn(dir_ + "/events.log").size() < expected.size() &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  EXPECT_EQ(seqsIn(dir_ + "/events.log"), expected);

  // Byte for byte what the journal holds: the hash and signature still verify at central.
  std::istringstream lines(readFile(dir_ + "/events.log"));
  std::string first;
  std::getline(lines, first);
  auto e = msg::parseEvent(nlohmann::json::parse(first, nullptr, false));
  ASSERT_TRUE(e) << first;
  EXPECT_EQ(msg::computeEventHash(*e), e->hash);
  auto key = VerifyKey::load(dir_ + "/state/post.key.pub");
  ASSERT_TRUE(key) << key.status().message();
  EXPECT_TRUE(msg::verifyEventSignature(*e, *key));
  EXPECT_EQ(postHealth(http_)["outbox"]["backfill"]["replayed"], last_seq - 2);
}

TEST_F(Backfill, MalformedRequestIsRejectedWithAnEvent) {
  ASSERT_TRUE(publishCommand(R"({"schema":"kordon.backfill/1","from":9,"to":2})"));
  ASSERT_TRUE(waitForPostHealth(http_, seconds(10), [](const nlohmann::json& h) {
    return h["downlink"]["rejected"] == 1;
  })) << postHealth(http_).dump();
  EXPECT_NE(readFile(dir_ + "/kordond.log").find("to: must not be below from"), std::string::npos);
}

}  // namespace
}  // namespace kordon::test
