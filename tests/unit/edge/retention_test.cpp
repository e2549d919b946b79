// SPDX-License-Identifier: Apache-2.0
// Bounded disk on real SQLite files with small bounds: retention deletes only delivered rows,
// keeps the chain head and undelivered evidence, alarms once per crossing, and a pruned seq
// range is answerable as such.
#include "edge/store/retention.hpp"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "tests/unit/edge/test_support.hpp"

namespace kordon::store {
namespace {

using testing::FakeClock;
using testing::TempDir;

constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;

class RetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Store::open(dir_.file("k.db"), "KZ-TEST", clock_);
    ASSERT_TRUE(s.isOk()) << s.status().message();
    store_ = std::move(*s);
    std::filesystem::create_directories(dir_.path() / "evidence");
  }

  // The file system's free space plays no part here (min and warn free are 0): only max_bytes.
  void makeRetention(StorageConfig config) {
    config.min_free_bytes = 0;
    config.warn_free_bytes = 0;
    gauge_ = std::make_unique<StorageGauge>(dir_.path().string(), config.limits());
    if (listening_to_ != store_.get()) {
      listening_to_ = store_.get();
      store_->onCommitted([this](const std::vector<msg::Event>& events) {
        for (const auto& e : events) {
          if (e.type.rfind("storage.", 0) == 0) {
            alarms_.push_back(e.type + ":" + e.payload.value("level", ""));
          }
        }
      });
    }
    retention_ = std::make_unique<Retention>(
        *store_, clock_, config, *gauge_,
        [this](const EvidenceRow& r) { return evidencePath(r.sha256); });
  }

  std::string evidencePath(const std::string& sha) const {
    return (dir_.path() / "evidence" / (sha + ".jpg")).string();
  }

  // `n` events of about `bytes` each; with `evidence`, each references a file of that size.
  void emit(int n, std::size_t bytes = 100, bool evidence = false) {
    for (int i = 0; i < n; ++i) {
      const std::string sha = "sha" + std::to_string(store_->lastSeq() + 1);
      auto events = store_->transact([&](Transaction& tx) -> Status {
        if (evidence) {
          std::ofstream(evidencePath(sha)) << std::string(bytes, 'x');
          if (Status s = tx.recordEvidence({sha, "image/jpeg", "plate", bytes}, clock_.nowWallMs());
              !s) {
            return s;
          }
        }
        return tx.emit({"test.event",
                        "L1",
                        "",
                        {{"blob", std::string(evidence ? 10 : bytes, 'y')},
                         {"evidence", evidence ? sha : ""}}});
      });
      ASSERT_TRUE(events.isOk()) << events.status().message();
    }
  }

  void deliver(std::int64_t from, std::int64_t to) {
    std::vector<std::int64_t> seqs;
    for (std::int64_t s = from; s <= to; ++s) seqs.push_back(s);
    ASSERT_TRUE(store_->markDelivered(seqs, clock_.nowWallMs()));
  }

  JournalRange range() {
    auto r = store_->journalRange(1, store_->lastSeq(), 100000);
    EXPECT_TRUE(r.isOk()) << r.status().message();
    return r.isOk() ? *r : JournalRange{};
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<StorageGauge> gauge_;
  std::unique_ptr<Retention> retention_;
  std::vector<std::string> alarms_;
  Store* listening_to_ = nullptr;  // the store whose commit feed fills alarms_
};

TEST_F(RetentionTest, NewDatabasesUseIncrementalAutoVacuum) {
  auto db = Database::open(dir_.file("k.db"), Durability::kNormal, true);
  ASSERT_TRUE(db.isOk());
  EXPECT_EQ(*(*db)->queryInt("PRAGMA auto_vacuum"), 2);  // INCREMENTAL
}

TEST_F(RetentionTest, ByAgeDeletesOnlyADeliveredPrefixAndNeverTheHead) {
  emit(10);
  deliver(1, 3);
  deliver(5, 10);  // 4 is still undelivered: it and everything after it stay
  clock_.advance(std::chrono::milliseconds(31 * kDayMs));
  makeRetention({});
  retention_->run();
  JournalRange r = range();
  EXPECT_EQ(r.lowest_held, 4);
  EXPECT_EQ(r.highest_held, 10);
  ASSERT_EQ(r.entries.size(), 7u);
  EXPECT_EQ(r.entries.front().seq, 4);
  EXPECT_EQ(*store_->undeliveredCount(), 1);

  deliver(4, 4);
  retention_->run();
  r = range();
  EXPECT_EQ(r.lowest_held, 10);  // the chain head stays, delivered or not
  ASSERT_EQ(r.entries.size(), 1u);
  EXPECT_EQ(retention_->statusJson()["events_pruned"], 9);

  // The journal goes on from the head, chained as before.
  emit(1);
  auto newest = msg::parseEvent(nlohmann::json::parse(range().entries.back().envelope));
  auto head = msg::parseEvent(nlohmann::json::parse(r.entries.back().envelope));
  ASSERT_TRUE(newest.isOk() && head.isOk());
  EXPECT_EQ(newest->prev_hash, head->hash);
}

TEST_F(RetentionTest, YoungDeliveredRowsStayWhileUnderTheWarnLevel) {
  emit(10);
  deliver(1, 10);
  clock_.advance(std::chrono::milliseconds(29 * kDayMs));
  makeRetention({});
  retention_->run();
  EXPECT_EQ(range().lowest_held, 1);
  EXPECT_TRUE(alarms_.empty());
}

TEST_F(RetentionTest, PrunedRangeIsAnswerableForBackfill) {
  emit(20);
  deliver(1, 15);
  clock_.advance(std::chrono::milliseconds(31 * kDayMs));
  makeRetention({});
  retention_->run();
  auto r = store_->journalRange(5, 17, 100);
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r->lowest_held, 16);  // 5..15 were pruned after delivery
  ASSERT_EQ(r->entries.size(), 2u);
  EXPECT_EQ(r->entries[0].seq, 16);
  EXPECT_EQ(r->entries[1].seq, 17);
  auto limited = store_->journalRange(16, 20, 2);
  ASSERT_TRUE(limited.isOk());
  EXPECT_EQ(limited->entries.size(), 2u);
}

TEST_F(RetentionTest, AlarmFiresOncePerCrossingAndFullAtTheBound) {
  StorageConfig config;
  config.max_bytes = 400 * 1024;
  config.warn_pct = 50;
  makeRetention(config);
  retention_->run();
  ASSERT_TRUE(alarms_.empty()) << alarms_[0];
  const std::int64_t base = retention_->lastUsage().total();

  // Undelivered events cannot be deleted: they push usage over the warn level.
  while (retention_->lastUsage().total() < config.max_bytes / 2 + 8192) {
    emit(20, 2000);
    retention_->run();
  }
  EXPECT_EQ(alarms_, std::vector<std::string>{"storage.alarm:warn"});
  EXPECT_EQ(retention_->level(), StorageLevel::kWarn);
  retention_->run();
  retention_->run();
  EXPECT_EQ(alarms_.size(), 1u);      // once per crossing
  EXPECT_EQ(range().lowest_held, 1);  // nothing undelivered was deleted

  while (retention_->lastUsage().total() < config.max_bytes) {
    emit(20, 2000);
    retention_->run();
  }
  EXPECT_EQ(retention_->level(), StorageLevel::kFull);
  EXPECT_EQ(alarms_.back(), "storage.alarm:full");
  EXPECT_EQ(*store_->undeliveredCount(), store_->lastSeq());

  // Central acknowledges everything: by size, delivered rows go regardless of age (a few
  // bounded batches per run), space returns to the file system, and the alarm clears once.
  deliver(1, store_->lastSeq());
  for (int i = 0; i < 20 && retention_->level() != StorageLevel::kOk; ++i) retention_->run();
  EXPECT_EQ(retention_->level(), StorageLevel::kOk);
  EXPECT_EQ(alarms_.back(), "storage.ok:ok");
  EXPECT_LT(retention_->lastUsage().total(), config.max_bytes / 2);
  EXPECT_LT(retention_->lastUsage().db_bytes, base + config.max_bytes / 2);
  // The storage.ok event itself is undelivered and so is the head: both stay.
  EXPECT_EQ(*store_->undeliveredCount(), 1);
}

TEST_F(RetentionTest, AReaderDoesNotMakeThePassFail) {
  emit(10);
  deliver(1, 10);
  auto reader = Database::open(dir_.file("k.db"), Durability::kNormal, true);
  ASSERT_TRUE(reader.isOk());
  ASSERT_TRUE((*reader)->exec("BEGIN; SELECT count(*) FROM journal;"));  // kordonctl reading
  clock_.advance(std::chrono::milliseconds(31 * kDayMs));
  makeRetention({});
  retention_->run();  // the WAL checkpoint cannot finish, and does not wait for the reader
  EXPECT_EQ(retention_->statusJson()["errors"], 0);
  EXPECT_EQ(range().lowest_held, 10);
  ASSERT_TRUE((*reader)->exec("COMMIT"));
}

TEST_F(RetentionTest, EvidenceOfUndeliveredEventsIsKept) {
  for (int i = 0; i < 5; ++i) {  // seq 1..5 two minutes apart, evidence sha1..sha5
    emit(1, 1000, true);
    clock_.advance(std::chrono::minutes(2));
  }
  deliver(1, 3);
  clock_.advance(std::chrono::milliseconds(31 * kDayMs));
  makeRetention({});
  retention_->run();
  for (int i = 1; i <= 3; ++i) {
    EXPECT_FALSE(std::filesystem::exists(evidencePath("sha" + std::to_string(i)))) << i;
  }
  for (int i = 4; i <= 5; ++i) {
    EXPECT_TRUE(std::filesystem::exists(evidencePath("sha" + std::to_string(i)))) << i;
  }
  EXPECT_EQ(retention_->lastUsage().evidence_bytes, 2000);
  EXPECT_EQ(retention_->statusJson()["evidence_pruned"], 3);
}

}  // namespace
}  // namespace kordon::store
