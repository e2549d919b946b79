// SPDX-License-Identifier: Apache-2.0
#include "sync/central/backfill.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "edge/msg/signed_json.hpp"
#include "edge/msg/topics.hpp"

namespace kordon::central {
namespace {

using nlohmann::json;
using Plan = std::vector<SeqRange>;

PostStatus stored(std::int64_t highest, std::vector<std::pair<std::int64_t, std::int64_t>> gaps) {
  PostStatus p;
  p.post = "KZ-A";
  p.highest_seq = highest;
  p.gaps = std::move(gaps);
  return p;
}

TEST(PlanBackfill, NothingMissingNothingAsked) {
  EXPECT_EQ(planBackfill(stored(10, {}), std::nullopt, 5000), Plan{});
  EXPECT_EQ(planBackfill(stored(10, {}), 10, 5000), Plan{});
  EXPECT_EQ(planBackfill(stored(10, {}), 7, 5000), Plan{});  // a stale status
}

TEST(PlanBackfill, AsksForGapsThenTheTail) {
  EXPECT_EQ(planBackfill(stored(10, {{2, 3}, {7, 7}}), 15, 5000), (Plan{{2, 3}, {7, 7}, {11, 15}}));
  EXPECT_EQ(missingSeqs(stored(10, {{2, 3}, {7, 7}}), 15), 8);
}

TEST(PlanBackfill, AsksForEverythingWhenNothingIsStored) {
  EXPECT_EQ(planBackfill(stored(0, {}), 3, 5000), (Plan{{1, 3}}));
}

TEST(PlanBackfill, BoundsARoundToMaxSeqsLowestFirst) {
  EXPECT_EQ(planBackfill(stored(100000, {{10, 19}}), 200000, 15),
            (Plan{{10, 19}, {100001, 100005}}));
  EXPECT_EQ(planBackfill(stored(0, {}), 1000000, 5000), (Plan{{1, 5000}}));
  EXPECT_EQ(missingSeqs(stored(0, {}), 1000000), 1000000);
}

TEST(BackfillRequest, IsTheContractsJsonAndSignedWithAKey) {
  EXPECT_EQ(json::parse(backfillRequestJson({5, 9}, nullptr)),
            (json{{"schema", msg::kBackfillSchema}, {"from", 5}, {"to", 9}}));
  const SigningKey key = SigningKey::generate();
  const json signed_request = json::parse(backfillRequestJson({5, 9}, &key));
  EXPECT_TRUE(msg::verifyJson(signed_request, VerifyKey::of(key)));
}

TEST(PostStatusMessage, ParsesLastSeq) {
  auto a = parsePostStatusMessage(
      "kordon/v1/KZ-A/status",
      R"({"post":"KZ-A","state":"online","version":"1","time":"t","last_seq":42})");
  ASSERT_TRUE(a.isOk()) << a.status().message();
  EXPECT_EQ(a->post, "KZ-A");
  EXPECT_EQ(a->last_seq, 42);
  auto will = parsePostStatusMessage("kordon/v1/KZ-A/status", R"({"state":"offline"})");
  ASSERT_TRUE(will.isOk());
  EXPECT_FALSE(will->last_seq);
}

TEST(PostStatusMessage, RefusesWhatItCannotTrust) {
  for (const auto& [topic, payload] : std::vector<std::pair<std::string, std::string>>{
           {"kordon/v1/KZ-A/events", R"({"last_seq":1})"},
           {"kordon/v1/KZ+A/status", R"({"last_seq":1})"},
           {"kordon/v1/KZ-A/status", "not json"},
           {"kordon/v1/KZ-A/status", "[1]"},
           {"kordon/v1/KZ-A/status", R"({"post":"KZ-B","last_seq":1})"},
           {"kordon/v1/KZ-A/status", R"({"last_seq":-1})"},
           {"kordon/v1/KZ-A/status", R"({"last_seq":"7"})"},
           {"kordon/v1/KZ-A/status", R"({"last_seq":1.5})"},
       }) {
    EXPECT_FALSE(parsePostStatusMessage(topic, payload).isOk()) << topic << " " << payload;
  }
}

TEST(BackfillScheduler, WaitsRetriesWithBackoffAndStopsWhenFilled) {
  BackfillScheduler scheduler(/*retry_ms=*/10000, /*max_seqs=*/5000);
  scheduler.announce({"KZ-A", 20});
  const std::vector<PostStatus> with_gap = {stored(10, {{4, 5}})};
  // First seen: events may be in flight, so nothing yet.
  EXPECT_TRUE(scheduler.due(with_gap, 0).empty());
  EXPECT_TRUE(scheduler.due(with_gap, 9999).empty());
  auto first = scheduler.due(with_gap, 10000);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].post, "KZ-A");
  EXPECT_EQ(first[0].range, (SeqRange{4, 5}));
  EXPECT_EQ(first[1].range, (SeqRange{11, 20}));
  // Still missing: again after 10 s, then 20 s.
  EXPECT_TRUE(scheduler.due(with_gap, 19999).empty());
  EXPECT_EQ(scheduler.due(with_gap, 20000).size(), 2u);
  EXPECT_TRUE(scheduler.due(with_gap, 39999).empty());
  EXPECT_EQ(scheduler.due(with_gap, 40000).size(), 2u);
  const BackfillCounters& c = scheduler.counters().at("KZ-A");
  EXPECT_EQ(c.requests, 6);
  EXPECT_EQ(c.requested_seqs, 36);
  EXPECT_EQ(c.missing, 12);
  // Filled: nothing more, and the counters say so.
  EXPECT_TRUE(scheduler.due({stored(20, {})}, 100000).empty());
  EXPECT_EQ(scheduler.counters().at("KZ-A").missing, 0);
}

TEST(BackfillScheduler, AsksAPostItKnowsOnlyFromItsStatus) {
  BackfillScheduler scheduler(1000, 5000);
  scheduler.announce({"KZ-NEW", 3});
  EXPECT_TRUE(scheduler.due({}, 0).empty());
  auto due = scheduler.due({}, 1000);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].post, "KZ-NEW");
  EXPECT_EQ(due[0].range, (SeqRange{1, 3}));
}

}  // namespace
}  // namespace kordon::central
