// SPDX-License-Identifier: Apache-2.0
#include "sync/central/central_api.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "edge/msg/event.hpp"
#include "edge/msg/signed_json.hpp"
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

struct Published {
  std::string topic;
  std::string payload;
};

class CentralApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    auto opened = CentralStore::open(dir_.file("central.db"));
    ASSERT_TRUE(opened.isOk()) << opened.status().message();
    store_ = std::move(opened).value();
    api_ = std::make_unique<CentralApi>(
        *store_, [this](const std::string& topic, const std::string& payload) -> Status {
          if (!broker_up_) return Status::error("mqtt: not connected");
          published_.push_back({topic, payload});
          return Status::ok();
        });
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
    return api_->handle(r);
  }

  http::Response post(const std::string& path, const std::string& body) {
    http::Request r;
    r.method = "POST";
    r.path = path;
    r.body = body;
    r.headers["content-type"] = "application/json";
    return api_->handle(r);
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
  std::unique_ptr<CentralStore> store_;
  std::unique_ptr<CentralApi> api_;
  std::vector<Published> published_;
  bool broker_up_ = true;
};

TEST_F(CentralApiTest, AnswersHealth) {
  const auto r = get("/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(body(r), json({{"ok", true}}));
  EXPECT_EQ(post("/healthz", "").status, 405);
}

TEST_F(CentralApiTest, UnknownPathAndWrongMethod) {
  EXPECT_EQ(get("/v1/nothing").status, 404);
  EXPECT_EQ(get("/").status, 404);
  EXPECT_EQ(get("/v1/posts/KZ-A/declarations/x").status, 404);
  const auto r = post("/v1/events", "");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.at("Allow"), "GET");
  EXPECT_EQ(get("/v1/posts/KZ-A/declarations").status, 405);
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
  EXPECT_EQ(json::parse(published_[0].payload), json::parse(kDeclaration));
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
