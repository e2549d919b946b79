// SPDX-License-Identifier: Apache-2.0
#include "sync/central/central_api.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "edge/base/crypto.hpp"
#include "edge/msg/event.hpp"
#include "edge/msg/signed_json.hpp"
#include "sync/central/api_access.hpp"
#include "sync/central/central_store.hpp"
#include "tests/unit/central/central_test_util.hpp"

namespace kordon::central {
namespace {

using nlohmann::json;
using testing::Journal;
using testing::TempDir;
using testing::wire;

constexpr WallMs kNow = 1795700000000;

constexpr const char* kDeclaration = R"({"schema":"kordon.declaration/1","action":"upsert",
  "id":"KZ-TD-0001","version":3,"procedure":"TIR","tractor_plate":"123 ABC 02",
  "trailer_plates":["45 AB 02"],"gross_mass_kg":38420,
  "goods":[{"hs":"870323","mass_kg":36000,"description":"cars, \"new\""}],
  "risk":{"corridor":"green","controls":[]},"aeo":false,"expires_at":"2026-12-01T00:00:00Z"})";

constexpr const char* kRuleset = R"({"schema":"kordon.policy/1","kind":"ruleset","version":2,
  "issued":"2026-11-21T09:00:00Z","body":{"weight_tolerance_pct":3.0}})";

struct Published {
  std::string topic;
  std::string payload;
};

class FixedClock final : public Clock {
 public:
  WallMs nowWallMs() const override { return now_ms; }
  std::chrono::steady_clock::time_point nowSteady() const override { return {}; }
  WallMs now_ms = kNow;
};

class CentralApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    auto opened = CentralStore::open(dir_.file("central.db"));
    ASSERT_TRUE(opened.isOk()) << opened.status().message();
    store_ = std::move(opened).value();
    api_ = std::make_unique<CentralApi>(
        *store_,
        [this](const std::string& topic, const std::string& payload) -> Status {
          if (!broker_up_) return Status::error("mqtt: not connected");
          published_.push_back({topic, payload});
          return Status::ok();
        },
        clock_);
    admin_ = addToken("ops", {Role::kAdmin}, {"*"});
    token_ = admin_;
  }

  // Makes a token and puts the set in force; returns its text.
  std::string addToken(const std::string& name, const std::set<Role>& roles,
                       const std::vector<std::string>& posts,
                       std::optional<WallMs> expires = std::nullopt) {
    auto made = tokens_.add(name, roles, posts, kNow - 1000, expires);
    EXPECT_TRUE(made) << made.status().message();
    api_->setTokens(tokens_);
    return made ? *made : "";
  }

  void ingest(const msg::Event& e) {
    auto outcome = store_->ingest(wire(e), kNow);
    ASSERT_TRUE(outcome.isOk()) << outcome.status().message();
    ASSERT_EQ(*outcome, IngestOutcome::kStored);
  }

  http::Response get(const std::string& path, std::map<std::string, std::string> query = {}) {
    http::Request r;
    r.method = "GET";
    r.path = path;
    r.query = std::move(query);
    if (!token_.empty()) r.headers["authorization"] = "Bearer " + token_;
    return api_->handle(r);
  }

  http::Response post(const std::string& path, const std::string& body) {
    http::Request r;
    r.method = "POST";
    r.path = path;
    r.body = body;
    r.remote = "10.0.0.7:40000";
    r.headers["content-type"] = "application/json";
    if (!token_.empty()) r.headers["authorization"] = "Bearer " + token_;
    return api_->handle(r);
  }

  json auditTrail() {
    const std::string saved = token_;
    token_ = admin_;
    const json trail = body(get("/v1/audit"))["audit"];
    token_ = saved;
    return trail;
  }

  static json body(const http::Response& r) {
    json j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }

  // A 400 with a one-line {"error":...} naming `field`.
  static void expectBadRequest(const http::Response& r, const std::string& field) {
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.body.find('\n'), std::string::npos);
    const json j = body(r);
    ASSERT_TRUE(j.contains("error")) << r.body;
    EXPECT_EQ(j["error"].get<std::string>().rfind(field, 0), 0u) << r.body;
  }

  TempDir dir_;
  FixedClock clock_;
  std::unique_ptr<CentralStore> store_;
  std::unique_ptr<CentralApi> api_;
  ApiTokens tokens_;
  std::string admin_;
  std::string token_;  // sent with every request; "" = none
  std::vector<Published> published_;
  bool broker_up_ = true;
};

TEST_F(CentralApiTest, AnswersHealthWithoutAToken) {
  token_.clear();
  const auto r = get("/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(body(r)["ok"], true);
  EXPECT_EQ(post("/healthz", "").status, 405);
}

TEST_F(CentralApiTest, EverythingElseNeedsAValidToken) {
  Journal a("KZ-A");
  ingest(a.next());
  for (const std::string& bad : {std::string(), std::string("kct_") + std::string(64, '0'),
                                 std::string("not even a token")}) {
    token_ = bad;
    for (const auto& r : {get("/v1/events"), get("/v1/posts"), get("/v1/audit"),
                          post("/v1/posts/KZ-A/declarations", kDeclaration)}) {
      EXPECT_EQ(r.status, 401) << r.body;
      EXPECT_EQ(r.headers.at("WWW-Authenticate"), "Bearer realm=\"kordon-central\"");
      EXPECT_EQ(body(r)["error"].get<std::string>().rfind("unauthorized: ", 0), 0u) << r.body;
    }
  }
  token_ = "kct_x";
  EXPECT_EQ(body(get("/v1/events"))["error"], "unauthorized: unknown token");
  EXPECT_TRUE(published_.empty());
  // The refused writes are on the record, with no credential.
  const json trail = auditTrail();
  ASSERT_EQ(trail.size(), 3u);
  EXPECT_EQ(trail[0]["credential"], "");
  EXPECT_EQ(trail[0]["status"], 401);
  EXPECT_EQ(trail[0]["post"], "KZ-A");
  EXPECT_EQ(trail[0]["remote"], "10.0.0.7:40000");
}

TEST_F(CentralApiTest, ExpiredAndRevokedTokensAreRefused) {
  token_ = addToken("old", {Role::kViewer}, {"*"}, kNow + 60'000);
  EXPECT_EQ(get("/v1/posts").status, 200);
  clock_.now_ms = kNow + 60'000;
  auto r = get("/v1/posts");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(body(r)["error"],
            "unauthorized: token \"old\" expired at " + formatUtcMs(kNow + 60'000));
  token_ = addToken("gone", {Role::kViewer}, {"*"});
  EXPECT_EQ(get("/v1/posts").status, 200);
  ASSERT_TRUE(tokens_.revoke("gone", clock_.now_ms));
  api_->setTokens(tokens_);
  r = get("/v1/posts");
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(body(r)["error"].get<std::string>().find("revoked"), std::string::npos);
}

TEST_F(CentralApiTest, RolesAndPostGrantsDecideWhatATokenMayDo) {
  Journal a("KZ-A");
  Journal b("KZ-B");
  ingest(a.next());
  ingest(b.next());
  const std::string viewer_a = addToken("viewer-a", {Role::kViewer}, {"KZ-A"});
  const std::string declarant_a = addToken("keden-a", {Role::kDeclarant}, {"KZ-A"});
  const std::string risk = addToken("risk-unit", {Role::kRisk}, {"*"});

  token_ = viewer_a;
  EXPECT_EQ(get("/v1/events", {{"post", "KZ-A"}}).status, 200);
  EXPECT_EQ(get("/v1/events", {{"post", "KZ-B"}}).status, 403);
  auto all = get("/v1/events");
  EXPECT_EQ(all.status, 403) << "a token of some posts must name one";
  EXPECT_EQ(body(all)["error"],
            "forbidden: post= is required; token \"viewer-a\" may read only KZ-A");
  const json posts = body(get("/v1/posts"))["posts"];
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0]["post"], "KZ-A");
  EXPECT_EQ(post("/v1/posts/KZ-A/declarations", kDeclaration).status, 403);
  EXPECT_EQ(get("/v1/audit").status, 403);

  token_ = declarant_a;
  EXPECT_EQ(post("/v1/posts/KZ-A/declarations", kDeclaration).status, 202);
  const auto other = post("/v1/posts/KZ-B/declarations", kDeclaration);
  EXPECT_EQ(other.status, 403);
  EXPECT_EQ(body(other)["error"], "forbidden: token \"keden-a\" is not granted post KZ-B");
  EXPECT_EQ(post("/v1/posts/KZ-A/policies", kRuleset).status, 403) << "no risk role";
  EXPECT_EQ(get("/v1/events", {{"post", "KZ-A"}}).status, 403) << "no viewer role";

  token_ = risk;
  EXPECT_EQ(post("/v1/posts/KZ-B/policies", kRuleset).status, 202);
  EXPECT_EQ(post("/v1/posts/KZ-B/declarations", kDeclaration).status, 403);

  ASSERT_EQ(published_.size(), 2u);
  EXPECT_EQ(published_[0].topic, "kordon/v1/KZ-A/cmd/declarations");
  EXPECT_EQ(published_[1].topic, "kordon/v1/KZ-B/cmd/policy");
  const json policy = json::parse(published_[1].payload);
  EXPECT_EQ(policy["issued_by"], json({{"credential", "risk-unit"}, {"role", "risk"}}));

  // Every write and every refused attempt, in order, with who and what.
  const json trail = auditTrail();
  ASSERT_EQ(trail.size(), 6u) << trail.dump();
  EXPECT_EQ(trail[0]["credential"], "viewer-a");
  EXPECT_EQ(trail[0]["status"], 403);
  EXPECT_EQ(trail[1]["credential"], "keden-a");
  EXPECT_EQ(trail[1]["roles"], "declarant");
  EXPECT_EQ(trail[1]["status"], 202);
  EXPECT_EQ(trail[1]["detail"], "declaration KZ-TD-0001 v3");
  EXPECT_EQ(trail[1]["body_sha256"], sha256Hex(kDeclaration));
  EXPECT_EQ(trail[2]["post"], "KZ-B");
  EXPECT_EQ(trail[2]["status"], 403);
  EXPECT_EQ(trail[4]["detail"], "policy ruleset v2");
  EXPECT_EQ(trail[4]["status"], 202);
}

TEST_F(CentralApiTest, APageOfEventsStopsBeforeItGrowsPastTheResponseBound) {
  Journal a("KZ-A");
  const std::string filler(900 * 1024, 'x');
  for (int i = 0; i < 12; ++i) ingest(a.next("passage.decided", "L1", {{"note", filler}}));
  const auto r = get("/v1/events", {{"post", "KZ-A"}, {"limit", "1000"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_LE(r.body.size(), kMaxResponseBytes + 64 * 1024);
  const json j = body(r);
  ASSERT_GE(j["events"].size(), 1u);
  EXPECT_LT(j["events"].size(), 12u);
  EXPECT_EQ(j["next"], j["events"].size()) << "the cursor says where the page ended";
}

TEST_F(CentralApiTest, UnknownPathAndWrongMethod) {
  EXPECT_EQ(get("/v1/nothing").status, 404);
  EXPECT_EQ(get("/").status, 404);
  EXPECT_EQ(get("/v1/posts/KZ-A/declarations/x").status, 404);
  const auto r = post("/v1/events", "");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.at("Allow"), "GET");
  EXPECT_EQ(get("/v1/posts/KZ-A/declarations").status, 405);
  EXPECT_EQ(get("/v1/posts/KZ-A/policies").status, 405);
  EXPECT_EQ(post("/v1/posts", "{}").status, 405);
}

TEST_F(CentralApiTest, ServesEventsAsReceivedWithANextCursor) {
  Journal a("KZ-A");
  Journal b("KZ-B");
  std::vector<msg::Event> events = {a.next(), b.next(), a.next("passage.arrived", "L2")};
  for (const auto& e : events) ingest(e);

  auto r = get("/v1/events");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  json j = body(r);
  ASSERT_EQ(j["events"].size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(j["events"][i], msg::toJson(events[i]));
  EXPECT_EQ(j["next"], 3);

  r = get("/v1/events", {{"after", "1"}, {"limit", "1"}});
  j = body(r);
  ASSERT_EQ(j["events"].size(), 1u);
  EXPECT_EQ(j["events"][0]["post"], "KZ-B");
  EXPECT_EQ(j["next"], 2);

  r = get("/v1/events", {{"post", "KZ-A"}, {"after", "1"}});
  j = body(r);
  ASSERT_EQ(j["events"].size(), 1u);
  EXPECT_EQ(j["events"][0]["seq"], 2);
  EXPECT_EQ(j["next"], 2);  // a seq when the post is given

  r = get("/v1/events", {{"post", "KZ-A"}, {"after", "2"}});
  j = body(r);
  EXPECT_TRUE(j["events"].empty());
  EXPECT_EQ(j["next"], 2);  // unchanged when there is nothing new

  r = get("/v1/events", {{"type", "passage.arrived"}, {"lane", "L2"}});
  j = body(r);
  ASSERT_EQ(j["events"].size(), 1u);
  EXPECT_EQ(j["events"][0]["lane"], "L2");

  const std::string from = formatUtcMs(events[2].time_ms);  // KZ-A#2
  r = get("/v1/events", {{"post", "KZ-A"}, {"from", from}});
  j = body(r);
  ASSERT_EQ(j["events"].size(), 1u);
  EXPECT_EQ(j["events"][0]["seq"], 2);
  r = get("/v1/events", {{"post", "KZ-A"}, {"to", from}});
  j = body(r);
  ASSERT_EQ(j["events"].size(), 1u);
  EXPECT_EQ(j["events"][0]["seq"], 1);
}

TEST_F(CentralApiTest, RejectsBadParameters) {
  expectBadRequest(get("/v1/events", {{"after", "-1"}}), "after:");
  expectBadRequest(get("/v1/events", {{"after", "abc"}}), "after:");
  expectBadRequest(get("/v1/events", {{"after", "99999999999999999999"}}), "after:");
  expectBadRequest(get("/v1/events", {{"limit", "0"}}), "limit:");
  expectBadRequest(get("/v1/events", {{"limit", "1001"}}), "limit:");
  expectBadRequest(get("/v1/events", {{"limit", ""}}), "limit:");
  expectBadRequest(get("/v1/events", {{"from", "yesterday"}}), "from:");
  expectBadRequest(get("/v1/events", {{"to", "2026-13-01T00:00:00Z"}}), "to:");
  expectBadRequest(get("/v1/events", {{"format", "xml"}}), "format:");
  expectBadRequest(get("/v1/events", {{"post", "KZ/A"}}), "post:");
  expectBadRequest(get("/v1/events", {{"type", ""}}), "type:");
  expectBadRequest(get("/v1/events", {{"aftr", "1"}}), "unknown parameter");
  EXPECT_EQ(get("/v1/events", {{"after", "0"}, {"limit", "1000"}, {"format", "json"}}).status, 200);
}

TEST_F(CentralApiTest, ServesCsv) {
  Journal a("KZ-A");
  const msg::Event e1 = a.next("passage.decided", "L1",
                               {{"corridor", "yellow"}, {"note", "line1\nline2, \"quoted\""}});
  ingest(e1);
  const auto r = get("/v1/events", {{"format", "csv"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "text/csv; charset=utf-8");
  EXPECT_EQ(r.headers.at("X-Kordon-Next"), "1");
  const std::string payload = e1.payload.dump();
  std::string quoted = "\"";
  for (char c : payload) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  quoted += "\"";
  const std::string expected =
      "post,seq,id,type,time,lane,passage,hash,chain_ok,sig,payload\r\n"
      "KZ-A,1," +
      e1.id + ",passage.decided," + formatUtcMs(e1.time_ms) + ",L1,p1," + e1.hash +
      ",true,unverified," + quoted + "\r\n";
  EXPECT_EQ(r.body, expected);
}

TEST(CentralCsv, QuotesPerRfc4180) {
  EXPECT_EQ(csvField("plain"), "plain");
  EXPECT_EQ(csvField(""), "");
  EXPECT_EQ(csvField("a,b"), "\"a,b\"");
  EXPECT_EQ(csvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csvField("cr\r"), "\"cr\r\"");
}

TEST_F(CentralApiTest, ReportsPostsWithGaps) {
  Journal a("KZ-A");
  std::vector<msg::Event> events;
  for (int i = 0; i < 5; ++i) events.push_back(a.next());
  ingest(events[0]);
  ingest(events[1]);
  ingest(events[4]);
  ASSERT_EQ(*store_->ingest(wire(events[1]), kNow), IngestOutcome::kDuplicate);

  const auto r = get("/v1/posts");
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = body(r);
  ASSERT_EQ(j["posts"].size(), 1u);
  const json& p = j["posts"][0];
  EXPECT_EQ(p["post"], "KZ-A");
  EXPECT_EQ(p["highest_seq"], 5);
  EXPECT_EQ(p["contiguous_seq"], 2);
  EXPECT_EQ(p["gaps"], json::parse("[[3,4]]"));
  EXPECT_EQ(p["events"], 3);
  EXPECT_EQ(p["duplicates"], 1);
  EXPECT_EQ(p["rejected"], 0);
  EXPECT_EQ(p["chain_breaks"], 0);
  EXPECT_EQ(p["last_seen"], formatUtcMs(kNow));
}

TEST_F(CentralApiTest, PublishesAValidDeclaration) {
  const auto r = post("/v1/posts/KZ-KHORGOS/declarations", kDeclaration);
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(body(r), json({{"ok", true}, {"topic", "kordon/v1/KZ-KHORGOS/cmd/declarations"}}));
  ASSERT_EQ(published_.size(), 1u);
  EXPECT_EQ(published_[0].topic, "kordon/v1/KZ-KHORGOS/cmd/declarations");
  json sent = json::parse(published_[0].payload);
  EXPECT_EQ(sent["issued_by"], json({{"credential", "ops"}, {"role", "declarant"}}));
  EXPECT_EQ(sent["issued_at"], formatUtcMs(kNow));
  sent.erase("issued_by");
  sent.erase("issued_at");
  EXPECT_EQ(sent, json::parse(kDeclaration));
}

TEST_F(CentralApiTest, SignsADeclarationWhenItHasAKey) {
  const SigningKey key = SigningKey::generate();
  api_->setSigningKey(key);
  const auto r = post("/v1/posts/KZ-KHORGOS/declarations", kDeclaration);
  ASSERT_EQ(r.status, 202) << r.body;
  ASSERT_EQ(published_.size(), 1u);
  json sent = json::parse(published_[0].payload);
  EXPECT_TRUE(msg::verifyJson(sent, VerifyKey::of(key)));
  sent.erase("sig");
  sent.erase("issued_by");
  sent.erase("issued_at");
  EXPECT_EQ(sent, json::parse(kDeclaration));
}

TEST_F(CentralApiTest, RefusesAnInvalidDeclaration) {
  json missing_plate = json::parse(kDeclaration);
  missing_plate.erase("tractor_plate");
  expectBadRequest(post("/v1/posts/KZ-A/declarations", missing_plate.dump()), "tractor_plate");
  expectBadRequest(post("/v1/posts/KZ-A/declarations", "{not json"), "body:");
  expectBadRequest(post("/v1/posts/KZ-A/declarations", R"({"schema":5})"), "schema:");
  json bad_corridor = json::parse(kDeclaration);
  bad_corridor["risk"]["corridor"] = 3;  // a wrong type is an error, never an exception
  EXPECT_EQ(post("/v1/posts/KZ-A/declarations", bad_corridor.dump()).status, 400);
  expectBadRequest(post("/v1/posts/KZ+A/declarations", kDeclaration), "post:");
  json huge_version = json::parse(kDeclaration);
  huge_version["version"] = std::int64_t{1} << 62;
  expectBadRequest(post("/v1/posts/KZ-A/declarations", huge_version.dump()), "version:");
  EXPECT_TRUE(published_.empty());
}

TEST_F(CentralApiTest, AnswersServiceUnavailableWithoutABroker) {
  broker_up_ = false;
  const auto r = post("/v1/posts/KZ-A/declarations", kDeclaration);
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_TRUE(body(r).contains("error"));
}

}  // namespace
}  // namespace kordon::central
