// SPDX-License-Identifier: Apache-2.0
#include "sync/downlink.hpp"

#include <gtest/gtest.h>

#include "edge/msg/event_types.hpp"
#include "edge/msg/signed_json.hpp"
#include "edge/msg/topics.hpp"
#include "tests/unit/edge/test_support.hpp"

namespace kordon::sync {
namespace {

using testing::FakeClock;
using testing::TempDir;

constexpr const char* kPost = "KZ-TEST";

nlohmann::json declarationJson(std::int64_t version) {
  return {{"schema", "kordon.declaration/1"},
          {"id", "KZ-TD-1"},
          {"version", version},
          {"tractor_plate", "123 ABC 02"},
          {"gross_mass_kg", 38420}};
}

class DownlinkTest : public ::testing::Test {
 protected:
  void open(std::optional<VerifyKey> central_key) {
    auto store = store::Store::open(dir_.file("k.db"), kPost, clock_);
    ASSERT_TRUE(store.isOk()) << store.status().message();
    store_ = std::move(*store);
    store_->onCommitted([this](const std::vector<msg::Event>& e) {
      events_.insert(events_.end(), e.begin(), e.end());
      for (const auto& event : e) {
        const Status s = msg::checkPayload(event.type, event.payload);
        EXPECT_TRUE(s) << s.message();
      }
    });
    downlink_ = std::make_unique<Downlink>(*store_, clock_, std::move(central_key));
  }
  void send(const std::string& command, const nlohmann::json& body) {
    downlink_->onMessage(msg::commandTopic(kPost, command), body.dump());
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Downlink> downlink_;
  std::vector<msg::Event> events_;
};

TEST_F(DownlinkTest, WithoutAKeyUnsignedDeclarationsAreApplied) {
  open(std::nullopt);
  send("declarations", declarationJson(1));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, "declaration.applied");
}

TEST_F(DownlinkTest, WithAKeyOnlyCentralsSignatureIsAccepted) {
  const SigningKey central = SigningKey::generate();
  const SigningKey attacker = SigningKey::generate();
  open(VerifyKey::of(central));

  send("declarations", declarationJson(1));  // unsigned
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].type, "downlink.rejected");
  EXPECT_NE(events_[0].payload["reason"].get<std::string>().find("sig: missing"),
            std::string::npos);

  nlohmann::json forged = declarationJson(1);
  msg::signJson(forged, attacker);
  send("declarations", forged);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[1].type, "downlink.rejected");
  EXPECT_NE(events_[1].payload["reason"].get<std::string>().find("not a valid signature"),
            std::string::npos);

  nlohmann::json tampered = declarationJson(1);
  msg::signJson(tampered, central);
  tampered["gross_mass_kg"] = 1000;
  send("declarations", tampered);
  ASSERT_EQ(events_.size(), 3u);
  EXPECT_EQ(events_[2].type, "downlink.rejected");

  nlohmann::json good = declarationJson(1);
  msg::signJson(good, central);
  send("declarations", good);
  ASSERT_EQ(events_.size(), 4u);
  EXPECT_EQ(events_[3].type, "declaration.applied");
  auto cached = store_->declarationsForPlate("123ABC02");
  ASSERT_TRUE(cached.isOk());
  ASSERT_EQ(cached->size(), 1u);
  EXPECT_EQ((*cached)[0].declaration.gross_mass_kg, 38420);
}

nlohmann::json policyJson(const char* kind, std::int64_t version, nlohmann::json body) {
  return {{"schema", "kordon.policy/1"},
          {"kind", kind},
          {"version", version},
          {"issued", "2026-11-21T09:00:00Z"},
          {"body", std::move(body)}};
}

TEST_F(DownlinkTest, PoliciesApplyOncePerVersionAndSurviveReopen) {
  open(std::nullopt);
  std::vector<msg::Policy> applied;
  std::vector<WallMs> accepted;
  downlink_->onPolicyApplied([&](const msg::Policy& p) { applied.push_back(p); });
  downlink_->onCommandAccepted([&](WallMs t) { accepted.push_back(t); });

  send("policy", policyJson("deny_list", 2, {{"plates", {"777 XYZ 01"}}}));
  send("policy", policyJson("deny_list", 2, {{"plates", {"777 XYZ 01"}}}));  // re-delivered
  send("policy", policyJson("deny_list", 1, {{"plates", {"111 AAA 01"}}}));  // older
  send("policy", policyJson("ruleset", 1, {{"max_cache_age_s", 600}}));
  send("policy", policyJson("deny_list", 3, {{"plates", 7}}));  // malformed

  ASSERT_EQ(events_.size(), 5u);
  EXPECT_EQ(events_[0].type, "policy.applied");
  EXPECT_EQ(events_[0].payload["kind"], "deny_list");
  EXPECT_EQ(events_[0].payload["version"], 2);
  EXPECT_EQ(events_[0].payload["plates"], 1);
  EXPECT_EQ(events_[1].type, "policy.ignored");
  EXPECT_EQ(events_[2].type, "policy.ignored");
  EXPECT_EQ(events_[3].type, "policy.applied");
  EXPECT_EQ(events_[4].type, "downlink.rejected");
  EXPECT_EQ(events_[4].payload["reason"], "body.plates: expected an array of strings");
  ASSERT_EQ(applied.size(), 2u);
  EXPECT_EQ(accepted.size(), 4u);  // a rejected message proves nothing about the cache
  EXPECT_EQ(downlink_->statusJson()["applied"], 2);

  clock_.advance(std::chrono::seconds(5));
  downlink_.reset();
  store_.reset();
  auto reopened = store::Store::open(dir_.file("k.db"), kPost, clock_);
  ASSERT_TRUE(reopened.isOk());
  auto stored = (*reopened)->policies();
  ASSERT_TRUE(stored.isOk()) << stored.status().message();
  ASSERT_EQ(stored->size(), 2u);
  EXPECT_EQ((*stored)[0].kind, msg::PolicyKind::kDenyList);  // ordered by kind name
  EXPECT_EQ((*stored)[0].version, 2);
  EXPECT_EQ((*stored)[0].list.plates, std::vector<std::string>{"777XYZ01"});
  EXPECT_EQ((*stored)[1].ruleset.max_cache_age_s, 600);
  auto last = (*reopened)->lastCommandMs();
  ASSERT_TRUE(last.isOk());
  EXPECT_EQ(*last, std::optional<WallMs>(clock_.wall_ms - 5000));
}

TEST_F(DownlinkTest, SignedPoliciesNeedCentralsKey) {
  const SigningKey central = SigningKey::generate();
  open(VerifyKey::of(central));
  send("policy", policyJson("allow_list", 1, {{"companies", {"123456789012"}}}));
  nlohmann::json signed_policy = policyJson("allow_list", 1, {{"companies", {"123456789012"}}});
  msg::signJson(signed_policy, central);
  send("policy", signed_policy);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[0].type, "downlink.rejected");
  EXPECT_EQ(events_[1].type, "policy.applied");
}

TEST_F(DownlinkTest, OversizedAndUnknownCommandsAreRejected) {
  open(std::nullopt);
  downlink_->onMessage(msg::commandTopic(kPost, "policy"),
                       std::string(msg::kMaxPolicyBytes + 1, ' '));
  downlink_->onMessage(msg::commandTopic(kPost, "speed"), "{}");
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[0].payload["reason"], "payload larger than 4194304 bytes");
  EXPECT_EQ(events_[1].payload["reason"], "unknown command topic");
}

}  // namespace
}  // namespace kordon::sync
