// SPDX-License-Identifier: Apache-2.0
// Issue 15, attacking kordon-central's API (label hil): the real kordon-central serving HTTPS
// with a throw-away PKI, a real mosquitto, and clients that hold no token, a wrong one, an
// expired or revoked one, a declarant's token for another post, a viewer's token for a write.
// Each is refused with the right status, the writes are audited with who tried, nothing is sent
// down to a post, and /healthz stays open. Last, a genuine event too large to store is a
// counted `unacceptable` seq, never a gap that backfill asks for forever.

#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "edge/base/clock.hpp"
#include "edge/base/crypto.hpp"
#include "edge/base/http.hpp"
#include "edge/msg/event.hpp"
#include "tests/hil/broker.hpp"
#include "tests/hil/post_config.hpp"
#include "tests/hil/process.hpp"
#include "tests/hil/test_pki.hpp"

namespace kordon::test {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

std::string tokenFor(const std::string& name) { return "kct_" + sha256Hex("hil " + name); }

class AttackedCentral : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "kordon-capi-XXXXXX").string();
    dir_ = mkdtemp(pattern.data());
    ASSERT_TRUE(makeTestPki(dir_, {}).isOk());
    auto broker = Broker::start(dir_);
    ASSERT_TRUE(broker) << broker.status().message();
    broker_.emplace(std::move(*broker));
    auto port = freeLoopbackPort();
    ASSERT_TRUE(port);
    port_ = *port;
    std::filesystem::create_directories(dir_ + "/post-keys");
    std::ofstream(dir_ + "/post-keys/KZ-A.pub") << post_key_.publicPem();

    // The tokens file as an administrator writes it (api_access.hpp), independently of the CLI.
    std::ofstream(dir_ + "/tokens.toml")
        << centralTokenEntry("hil-admin", tokenFor("admin"), "\"admin\"", "\"*\"")
        << centralTokenEntry("keden-kz-a", tokenFor("declarant-a"), "\"declarant\"", "\"KZ-A\"")
        << centralTokenEntry("ops-viewer", tokenFor("viewer"), "\"viewer\"", "\"*\"")
        << centralTokenEntry("old-broker", tokenFor("expired"), "\"declarant\"", "\"*\"")
        << "expires = \"2026-01-01T00:00:00Z\"\n"
        << centralTokenEntry("leaked", tokenFor("revoked"), "\"admin\"", "\"*\"")
        << "revoked = \"2026-06-01T00:00:00Z\"\n";
    std::ofstream(dir_ + "/central.toml")
        << "[central]\ndb = \"" << dir_ << "/central.db\"\npost_keys = \"" << dir_
        << "/post-keys\"\n[mqtt]\nuri = \"" << broker_->uri()
        << "\"\nclient_id = \"central-attacked\"\n[http]\nlisten = \"127.0.0.1:" << port_
        << "\"\ncert_file = \"" << dir_ << "/server.crt\"\nkey_file = \"" << dir_
        << "/server.key\"\ntokens_file = \"" << dir_
        << "/tokens.toml\"\n[log]\nformat = \"text\"\n";
    auto p = Process::spawn(
        {KORDON_BIN_DIR "/kordon-central", "serve", "--config", dir_ + "/central.toml"},
        dir_ + "/central.log");
    ASSERT_TRUE(p) << p.status().message();
    central_.emplace(std::move(*p));
    ASSERT_TRUE(waitForTcpPort("127.0.0.1", port_, seconds(10))) << readTail(dir_ + "/central.log");
  }

  void TearDown() override {
    if (central_) (void)central_->terminate(seconds(5));
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  std::string api() const { return "https://127.0.0.1:" + std::to_string(port_); }

  // A request over HTTPS, checking central's certificate against the test CA.
  http::Response call(const std::string& method, const std::string& path,
                      const std::string& token = "", const std::string& body = "") {
    http::ClientOptions options;
    options.ca_file = dir_ + "/ca.crt";
    if (!token.empty()) options.headers["Authorization"] = "Bearer " + token;
    auto r = http::request(method, api() + path, body, "application/json", options);
    EXPECT_TRUE(r) << r.status().message();
    return r ? *r : http::Response{};
  }

  std::string declaration(int version = 1) {
    return json{{"schema", "kordon.declaration/1"},
                {"id", "KZ-TD-ATTACK"},
                {"version", version},
                {"tractor_plate", "123 ABC 02"},
                {"gross_mass_kg", 38420}}
        .dump();
  }

  // Central answers a good write 503 until it is connected to the broker (and subscribed).
  bool waitUntilConnected() {
    for (int i = 0; i < 100; ++i) {
      const int status =
          call("POST", "/v1/posts/KZ-A/declarations", tokenFor("declarant-a"), declaration(1))
              .status;
      if (status == 202) return true;
      std::this_thread::sleep_for(milliseconds(100));
    }
    return false;
  }

  json audit() {
    const http::Response r = call("GET", "/v1/audit?limit=1000", tokenFor("admin"));
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false)["audit"];
  }

  std::string dir_;
  std::optional<Broker> broker_;
  std::optional<Process> central_;
  std::uint16_t port_ = 0;
  SigningKey post_key_ = SigningKey::generate();
};

TEST_F(AttackedCentral, OnlyTheRightTokenForThePostMayWriteAndEveryWriteIsAudited) {
  // Open: /healthz only, and only over TLS.
  EXPECT_EQ(call("GET", "/healthz").status, 200);
  auto plain = http::request("GET", "http://127.0.0.1:" + std::to_string(port_) + "/v1/posts");
  EXPECT_TRUE(!plain || plain->status != 200) << "served without TLS";

  // Reads: no token, a wrong one, an expired one, a revoked one are 401.
  for (const std::string& token : {std::string(), tokenFor("nobody"), tokenFor("expired"),
                                   tokenFor("revoked"), std::string("kct_short")}) {
    EXPECT_EQ(call("GET", "/v1/events?post=KZ-A&after=0", token).status, 401) << token;
    EXPECT_EQ(call("GET", "/v1/posts", token).status, 401) << token;
  }
  const http::Response no_token = call("GET", "/v1/posts");
  EXPECT_NE(no_token.headers.count("www-authenticate") + no_token.headers.count("WWW-Authenticate"),
            0u);

  ASSERT_TRUE(waitUntilConnected()) << readTail(dir_ + "/central.log");

  // Writes that must be refused, and nothing of them goes down to a post.
  const std::string path_a = "/v1/posts/KZ-A/declarations";
  EXPECT_EQ(call("POST", path_a, "", declaration(2)).status, 401);
  EXPECT_EQ(call("POST", path_a, tokenFor("nobody"), declaration(2)).status, 401);
  EXPECT_EQ(call("POST", path_a, tokenFor("expired"), declaration(2)).status, 401);
  EXPECT_EQ(call("POST", path_a, tokenFor("revoked"), declaration(2)).status, 401);
  EXPECT_EQ(call("POST", path_a, tokenFor("viewer"), declaration(2)).status, 403);
  // KZ-A's declarant against KZ-B.
  EXPECT_EQ(
      call("POST", "/v1/posts/KZ-B/declarations", tokenFor("declarant-a"), declaration(2)).status,
      403);
  // A declarant may not change rule sets.
  EXPECT_EQ(call("POST", "/v1/posts/KZ-A/policies", tokenFor("declarant-a"),
                 json{{"schema", "kordon.policy/1"},
                      {"kind", "ruleset"},
                      {"version", 1},
                      {"body", json::object()}}
                     .dump())
                .status,
            403);
  // A version no later update could ever pass.
  EXPECT_EQ(call("POST", path_a, tokenFor("declarant-a"), declaration(2147483647)).status, 400);
  // Viewers read events but not the audit trail.
  EXPECT_EQ(call("GET", "/v1/events?post=KZ-A&after=0", tokenFor("viewer")).status, 200);
  EXPECT_EQ(call("GET", "/v1/audit", tokenFor("viewer")).status, 403);

  // The trail: who tried what, and what they were told.
  const json trail = audit();
  ASSERT_TRUE(trail.is_array());
  std::map<std::string, std::vector<int>> by_credential;
  for (const auto& a : trail) {
    if (a["method"] == "POST") by_credential[a["credential"]].push_back(a["status"]);
  }
  // Writes before central reached the broker were answered (and audited) 503.
  EXPECT_EQ(std::count(by_credential["keden-kz-a"].begin(), by_credential["keden-kz-a"].end(), 202),
            1);
  EXPECT_EQ(std::count(by_credential["keden-kz-a"].begin(), by_credential["keden-kz-a"].end(), 403),
            2);
  EXPECT_EQ(by_credential["ops-viewer"], std::vector<int>{403});
  // Unauthenticated writes are audited too, under no credential.
  int unauthenticated = 0;
  for (const auto& a : trail) {
    if (a["method"] == "POST" && a["status"] == 401) ++unauthenticated;
  }
  EXPECT_EQ(unauthenticated, 4);
  bool kz_b_named = false;
  for (const auto& a : trail) kz_b_named |= a["post"] == "KZ-B" && a["status"] == 403;
  EXPECT_TRUE(kz_b_named) << trail.dump();
}

TEST_F(AttackedCentral, TheDeclareCommandUsesTheTokenAndTheCertificate) {
  std::ofstream(dir_ + "/decl.json") << declaration(1);
  std::ofstream(dir_ + "/token") << tokenFor("declarant-a") << "\n";
  auto run = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {KORDON_BIN_DIR "/kordon-central",
                                     "declare",
                                     "--api",
                                     api(),
                                     "--post",
                                     "KZ-A",
                                     "--ca-file",
                                     dir_ + "/ca.crt"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(dir_ + "/decl.json");
    auto p = Process::spawn(argv, dir_ + "/declare.out");
    EXPECT_TRUE(p);
    auto exit = p->wait(seconds(10));
    return exit && exit->cleanExit();
  };
  EXPECT_FALSE(run({}));  // no token: refused before anything is sent
  EXPECT_NE(readFile(dir_ + "/declare.out").find("no API token"), std::string::npos)
      << readFile(dir_ + "/declare.out");
  std::ofstream(dir_ + "/wrong") << tokenFor("nobody") << "\n";
  EXPECT_FALSE(run({"--token-file", dir_ + "/wrong"}));
  EXPECT_NE(readFile(dir_ + "/declare.out").find("401"), std::string::npos)
      << readFile(dir_ + "/declare.out");
  bool accepted = false;
  for (int i = 0; i < 50 && !accepted; ++i) {
    accepted = run({"--token-file", dir_ + "/token"});
    if (!accepted) std::this_thread::sleep_for(milliseconds(200));
  }
  EXPECT_TRUE(accepted) << readFile(dir_ + "/declare.out");
}

TEST_F(AttackedCentral, AGenuineEventTooLargeToStoreIsAnUnacceptableSeqNotAGap) {
  msg::Event huge;
  huge.post = "KZ-A";
  huge.seq = 1;
  huge.id = newUuid();
  huge.type = "plate.read";
  huge.time_ms = 1795602300000;
  huge.prev_hash = msg::kGenesisHash;
  huge.payload = {{"raw", std::string(1200 * 1024, 'A')}};
  const std::string first = msg::sealEvent(huge, &post_key_);
  msg::Event next;
  next.post = "KZ-A";
  next.seq = 2;
  next.id = newUuid();
  next.type = "device.health";
  next.time_ms = huge.time_ms + 1000;
  next.prev_hash = huge.hash;
  next.payload = {{"device", "L1-wb"}, {"health", "good"}};
  const std::string second = msg::sealEvent(next, &post_key_);
  ASSERT_TRUE(waitUntilConnected()) << readTail(dir_ + "/central.log");
  for (const std::string* payload : {&first, &second}) {
    std::ofstream(dir_ + "/event.json") << *payload;
    auto p =
        Process::spawn({"mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(broker_->port()),
                        "-q", "1", "-t", "kordon/v1/KZ-A/events", "-f", dir_ + "/event.json"},
                       dir_ + "/pub.log");
    ASSERT_TRUE(p);
    auto exit = p->wait(seconds(10));
    ASSERT_TRUE(exit && exit->cleanExit()) << readFile(dir_ + "/pub.log");
  }
  json status;
  for (int i = 0; i < 100; ++i) {
    const http::Response r = call("GET", "/v1/posts", tokenFor("viewer"));
    const json posts = json::parse(r.body, nullptr, false);
    for (const auto& p : posts["posts"]) {
      if (p["post"] == "KZ-A") status = p;
    }
    if (!status.is_null() && status["contiguous_seq"] == 2) break;
    std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_FALSE(status.is_null());
  EXPECT_EQ(status["unacceptable"], 1) << status.dump();
  EXPECT_EQ(status["unacceptable_seqs"], json::array({1})) << status.dump();
  EXPECT_TRUE(status["gaps"].empty()) << status.dump();
  EXPECT_EQ(status["contiguous_seq"], 2) << status.dump();
}

}  // namespace
}  // namespace kordon::test
