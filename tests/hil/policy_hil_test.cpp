// SPDX-License-Identifier: Apache-2.0
// A policy published by "central" through a real mosquitto reaches a real kordond configured
// with central's public key: the signed one is applied and acknowledged upstream with a
// policy.applied event, an unsigned one is refused with downlink.rejected, and the applied
// rule set is still in force after a restart (/healthz names its version).

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "edge/base/crypto.hpp"
#include "edge/base/http.hpp"
#include "edge/msg/signed_json.hpp"
#include "edge/msg/topics.hpp"
#include "tests/hil/process.hpp"

namespace kordon::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kPost = "KZ-POLICY-HIL";

bool waitFor(const std::string& path, const std::string& needle, seconds timeout, int count = 1) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string text = readFile(path);
    int seen = 0;
    for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
      ++seen;
    }
    if (seen >= count) return true;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return false;
}

class PolicyHil : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "kordon-policy-XXXXXX").string();
    dir_ = mkdtemp(pattern.data());
    auto mqtt = freeLoopbackPort();
    auto http = freeLoopbackPort();
    auto no_scale = freeLoopbackPort();
    ASSERT_TRUE(mqtt.isOk() && http.isOk() && no_scale.isOk());
    mqtt_port_ = *mqtt;
    http_port_ = *http;
    std::ofstream(dir_ + "/mosquitto.conf") << "listener " << mqtt_port_
                                            << " 127.0.0.1\nallow_anonymous true\n"
                                               "persistence false\n";
    std::ofstream(dir_ + "/central.pub") << VerifyKey::of(central_).publicPem();
    std::ofstream(dir_ + "/kordond.toml")
        << "[post]\nid = \"" << kPost << "\"\nstate_dir = \"" << dir_ << "/state\"\n"
        << "[mqtt]\nuri = \"tcp://127.0.0.1:" << mqtt_port_ << "\"\n"
        << "[sync]\ncentral_key = \"" << dir_ << "/central.pub\"\n"
        << "[http]\nlisten = \"127.0.0.1:" << http_port_ << "\"\n[log]\nformat = \"text\"\n"
        << "[[lanes]]\n[lanes.weighbridge]\nport = " << *no_scale << "\n"
        << "[lanes.radiation]\ntype = \"none\"\n[lanes.xray]\ntype = \"none\"\n";
    auto broker = Process::spawn({"/usr/sbin/mosquitto", "-c", dir_ + "/mosquitto.conf"},
                                 dir_ + "/mosquitto.log");
    ASSERT_TRUE(broker.isOk()) << broker.status().message();
    broker_.emplace(std::move(*broker));
    ASSERT_TRUE(waitForTcpPort("127.0.0.1", mqtt_port_, seconds(10)));
    // Central's view: every event the post sends, one JSON per line.
    auto sub = Process::spawn({"mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(mqtt_port_),
                               "-q", "1", "-t", msg::eventsTopic(kPost)},
                              dir_ + "/events.out");
    ASSERT_TRUE(sub.isOk());
    sub_.emplace(std::move(*sub));
  }

  void TearDown() override {
    if (kordond_) (void)kordond_->terminate(seconds(5));
    if (sub_) (void)sub_->terminate(seconds(5));
    if (broker_) (void)broker_->terminate(seconds(5));
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  void startKordond(int connection) {
    auto p = Process::spawn({KORDON_BIN_DIR "/kordond", "--config", dir_ + "/kordond.toml"},
                            dir_ + "/kordond.log");
    ASSERT_TRUE(p.isOk()) << p.status().message();
    kordond_.emplace(std::move(*p));
    // Subscribed once "mqtt connected" is logged (after the SUBACK).
    ASSERT_TRUE(waitFor(dir_ + "/kordond.log", "mqtt connected", seconds(15), connection))
        << readTail(dir_ + "/kordond.log");
  }

  void publish(const nlohmann::json& payload) {
    auto p = Process::spawn(
        {"mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(mqtt_port_), "-q", "1", "-t",
         msg::commandTopic(kPost, msg::kPolicyCommand), "-m", payload.dump()},
        dir_ + "/pub.log");
    ASSERT_TRUE(p.isOk()) << p.status().message();
    auto done = p->wait(seconds(10));
    ASSERT_TRUE(done.isOk() && done->cleanExit()) << readTail(dir_ + "/pub.log");
  }

  nlohmann::json health() {
    auto res = http::request("GET", "http://127.0.0.1:" + std::to_string(http_port_) + "/healthz");
    if (!res.isOk() || res->status != 200) return nullptr;
    return nlohmann::json::parse(res->body, nullptr, false);
  }

  SigningKey central_ = SigningKey::generate();
  std::string dir_;
  std::uint16_t mqtt_port_ = 0;
  std::uint16_t http_port_ = 0;
  std::optional<Process> broker_;
  std::optional<Process> sub_;
  std::optional<Process> kordond_;
};

TEST_F(PolicyHil, SignedPolicyIsAppliedAcknowledgedAndKeptAcrossRestart) {
  startKordond(1);
  nlohmann::json ruleset = {{"schema", "kordon.policy/1"},
                            {"kind", "ruleset"},
                            {"version", 3},
                            {"issued", "2026-11-21T09:00:00Z"},
                            {"body", {{"weight_tolerance_pct", 2.0}, {"max_cache_age_s", 86400}}}};
  publish(ruleset);  // unsigned: refused
  msg::signJson(ruleset, central_);
  publish(ruleset);

  const std::string events = dir_ + "/events.out";
  ASSERT_TRUE(waitFor(events, "\"type\":\"policy.applied\"", seconds(15)))
      << readFile(events) << readTail(dir_ + "/kordond.log");
  ASSERT_TRUE(waitFor(events, "\"type\":\"downlink.rejected\"", seconds(15))) << readFile(events);
  std::istringstream lines(readFile(events));
  bool applied_seen = false;
  for (std::string line; std::getline(lines, line);) {
    const auto e = nlohmann::json::parse(line, nullptr, false);
    if (e.is_discarded()) continue;
    if (e["type"] == "downlink.rejected") {
      EXPECT_EQ(e["payload"]["reason"], "sig: missing (central's signature is required)");
    }
    if (e["type"] == "policy.applied") {
      applied_seen = true;
      EXPECT_EQ(e["payload"]["kind"], "ruleset");
      EXPECT_EQ(e["payload"]["version"], 3);
    }
  }
  EXPECT_TRUE(applied_seen);
  EXPECT_EQ(health()["policies"]["ruleset"], "central-v3");

  ASSERT_TRUE(kordond_->terminate(seconds(10)).isOk());
  startKordond(2);
  EXPECT_EQ(health()["policies"]["ruleset"], "central-v3") << readTail(dir_ + "/kordond.log");
  publish(ruleset);  // re-delivered after the restart: acknowledged, changes nothing
  EXPECT_TRUE(waitFor(events, "\"type\":\"policy.ignored\"", seconds(15))) << readFile(events);
}

}  // namespace
}  // namespace kordon::test
