// SPDX-License-Identifier: Apache-2.0
#include "sync/central/central_store.hpp"

#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "edge/msg/event.hpp"
#include "edge/msg/event_types.hpp"
#include "tests/unit/central/central_test_util.hpp"
#include "tests/unit/central/postgres_server.hpp"

namespace kordon::central {
namespace {

using testing::Journal;
using testing::TempDir;
using testing::wire;

constexpr WallMs kNow = 1795700000000;

// Every case runs against both backends: "sqlite" (a file) and "postgresql" (a real server
// started by the test, tests/unit/central/postgres_server.hpp).
class CentralStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    std::string db = dir_.file("central.db");
    if (GetParam() == "postgresql") {
      auto uri = testing::PostgresServer::instance().createDatabase();
      if (!uri) GTEST_SKIP() << testing::PostgresServer::instance().unavailable();
      db = *uri;
    }
    auto opened = CentralStore::open(db);
    ASSERT_TRUE(opened.isOk()) << opened.status().message();
    store_ = std::move(opened).value();
  }

  IngestOutcome ingest(const std::string& wire_json, IngestDetail* detail = nullptr) {
    auto outcome = store_->ingest(wire_json, kNow, detail);
    EXPECT_TRUE(outcome.isOk()) << outcome.status().message();
    return outcome.isOk() ? *outcome : IngestOutcome::kRejected;
  }

  PostStatus status(const std::string& post) {
    auto all = store_->postStatus();
    EXPECT_TRUE(all.isOk()) << all.status().message();
    if (all.isOk()) {
      for (const auto& p : *all) {
        if (p.post == post) return p;
      }
    }
    ADD_FAILURE() << "no status for " << post;
    return {};
  }

  std::vector<StoredEvent> query(const EventQuery& q) {
    auto events = store_->eventsAfter(q);
    EXPECT_TRUE(events.isOk()) << events.status().message();
    return events.isOk() ? *events : std::vector<StoredEvent>{};
  }

  std::optional<bool> chainOk(const std::string& post, std::int64_t seq) {
    EventQuery q;
    q.post = post;
    q.after = seq - 1;
    q.limit = 1;
    auto events = query(q);
    if (events.empty() || events[0].seq != seq) {
      ADD_FAILURE() << "seq " << seq << " not stored";
      return std::nullopt;
    }
    return events[0].chain_ok;
  }

  TempDir dir_;
  std::unique_ptr<CentralStore> store_;
};

using Gaps = std::vector<std::pair<std::int64_t, std::int64_t>>;

TEST_P(CentralStoreTest, StoresAChainedJournal) {
  Journal j("KZ-A");
  std::vector<msg::Event> events;
  for (int i = 0; i < 3; ++i) events.push_back(j.next());
  for (const auto& e : events) {
    IngestDetail d;
    EXPECT_EQ(ingest(wire(e), &d), IngestOutcome::kStored);
    EXPECT_EQ(d.post, "KZ-A");
    EXPECT_EQ(d.seq, e.seq);
    EXPECT_EQ(d.chain_ok, std::optional<bool>(true));
    EXPECT_TRUE(d.reason.empty()) << d.reason;
  }
  const PostStatus p = status("KZ-A");
  EXPECT_EQ(p.highest_seq, 3);
  EXPECT_EQ(p.contiguous_seq, 3);
  EXPECT_TRUE(p.gaps.empty());
  EXPECT_EQ(p.events, 3);
  EXPECT_EQ(p.chain_breaks, 0);
  EXPECT_EQ(p.last_seen_ms, kNow);

  EventQuery q;
  q.post = "KZ-A";
  auto stored = query(q);
  ASSERT_EQ(stored.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(stored[i].seq, events[i].seq);
    EXPECT_EQ(stored[i].hash, events[i].hash);
    EXPECT_EQ(stored[i].envelope, wire(events[i]));  // kept as received
    EXPECT_EQ(stored[i].chain_ok, std::optional<bool>(true));
    EXPECT_EQ(stored[i].received_ms, kNow);
    EXPECT_EQ(stored[i].time_ms, events[i].time_ms);
  }
}

// A genuine event whose payload breaks its type's contract is stored (the post's journal is
// the record) and counted, with the field named.
TEST_P(CentralStoreTest, StoresAnEventThatBreaksItsContractAndCountsIt) {
  Journal j("KZ-A");
  IngestDetail d;
  const msg::Event weighed =
      j.next("weight.measured", "L1",
             msg::toJson(msg::WeightMeasured{38420, "L1-wb", msg::WeightState::kStable}));
  EXPECT_EQ(ingest(wire(weighed), &d), IngestOutcome::kStored);
  EXPECT_TRUE(d.contract.empty()) << d.contract;
  EXPECT_EQ(store_->contractMismatches(), 0u);
  const msg::Event short_of_keys = j.next("passage.decided", "L1", {{"corridor", "green"}});
  EXPECT_EQ(ingest(wire(short_of_keys), &d), IngestOutcome::kStored);
  EXPECT_EQ(d.contract, "passage.decided.reasons: missing");
  EXPECT_EQ(store_->contractMismatches(), 1u);
  EXPECT_EQ(status("KZ-A").events, 2);
}

TEST_P(CentralStoreTest, KeepsTheEnvelopeBytesAsReceived) {
  Journal j("KZ-A");
  const std::string pretty = msg::toJson(j.next()).dump(2);
  EXPECT_EQ(ingest(pretty), IngestOutcome::kStored);
  auto stored = query(EventQuery{});
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].envelope, pretty);
}

TEST_P(CentralStoreTest, IgnoresAResentDuplicate) {
  Journal j("KZ-A");
  const msg::Event e1 = j.next();
  const msg::Event e2 = j.next();
  EXPECT_EQ(ingest(wire(e1)), IngestOutcome::kStored);
  EXPECT_EQ(ingest(wire(e2)), IngestOutcome::kStored);
  EXPECT_EQ(ingest(wire(e2)), IngestOutcome::kDuplicate);
  EXPECT_EQ(ingest(wire(e1)), IngestOutcome::kDuplicate);
  const PostStatus p = status("KZ-A");
  EXPECT_EQ(p.events, 2);
  EXPECT_EQ(p.duplicates, 2);
  EXPECT_EQ(p.conflicts, 0);
  EXPECT_EQ(query(EventQuery{}).size(), 2u);
}

TEST_P(CentralStoreTest, DetectsAConflictAndKeepsTheFirst) {
  Journal j("KZ-A");
  const msg::Event e1 = j.next();
  msg::Event e2 = j.next();
  EXPECT_EQ(ingest(wire(e1)), IngestOutcome::kStored);
  EXPECT_EQ(ingest(wire(e2)), IngestOutcome::kStored);

  msg::Event forked = e2;  // same post and seq, different content, self-consistent hash
  forked.payload = {{"corridor", "red"}};
  forked.hash = msg::computeEventHash(forked);
  IngestDetail d;
  EXPECT_EQ(ingest(wire(forked), &d), IngestOutcome::kConflict);
  EXPECT_NE(d.reason.find(e2.hash), std::string::npos) << d.reason;

  EventQuery q;
  q.post = "KZ-A";
  q.after = 1;
  auto stored = query(q);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].hash, e2.hash);
  const PostStatus p = status("KZ-A");
  EXPECT_EQ(p.conflicts, 1);
  EXPECT_EQ(p.events, 2);
}

TEST_P(CentralStoreTest, RejectsATamperedPayload) {
  Journal j("KZ-A");
  EXPECT_EQ(ingest(wire(j.next())), IngestOutcome::kStored);
  nlohmann::json tampered = msg::toJson(j.next());
  tampered["payload"]["corridor"] = "green-ish";  // hash left as it was
  IngestDetail d;
  EXPECT_EQ(ingest(tampered.dump(), &d), IngestOutcome::kRejected);
  EXPECT_NE(d.reason.find("hash"), std::string::npos) << d.reason;
  EXPECT_EQ(d.post, "KZ-A");
  EXPECT_EQ(d.seq, 2);
  const PostStatus p = status("KZ-A");
  EXPECT_EQ(p.rejected, 1);
  EXPECT_EQ(p.events, 1);
  EXPECT_EQ(p.highest_seq, 1);
  EXPECT_EQ(query(EventQuery{}).size(), 1u);
}

TEST_P(CentralStoreTest, RejectsMalformedInputWithoutThrowing) {
  Journal j("KZ-A");
  const nlohmann::json good = msg::toJson(j.next());
  std::vector<std::string> bad = {
      "",
      "not json",
      "[]",
      "{}",
      R"({"schema":1})",  // parseEvent's .value() would throw on this
      R"({"schema":"kordon.event/1","post":7})",
      "\xEF\xBB\xBF" + good.dump(),  // byte-order mark
      good.dump() + " trailing",
      std::string(kMaxEnvelopeBytes + 1, ' '),
      std::string(200, '[') + std::string(200, ']'),
  };
  {
    nlohmann::json extra = good;
    extra["unsigned_note"] = "not covered by the hash";
    bad.push_back(extra.dump());
  }
  {
    // Duplicate "payload" key: nlohmann keeps the last; another reader may keep the first.
    std::string dup = good.dump();
    dup.insert(1, R"("payload":{"corridor":"red"},)");
    bad.push_back(dup);
  }
  bad.push_back(wire(Journal("KZ/A").next()));  // self-consistent, but not a usable post id
  for (const auto& b : bad) {
    IngestDetail d;
    EXPECT_EQ(ingest(b, &d), IngestOutcome::kRejected) << b.substr(0, 80);
    EXPECT_FALSE(d.reason.empty());
  }
  EXPECT_TRUE(query(EventQuery{}).empty());
  // The good one still goes in afterwards.
  EXPECT_EQ(ingest(good.dump()), IngestOutcome::kStored);
}

TEST_P(CentralStoreTest, FlagsABrokenChain) {
  Journal j("KZ-A");
  const msg::Event e1 = j.next();
  msg::Event e2 = j.next();
  e2.prev_hash = std::string(64, 'a');  // does not link to e1
  e2.hash = msg::computeEventHash(e2);
  EXPECT_EQ(ingest(wire(e1)), IngestOutcome::kStored);
  IngestDetail d;
  EXPECT_EQ(ingest(wire(e2), &d), IngestOutcome::kStored);
  EXPECT_EQ(d.chain_ok, std::optional<bool>(false));
  EXPECT_FALSE(d.reason.empty());
  EXPECT_EQ(chainOk("KZ-A", 2), std::optional<bool>(false));
  EXPECT_EQ(status("KZ-A").chain_breaks, 1);
}

TEST_P(CentralStoreTest, ChecksTheGenesisLink) {
  Journal j("KZ-A");
  msg::Event e1 = j.next();
  e1.prev_hash = std::string(64, '1');
  e1.hash = msg::computeEventHash(e1);
  EXPECT_EQ(ingest(wire(e1)), IngestOutcome::kStored);
  EXPECT_EQ(chainOk("KZ-A", 1), std::optional<bool>(false));
  EXPECT_EQ(status("KZ-A").chain_breaks, 1);
}

TEST_P(CentralStoreTest, VerifiesAnOutOfOrderArrivalOnceTheGapFills) {
  Journal j("KZ-A");
  const msg::Event e1 = j.next();
  const msg::Event e2 = j.next();
  const msg::Event e3 = j.next();
  EXPECT_EQ(ingest(wire(e1)), IngestOutcome::kStored);
  IngestDetail d3;
  EXPECT_EQ(ingest(wire(e3), &d3), IngestOutcome::kStored);
  EXPECT_EQ(d3.chain_ok, std::nullopt);  // seq 2 not here yet
  EXPECT_EQ(chainOk("KZ-A", 3), std::nullopt);
  PostStatus p = status("KZ-A");
  EXPECT_EQ(p.highest_seq, 3);
  EXPECT_EQ(p.contiguous_seq, 1);
  EXPECT_EQ(p.gaps, (Gaps{{2, 2}}));

  IngestDetail d2;
  EXPECT_EQ(ingest(wire(e2), &d2), IngestOutcome::kStored);
  EXPECT_EQ(d2.chain_ok, std::optional<bool>(true));
  EXPECT_EQ(d2.next_ok, std::optional<bool>(true));
  EXPECT_EQ(chainOk("KZ-A", 2), std::optional<bool>(true));
  EXPECT_EQ(chainOk("KZ-A", 3), std::optional<bool>(true));
  p = status("KZ-A");
  EXPECT_EQ(p.contiguous_seq, 3);
  EXPECT_TRUE(p.gaps.empty());
  EXPECT_EQ(p.chain_breaks, 0);

  // Ordered by seq for a post; by arrival (cursor) across posts.
  EventQuery by_post;
  by_post.post = "KZ-A";
  auto stored = query(by_post);
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[1].seq, 2);
  auto by_cursor = query(EventQuery{});
  ASSERT_EQ(by_cursor.size(), 3u);
  EXPECT_EQ(by_cursor[1].seq, 3);
  EXPECT_LT(by_cursor[1].cursor, by_cursor[2].cursor);
}

TEST_P(CentralStoreTest, FlagsAForgedEventThatDoesNotLinkToItsSuccessor) {
  Journal j("KZ-A");
  const msg::Event e1 = j.next();
  msg::Event e2 = j.next();
  const msg::Event e3 = j.next();
  e2.payload = {{"corridor", "red"}};  // links to e1 but is not what e3 was chained to
  e2.hash = msg::computeEventHash(e2);
  EXPECT_EQ(ingest(wire(e1)), IngestOutcome::kStored);
  EXPECT_EQ(ingest(wire(e3)), IngestOutcome::kStored);
  IngestDetail d;
  EXPECT_EQ(ingest(wire(e2), &d), IngestOutcome::kStored);
  EXPECT_EQ(d.chain_ok, std::optional<bool>(true));
  EXPECT_EQ(d.next_ok, std::optional<bool>(false));
  EXPECT_EQ(chainOk("KZ-A", 3), std::optional<bool>(false));
  EXPECT_EQ(status("KZ-A").chain_breaks, 1);
}

TEST_P(CentralStoreTest, ListsGapsAndTheContiguousPrefix) {
  Journal j("KZ-A");
  std::vector<msg::Event> events;
  for (int i = 0; i < 9; ++i) events.push_back(j.next());
  for (int seq : {1, 2, 5, 6, 9}) EXPECT_EQ(ingest(wire(events[seq - 1])), IngestOutcome::kStored);
  PostStatus p = status("KZ-A");
  EXPECT_EQ(p.highest_seq, 9);
  EXPECT_EQ(p.contiguous_seq, 2);
  EXPECT_EQ(p.gaps, (Gaps{{3, 4}, {7, 8}}));
  EXPECT_FALSE(p.gaps_truncated);

  for (int seq : {3, 4}) EXPECT_EQ(ingest(wire(events[seq - 1])), IngestOutcome::kStored);
  p = status("KZ-A");
  EXPECT_EQ(p.contiguous_seq, 6);
  EXPECT_EQ(p.gaps, (Gaps{{7, 8}}));
}

TEST_P(CentralStoreTest, ListsAGapAtTheStart) {
  Journal j("KZ-B");
  j.next();
  j.next();
  EXPECT_EQ(ingest(wire(j.next())), IngestOutcome::kStored);
  const PostStatus p = status("KZ-B");
  EXPECT_EQ(p.highest_seq, 3);
  EXPECT_EQ(p.contiguous_seq, 0);
  EXPECT_EQ(p.gaps, (Gaps{{1, 2}}));
}

TEST_P(CentralStoreTest, FiltersEvents) {
  Journal a("KZ-A");
  Journal b("KZ-B");
  // KZ-A: 1 arrived/L1, 2 decided/L1, 3 decided/L2, 4 post-wide; KZ-B: 1 decided/L1
  std::vector<msg::Event> ea = {a.next("passage.arrived", "L1"), a.next("passage.decided", "L1"),
                                a.next("passage.decided", "L2"), a.next("post.started", "")};
  const msg::Event eb = b.next("passage.decided", "L1");
  for (const auto& e : ea) EXPECT_EQ(ingest(wire(e)), IngestOutcome::kStored);
  EXPECT_EQ(ingest(wire(eb)), IngestOutcome::kStored);

  auto seqs = [&](const EventQuery& q) {
    std::vector<std::string> out;
    for (const auto& e : query(q)) out.push_back(e.post + "#" + std::to_string(e.seq));
    return out;
  };
  using V = std::vector<std::string>;
  EventQuery q;
  EXPECT_EQ(seqs(q), (V{"KZ-A#1", "KZ-A#2", "KZ-A#3", "KZ-A#4", "KZ-B#1"}));
  q.after = 3;  // central cursor
  EXPECT_EQ(seqs(q), (V{"KZ-A#4", "KZ-B#1"}));

  q = {};
  q.post = "KZ-A";
  q.after = 1;  // that post's seq
  EXPECT_EQ(seqs(q), (V{"KZ-A#2", "KZ-A#3", "KZ-A#4"}));
  q.limit = 2;
  EXPECT_EQ(seqs(q), (V{"KZ-A#2", "KZ-A#3"}));

  q = {};
  q.type = "passage.decided";
  EXPECT_EQ(seqs(q), (V{"KZ-A#2", "KZ-A#3", "KZ-B#1"}));
  q.lane = "L1";
  EXPECT_EQ(seqs(q), (V{"KZ-A#2", "KZ-B#1"}));
  q.post = "KZ-B";
  EXPECT_EQ(seqs(q), (V{"KZ-B#1"}));

  q = {};
  q.lane = "";
  EXPECT_EQ(seqs(q), (V{"KZ-A#4"}));

  q = {};
  q.post = "KZ-A";
  q.from_ms = ea[1].time_ms;  // inclusive
  q.to_ms = ea[3].time_ms;    // exclusive
  EXPECT_EQ(seqs(q), (V{"KZ-A#2", "KZ-A#3"}));

  q = {};
  q.post = "KZ-NONE";
  EXPECT_TRUE(seqs(q).empty());

  q = {};
  q.limit = 0;
  EXPECT_FALSE(store_->eventsAfter(q).isOk());
  q.limit = kMaxQueryLimit + 1;
  EXPECT_FALSE(store_->eventsAfter(q).isOk());
}

TEST_P(CentralStoreTest, ChecksTheTopicAgainstTheEnvelope) {
  Journal a("KZ-A");
  const msg::Event e = a.next();
  IngestDetail d;
  auto outcome = store_->ingestFromTopic("kordon/v1/KZ-B/events", wire(e), kNow, &d);
  ASSERT_TRUE(outcome.isOk());
  EXPECT_EQ(*outcome, IngestOutcome::kRejected);
  EXPECT_EQ(d.post, "KZ-B");  // counted against the sender the broker vouched for
  EXPECT_EQ(status("KZ-B").rejected, 1);

  outcome = store_->ingestFromTopic("kordon/v1/+/events", wire(e), kNow, &d);
  ASSERT_TRUE(outcome.isOk());
  EXPECT_EQ(*outcome, IngestOutcome::kRejected);

  outcome = store_->ingestFromTopic("kordon/v1/KZ-A/events", wire(e), kNow, &d);
  ASSERT_TRUE(outcome.isOk());
  EXPECT_EQ(*outcome, IngestOutcome::kStored);
}

TEST_P(CentralStoreTest, StoresUnverifiedWithoutPostKeys) {
  Journal a("KZ-A", SigningKey::generate());
  ASSERT_EQ(ingest(wire(a.next())), IngestOutcome::kStored);
  auto events = query(EventQuery{});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].sig_status, kSigUnverified);
}

TEST_P(CentralStoreTest, VerifiesSignaturesWithPostKeys) {
  const SigningKey key_a = SigningKey::generate();
  const SigningKey key_b = SigningKey::generate();
  std::ofstream(dir_.file("KZ-A.pub")) << key_a.publicPem();
  std::ofstream(dir_.file("README")) << "not a key";
  auto keys = loadPostKeys(dir_.path());
  ASSERT_TRUE(keys.isOk()) << keys.status().message();
  ASSERT_EQ(keys->size(), 1u);
  store_->setPostKeys(std::move(keys).value());

  Journal a("KZ-A", key_a);
  ASSERT_EQ(ingest(wire(a.next())), IngestOutcome::kStored);
  auto events = query(EventQuery{});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].sig_status, kSigVerified);

  IngestDetail d;
  Journal unsigned_a("KZ-A");
  unsigned_a.next();
  EXPECT_EQ(ingest(wire(unsigned_a.next()), &d), IngestOutcome::kRejected);
  EXPECT_EQ(d.reason, "sig: unsigned event");

  Journal forged_a("KZ-A", key_b);  // another post's key
  forged_a.next();
  EXPECT_EQ(ingest(wire(forged_a.next()), &d), IngestOutcome::kRejected);
  EXPECT_NE(d.reason.find("does not verify"), std::string::npos) << d.reason;

  Journal b("KZ-B", key_b);  // no key registered for KZ-B
  EXPECT_EQ(ingest(wire(b.next()), &d), IngestOutcome::kRejected);
  EXPECT_NE(d.reason.find("no public key"), std::string::npos) << d.reason;

  EXPECT_EQ(status("KZ-A").rejected, 2);
  EXPECT_EQ(status("KZ-A").events, 1);
  EXPECT_EQ(status("KZ-B").rejected, 1);
}

// A post's own event that central can never store (too large) is recorded as unacceptable,
// counted, and no longer a gap; a forged one of the same size stays a rejected gap.
TEST_P(CentralStoreTest, RecordsAGenuineOversizedEventAsUnacceptableNotAsAGap) {
  const SigningKey key_a = SigningKey::generate();
  std::ofstream(dir_.file("KZ-A.pub")) << key_a.publicPem();
  auto keys = loadPostKeys(dir_.path());
  ASSERT_TRUE(keys.isOk());
  store_->setPostKeys(std::move(keys).value());
  Journal a("KZ-A", key_a);
  const msg::Event e1 = a.next();
  const msg::Event big = a.next("plate.read", "L1", {{"raw", std::string(1200 * 1024, 'A')}});
  const msg::Event e3 = a.next();
  ASSERT_GT(wire(big).size(), kMaxEnvelopeBytes);

  ASSERT_EQ(ingest(wire(e1)), IngestOutcome::kStored);
  ASSERT_EQ(ingest(wire(e3)), IngestOutcome::kStored);
  EXPECT_EQ(status("KZ-A").gaps.size(), 1u);

  // The same oversized bytes, signed by another key: not KZ-A's; the gap stays.
  Journal forged("KZ-A", SigningKey::generate());
  forged.next();
  IngestDetail d;
  EXPECT_EQ(
      ingest(wire(forged.next("plate.read", "L1", {{"raw", std::string(1200 * 1024, 'A')}})), &d),
      IngestOutcome::kRejected);
  EXPECT_EQ(status("KZ-A").gaps.size(), 1u);

  ASSERT_EQ(ingest(wire(big), &d), IngestOutcome::kUnacceptable);
  EXPECT_NE(d.reason.find("exceeds the limit"), std::string::npos) << d.reason;
  PostStatus p = status("KZ-A");
  EXPECT_TRUE(p.gaps.empty());
  EXPECT_EQ(p.contiguous_seq, 3);
  EXPECT_EQ(p.unacceptable, 1);
  EXPECT_EQ(p.unacceptable_seqs, std::vector<std::int64_t>({2}));
  EXPECT_EQ(p.events, 2);
  // A re-send (a backfill answer) changes nothing.
  EXPECT_EQ(ingest(wire(big)), IngestOutcome::kUnacceptable);
  EXPECT_EQ(status("KZ-A").unacceptable, 1);
  // Larger than central will even look at: rejected unparsed.
  EXPECT_EQ(ingest(std::string(kMaxInspectBytes + 1, '{')), IngestOutcome::kRejected);
}

TEST_P(CentralStoreTest, KeepsTheAuditTrailInOrder) {
  for (int i = 1; i <= 3; ++i) {
    AuditRecord r;
    r.time_ms = kNow + i;
    r.credential = "keden-" + std::to_string(i);
    r.roles = "declarant";
    r.remote = "10.0.0.1:1";
    r.method = "POST";
    r.path = "/v1/posts/KZ-A/declarations";
    r.post = "KZ-A";
    r.status = i == 2 ? 403 : 202;
    r.body_sha256 = std::string(64, 'a');
    r.detail = "declaration D v" + std::to_string(i);
    ASSERT_TRUE(store_->recordAudit(r));
  }
  auto all = store_->auditAfter(0, 10);
  ASSERT_TRUE(all) << all.status().message();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[1].credential, "keden-2");
  EXPECT_EQ((*all)[1].status, 403);
  EXPECT_EQ((*all)[2].detail, "declaration D v3");
  auto after = store_->auditAfter((*all)[0].id, 10);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->size(), 2u);
}

// central_test runs the cases on SQLite; central_postgres_test (this file built again) on
// PostgreSQL, as one ctest process so that one server serves every case.
#ifndef KORDON_CENTRAL_STORE_BACKEND
#define KORDON_CENTRAL_STORE_BACKEND "sqlite"
#endif
INSTANTIATE_TEST_SUITE_P(Backends, CentralStoreTest,
                         ::testing::Values(std::string(KORDON_CENTRAL_STORE_BACKEND)),
                         [](const auto& backend) { return backend.param; });

TEST(CentralStoreKeys, FailsOnABadKeyFile) {
  TempDir dir;
  std::ofstream(dir.file("KZ-A.pub")) << "-----BEGIN PUBLIC KEY-----\ngarbage\n";
  auto keys = loadPostKeys(dir.path());
  ASSERT_FALSE(keys.isOk());
  EXPECT_NE(keys.status().message().find("KZ-A.pub"), std::string::npos);
  EXPECT_FALSE(loadPostKeys(dir.file("missing")).isOk());
}

TEST(CentralStoreTopic, ExtractsThePost) {
  EXPECT_EQ(postFromEventsTopic("kordon/v1/KZ-KHORGOS/events"),
            std::optional<std::string>("KZ-KHORGOS"));
  EXPECT_EQ(postFromEventsTopic("kordon/v1//events"), std::nullopt);
  EXPECT_EQ(postFromEventsTopic("kordon/v1/a/b/events"), std::nullopt);
  EXPECT_EQ(postFromEventsTopic("kordon/v1/KZ-A/status"), std::nullopt);
  EXPECT_EQ(postFromEventsTopic("kordon/v2/KZ-A/events"), std::nullopt);
}

// ---- Opening, versions, read-only -------------------------------------------------------------

Status execRaw(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open(path.c_str(), &db);
  if (rc == SQLITE_OK) rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  const std::string message = rc == SQLITE_OK ? "" : sqlite3_errmsg(db);
  sqlite3_close(db);
  return rc == SQLITE_OK ? Status::ok() : Status::error(message);
}

TEST(CentralStoreOpen, SurvivesAReopenAndStillDeduplicates) {
  TempDir dir;
  const std::string path = dir.file("central.db");
  Journal j("KZ-A");
  const msg::Event e1 = j.next();
  {
    auto store = CentralStore::open(path);
    ASSERT_TRUE(store.isOk()) << store.status().message();
    ASSERT_EQ(*(*store)->ingest(wire(e1), kNow), IngestOutcome::kStored);
  }
  auto store = CentralStore::open(path);
  ASSERT_TRUE(store.isOk()) << store.status().message();
  auto again = (*store)->ingest(wire(e1), kNow);
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ(*again, IngestOutcome::kDuplicate);
}

TEST(CentralStoreOpen, RefusesANewerSchemaVersion) {
  TempDir dir;
  const std::string path = dir.file("central.db");
  {
    auto store = CentralStore::open(path);
    ASSERT_TRUE(store.isOk()) << store.status().message();
  }
  ASSERT_TRUE(execRaw(path, "UPDATE schema_version SET version = 7").isOk());
  auto store = CentralStore::open(path);
  ASSERT_FALSE(store.isOk());
  EXPECT_NE(store.status().message().find("schema version 7 is newer"), std::string::npos)
      << store.status().message();
  auto ro = CentralStore::openReadOnly(path);
  ASSERT_FALSE(ro.isOk());
  EXPECT_NE(ro.status().message().find("newer"), std::string::npos) << ro.status().message();
}

TEST(CentralStoreOpen, RefusesSomeoneElsesDatabase) {
  TempDir dir;
  const std::string path = dir.file("other.db");
  ASSERT_TRUE(execRaw(path,
                      "CREATE TABLE schema_version(version INTEGER); "
                      "INSERT INTO schema_version VALUES(1);")
                  .isOk());
  auto store = CentralStore::open(path);
  ASSERT_FALSE(store.isOk());
  EXPECT_NE(store.status().message().find("not a kordon-central database"), std::string::npos)
      << store.status().message();
}

TEST(CentralStoreOpen, ReadOnlyQueriesButNeverWrites) {
  TempDir dir;
  const std::string path = dir.file("central.db");
  Journal j("KZ-A");
  const msg::Event e1 = j.next();
  auto writer = CentralStore::open(path);
  ASSERT_TRUE(writer.isOk()) << writer.status().message();
  ASSERT_EQ(*(*writer)->ingest(wire(e1), kNow), IngestOutcome::kStored);

  auto reader = CentralStore::openReadOnly(path);  // while the writer is open, as with the CLI
  ASSERT_TRUE(reader.isOk()) << reader.status().message();
  auto events = (*reader)->eventsAfter(EventQuery{});
  ASSERT_TRUE(events.isOk()) << events.status().message();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].hash, e1.hash);
  EXPECT_FALSE((*reader)->ingest(wire(j.next()), kNow).isOk());

  auto missing = CentralStore::openReadOnly(dir.file("missing.db"));
  ASSERT_FALSE(missing.isOk());
  EXPECT_NE(missing.status().message().find("no such database file"), std::string::npos)
      << missing.status().message();
}

}  // namespace
}  // namespace kordon::central
