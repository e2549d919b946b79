// SPDX-License-Identifier: Apache-2.0
// TLS with client certificates and per-post ACLs (label hil), on a real mosquitto configured
// with the project's own ACL file (systemd/mosquitto/kordon.acl) and a CA made by the test:
// - kordond and kordon-central sync over TLS, each with its own certificate;
// - one post's certificate can neither publish into nor read another post's topics;
// - a client without a certificate, or with one from another CA, cannot connect.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "tests/hil/broker.hpp"
#include "tests/hil/camera_traffic.hpp"
#include "tests/hil/post_config.hpp"
#include "tests/hil/process.hpp"
#include "tests/hil/test_pki.hpp"

namespace kordon::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class TlsAcl : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "kordon-tls-XXXXXX").string();
    dir_ = mkdtemp(pattern.data());
    ASSERT_TRUE(makeTestPki(dir_, {"KZ-A", "KZ-B", "kordon-central"}));
    auto broker = Broker::start(
        dir_,
        "cafile " + dir_ + "/ca.crt\ncertfile " + dir_ + "/server.crt\nkeyfile " + dir_ +
            "/server.key\nrequire_certificate true\n" + "use_identity_as_username true\n",
        "allow_anonymous false\nacl_file " KORDON_SOURCE_DIR "/systemd/mosquitto/kordon.acl\n");
    ASSERT_TRUE(broker) << broker.status().message();
    broker_.emplace(std::move(*broker));
  }

  void TearDown() override {
    subscribers_.clear();
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  std::vector<std::string> tlsArgs(const std::string& identity) const {
    return {"-h",       "127.0.0.1",
            "-p",       std::to_string(broker_->port()),
            "--cafile", dir_ + "/ca.crt",
            "--cert",   dir_ + "/" + identity + ".crt",
            "--key",    dir_ + "/" + identity + ".key"};
  }

  // A mosquitto_sub as `identity`, printing "topic payload" lines to <dir>/<log>.
  void subscribe(const std::string& identity, const std::string& filter, const std::string& log) {
    std::vector<std::string> argv = {"mosquitto_sub"};
    for (auto& a : tlsArgs(identity)) argv.push_back(a);
    for (const char* a : {"-q", "1", "-v", "-t"}) argv.emplace_back(a);
    argv.push_back(filter);
    auto p = Process::spawn(argv, dir_ + "/" + log);
    ASSERT_TRUE(p) << p.status().message();
    subscribers_.push_back(std::move(*p));
  }

  // mosquitto_pub as `identity`; its exit status (0 = the broker took it, even if the ACL then
  // dropped it, as MQTT 3.1.1 has no way to say otherwise).
  Result<ExitStatus> publish(const std::vector<std::string>& identity_args,
                             const std::string& topic, const std::string& payload) {
    std::vector<std::string> argv = {"mosquitto_pub"};
    for (auto& a : identity_args) argv.push_back(a);
    for (auto& a : {std::string("-q"), std::string("1"), std::string("-t"), topic,
                    std::string("-m"), payload}) {
      argv.push_back(a);
    }
    auto p = Process::spawn(argv, dir_ + "/pub.log");
    if (!p) return p.status();
    return p->wait(seconds(10));
  }

  std::string dir_;
  std::optional<Broker> broker_;
  std::vector<Process> subscribers_;
};

TEST_F(TlsAcl, KordondAndCentralSyncOverTlsWithTheirCertificates) {
  const std::string tls_uri = "ssl://127.0.0.1:" + std::to_string(broker_->port());
  auto tlsFiles = [&](const std::string& identity) {
    return "ca_file = \"" + dir_ + "/ca.crt\"\ncert_file = \"" + dir_ + "/" + identity +
           ".crt\"\nkey_file = \"" + dir_ + "/" + identity + ".key\"\n";
  };
  auto http = freeLoopbackPort();
  auto dead = freeLoopbackPort();
  auto central_http = freeLoopbackPort();
  ASSERT_TRUE(http && dead && central_http);
  std::ofstream(dir_ + "/central.toml")
      << "[central]\ndb = \"" << dir_ << "/central.db\"\nbackfill_retry_s = 1\n[mqtt]\nuri = \""
      << tls_uri << "\"\n"
      << tlsFiles("kordon-central") << "[http]\nlisten = \"127.0.0.1:" << *central_http
      << "\"\ntokens_file = \"" << writeCentralTokens(dir_ + "/tokens.toml")
      << "\"\n[log]\nformat = \"text\"\n";
  auto central = Process::spawn(
      {KORDON_BIN_DIR "/kordon-central", "serve", "--config", dir_ + "/central.toml"},
      dir_ + "/central.log");
  ASSERT_TRUE(central) << central.status().message();
  // Subscribed before the post publishes: the events then come straight, not by backfill.
  ASSERT_TRUE(waitForPostHealth(*central_http, seconds(10), [](const nlohmann::json& h) {
    return h.value("mqtt_connected", false);
  })) << readTail(dir_ + "/central.log");
  std::ofstream(dir_ + "/kordond.toml")
      << postConfig("KZ-A", dir_ + "/state", tls_uri, *http, *dead, 1, "", tlsFiles("KZ-A"));
  auto kordond = Process::spawn({KORDON_BIN_DIR "/kordond", "--config", dir_ + "/kordond.toml"},
                                dir_ + "/kordond.log");
  ASSERT_TRUE(kordond) << kordond.status().message();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(waitForPostHealth(*http, seconds(10), [](const nlohmann::json&) { return true; }));
    ASSERT_TRUE(pushAnprAlert(*http, "/anpr/L1", "777TLS02", i));
  }
  std::int64_t last_seq = 0;
  EXPECT_TRUE(waitForPostHealth(*http, seconds(15),
                                [&](const nlohmann::json& h) {
                                  last_seq = h["outbox"]["last_seq"].get<std::int64_t>();
                                  return h["outbox"]["connected"] == true &&
                                         h["outbox"]["undelivered"] == 0 && last_seq >= 3;
                                }))
      << postHealth(*http).dump() << readTail(dir_ + "/kordond.log");
  // Central, connected with its own certificate, stored all of them.
  const auto deadline = std::chrono::steady_clock::now() + seconds(10);
  nlohmann::json stored;
  while ((stored = centralPostStatus(*central_http, "KZ-A")).is_null() ||
         stored["contiguous_seq"] != last_seq) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline)
        << stored.dump() << readTail(dir_ + "/central.log");
    std::this_thread::sleep_for(milliseconds(100));
  }
  (void)kordond->terminate(seconds(5));
  (void)central->terminate(seconds(5));
}

TEST_F(TlsAcl, APostCanNeitherWriteNorReadAnotherPostsTopics) {
  subscribe("kordon-central", "kordon/v1/+/events", "central.log");
  subscribe("KZ-B", "kordon/v1/KZ-A/cmd/#", "b-reads-a.log");
  subscribe("KZ-A", "kordon/v1/KZ-A/cmd/#", "a-reads-a.log");
  std::this_thread::sleep_for(milliseconds(500));  // let the subscriptions settle

  // KZ-B forges an event on KZ-A's topic, then writes one on its own (the control).
  auto forged = publish(tlsArgs("KZ-B"), "kordon/v1/KZ-A/events", "forged-by-B");
  ASSERT_TRUE(forged) << forged.status().message();
  auto own = publish(tlsArgs("KZ-B"), "kordon/v1/KZ-B/events", "own-by-B");
  ASSERT_TRUE(own && own->cleanExit());
  // Central commands KZ-A: only KZ-A may read it.
  auto command = publish(tlsArgs("kordon-central"), "kordon/v1/KZ-A/cmd/declarations", "for-A");
  ASSERT_TRUE(command && command->cleanExit());
  // A post cannot send commands either, not even to itself.
  auto self_command = publish(tlsArgs("KZ-A"), "kordon/v1/KZ-A/cmd/declarations", "A-forged");
  ASSERT_TRUE(self_command);

  const auto deadline = std::chrono::steady_clock::now() + seconds(5);
  while ((readFile(dir_ + "/central.log").find("own-by-B") == std::string::npos ||
          readFile(dir_ + "/a-reads-a.log").find("for-A") == std::string::npos) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(100));
  }
  std::this_thread::sleep_for(milliseconds(300));  // room for a forged message to arrive late
  const std::string central = readFile(dir_ + "/central.log");
  EXPECT_NE(central.find("kordon/v1/KZ-B/events own-by-B"), std::string::npos) << central;
  EXPECT_EQ(central.find("forged-by-B"), std::string::npos) << central;
  EXPECT_NE(readFile(dir_ + "/a-reads-a.log").find("for-A"), std::string::npos);
  EXPECT_EQ(readFile(dir_ + "/a-reads-a.log").find("A-forged"), std::string::npos);
  EXPECT_EQ(readFile(dir_ + "/b-reads-a.log"), "");
}

TEST_F(TlsAcl, ClientsWithoutAValidCertificateCannotConnect) {
  const std::vector<std::string> no_cert = {
      "-h", "127.0.0.1", "-p", std::to_string(broker_->port()), "--cafile", dir_ + "/ca.crt"};
  auto anonymous = publish(no_cert, "kordon/v1/KZ-A/events", "x");
  ASSERT_TRUE(anonymous) << anonymous.status().message();
  EXPECT_FALSE(anonymous->cleanExit());

  ASSERT_TRUE(makeRogueClient(dir_, "KZ-ROGUE"));
  std::vector<std::string> rogue = no_cert;
  for (auto& a : {std::string("--cert"), dir_ + "/KZ-ROGUE.crt", std::string("--key"),
                  dir_ + "/KZ-ROGUE.key"}) {
    rogue.push_back(a);
  }
  auto rogue_pub = publish(rogue, "kordon/v1/KZ-ROGUE/events", "x");
  ASSERT_TRUE(rogue_pub) << rogue_pub.status().message();
  EXPECT_FALSE(rogue_pub->cleanExit());
}

}  // namespace
}  // namespace kordon::test
