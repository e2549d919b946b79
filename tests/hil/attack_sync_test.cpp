// SPDX-License-Identifier: Apache-2.0
// An attacking post (label chaos). Post KZ-B holds a valid key of its own and a broker login,
// and tries to put words in KZ-A's mouth; central must refuse every attempt and keep KZ-A's
// journal intact, while the real kordond of KZ-A goes on syncing:
//   - an event for KZ-A signed with KZ-B's key, on KZ-A's topic;
//   - an event claiming to be KZ-A's, on KZ-B's own topic;
//   - a genuine KZ-A event with its payload changed and its hash recomputed (tampered);
//   - the same change without recomputing the hash;
//   - an unsigned event for KZ-A.
// The broker here has no ACLs, to show central's own checks; tls_acl_hil_test shows that the
// broker's ACLs stop the same publishes one step earlier.

#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

#include "edge/base/crypto.hpp"
#include "edge/msg/event.hpp"
#include "tests/hil/broker.hpp"
#include "tests/hil/camera_traffic.hpp"
#include "tests/hil/post_config.hpp"
#include "tests/hil/process.hpp"
#include "tests/hil/sync_rig.hpp"

namespace kordon::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class AttackingPost : public SyncRig {
 protected:
  void SetUp() override {
    SyncRig::SetUp();
    registerPostKey("KZ-A", key_a_, /*install_on_post=*/true);
    registerPostKey("KZ-B", key_b_, /*install_on_post=*/false);
    writeCentralConfig();
    writeKordondConfig(postConfig("KZ-A", stateDir(), broker_->uri(), post_http_, dead_port_, 1));
    startCentral();
    startKordond();
  }

  // Pushes plate reads until KZ-A has at least `seq` events and central holds all of them.
  void syncPostA(std::int64_t seq) {
    for (int i = 0; postHealth(post_http_)["outbox"]["last_seq"] < seq; ++i) {
      ASSERT_TRUE(pushAnprAlert(post_http_, "/anpr/L1", "777ATK02", i));
    }
    const auto deadline = std::chrono::steady_clock::now() + seconds(30);
    for (;;) {
      const auto h = postHealth(post_http_);
      const auto a = centralPostStatus(central_http_, "KZ-A");
      if (!a.is_null() && h["outbox"]["undelivered"] == 0 &&
          a["contiguous_seq"] == h["outbox"]["last_seq"]) {
        return;
      }
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << a.dump() << h.dump();
      std::this_thread::sleep_for(milliseconds(100));
    }
  }

  void publishAs(const std::string& topic, const std::string& payload) {
    auto p =
        Process::spawn({"mosquitto_pub", "-h", "127.0.0.1", "-p", std::to_string(broker_->port()),
                        "-q", "1", "-t", topic, "-m", payload},
                       dir_ + "/attacker.log");
    ASSERT_TRUE(p);
    auto exit = p->wait(seconds(10));
    ASSERT_TRUE(exit && exit->cleanExit());
  }

  SigningKey key_a_ = SigningKey::generate();
  SigningKey key_b_ = SigningKey::generate();
};

TEST_F(AttackingPost, CannotInjectOrTamperAndThePostsJournalStaysWhole) {
  syncPostA(5);
  const nlohmann::json page = getJson(central_http_, "/v1/events?post=KZ-A&after=0&limit=1000");
  const nlohmann::json& stored = page.is_array() ? page : page["events"];
  ASSERT_GE(stored.size(), 5u);
  auto genuine =
      msg::parseEvent(stored[1].contains("envelope")
                          ? nlohmann::json::parse(stored[1]["envelope"].get<std::string>())
                          : stored[1]);
  ASSERT_TRUE(genuine) << stored[1].dump();
  const std::int64_t next_seq = stored.back()["seq"].get<std::int64_t>() + 1;

  // A well-formed next event for KZ-A, signed by KZ-B.
  msg::Event forged = *genuine;
  forged.seq = next_seq;
  forged.id = newUuid();
  forged.prev_hash = stored.back()["hash"];
  forged.type = "passage.decided";
  forged.payload = {{"corridor", "green"}, {"reasons", nlohmann::json::array()}};
  forged.hash = msg::computeEventHash(forged);
  msg::signEvent(forged, key_b_);
  publishAs("kordon/v1/KZ-A/events", msg::toWireString(forged));
  // The same, on KZ-B's own topic (its broker login allows that).
  publishAs("kordon/v1/KZ-B/events", msg::toWireString(forged));
  // A genuine event of KZ-A, tampered: corridor changed, hash recomputed, old signature kept.
  msg::Event tampered = *genuine;
  tampered.payload["tampered"] = true;
  tampered.hash = msg::computeEventHash(tampered);
  publishAs("kordon/v1/KZ-A/events", msg::toWireString(tampered));
  // Tampered without recomputing the hash.
  nlohmann::json edited = nlohmann::json::parse(msg::toWireString(*genuine));
  edited["payload"]["tampered"] = true;
  publishAs("kordon/v1/KZ-A/events", edited.dump());
  // Unsigned.
  msg::Event unsigned_event = forged;
  unsigned_event.sig.clear();
  publishAs("kordon/v1/KZ-A/events", msg::toWireString(unsigned_event));

  // KZ-A goes on; its own next events take the seqs the forgeries tried to take.
  syncPostA(next_seq + 3);
  const nlohmann::json a = centralPostStatus(central_http_, "KZ-A");
  EXPECT_EQ(a["conflicts"], 0) << a.dump();
  EXPECT_EQ(a["chain_breaks"], 0) << a.dump();
  EXPECT_TRUE(a["gaps"].empty()) << a.dump();
  EXPECT_EQ(a["rejected"], 4) << a.dump();  // forged, tampered twice, unsigned
  const nlohmann::json b = centralPostStatus(central_http_, "KZ-B");
  ASSERT_FALSE(b.is_null());
  EXPECT_EQ(b["rejected"], 1) << b.dump();  // KZ-A's event on KZ-B's topic
  EXPECT_EQ(b["events"], 0) << b.dump();

  // Central's copy of seq 2 is still the genuine one.
  const nlohmann::json after = getJson(central_http_, "/v1/events?post=KZ-A&after=1&limit=1");
  const nlohmann::json& second = after.is_array() ? after : after["events"];
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0]["hash"], genuine->hash);
}

}  // namespace
}  // namespace kordon::test
