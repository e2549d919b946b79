// SPDX-License-Identifier: Apache-2.0
#include "edge/store/store.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "edge/msg/limits.hpp"
#include "edge/msg/plate.hpp"
#include "edge/store/migrations.hpp"
#include "tests/unit/edge/test_support.hpp"

namespace kordon::store {
namespace {

using testing::FakeClock;
using testing::TempDir;

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

msg::Declaration declaration(std::int64_t version) {
  msg::Declaration d;
  d.id = "KZ-TD-1";
  d.version = version;
  d.tractor_plate = "123 АВС 02";  // Cyrillic letters: stored under the normalised key
  d.gross_mass_kg = 38420;
  return d;
}

TEST(Migrations, FreshDatabaseReachesLatestVersion) {
  TempDir dir;
  FakeClock clock;
  auto store = Store::open(dir.file("k.db"), "KZ-TEST", clock);
  ASSERT_TRUE(store.isOk()) << store.status().message();
  EXPECT_EQ((*store)->schemaVersion(), Store::latestSchemaVersion());
  EXPECT_GE(Store::latestSchemaVersion(), 2);
}

TEST(Migrations, OlderDatabaseIsMigratedKeepingItsData) {
  TempDir dir;
  {
    auto db = Database::open(dir.file("old.db"), Durability::kNormal);
    ASSERT_TRUE(db.isOk());
    ASSERT_TRUE((*db)->exec(readFile(KORDON_SOURCE_DIR "/tests/fixtures/store/kordon_v1.sql")));
  }
  FakeClock clock;
  auto store = Store::open(dir.file("old.db"), "KZ-TEST", clock);
  ASSERT_TRUE(store.isOk()) << store.status().message();
  Store& s = **store;
  EXPECT_EQ(s.schemaVersion(), Store::latestSchemaVersion());
  auto cached = s.declarationsForPlate("123ABC02");
  ASSERT_TRUE(cached.isOk());
  ASSERT_EQ(cached->size(), 1u);
  EXPECT_EQ((*cached)[0].declaration.version, 4);
  // The journal continues where the old database left it, chained to its last hash.
  EXPECT_EQ(s.lastSeq(), 2);
  auto events = s.transact([](Transaction& tx) {
    return tx.emit({"test.after_migration", "", "", {}});
  });
  ASSERT_TRUE(events.isOk()) << events.status().message();
  EXPECT_EQ((*events)[0].seq, 3);
  EXPECT_EQ((*events)[0].prev_hash, std::string(64, '2'));
  // The version-2 evidence table exists now.
  EXPECT_TRUE(s.transact([](Transaction& tx) {
                 return tx.recordEvidence({"ab", "image/jpeg", "plate", 10}, 1);
               }).isOk());
  auto pending = s.undelivered(0, 10);
  ASSERT_TRUE(pending.isOk()) << pending.status().message();
  ASSERT_EQ(pending->size(), 2u);  // seq 2 (undelivered before) and seq 3
  EXPECT_EQ((*pending)[0].seq, 2);
}

TEST(Migrations, NewerDatabaseIsRefusedWithAClearError) {
  TempDir dir;
  {
    FakeClock clock;
    ASSERT_TRUE(Store::open(dir.file("new.db"), "KZ-TEST", clock).isOk());
    auto db = Database::open(dir.file("new.db"), Durability::kNormal);
    ASSERT_TRUE((*db)->exec("UPDATE schema_version SET version = 99"));
  }
  FakeClock clock;
  auto store = Store::open(dir.file("new.db"), "KZ-TEST", clock);
  ASSERT_FALSE(store.isOk());
  EXPECT_NE(store.status().message().find("schema version 99 is newer than this kordond supports"),
            std::string::npos)
      << store.status().message();
  EXPECT_NE(store.status().message().find("refusing to open"), std::string::npos);
}

TEST(Migrations, ForeignDatabaseIsRefused) {
  TempDir dir;
  {
    auto db = Database::open(dir.file("other.db"), Durability::kNormal);
    ASSERT_TRUE((*db)->exec("CREATE TABLE something (x)"));
  }
  FakeClock clock;
  auto store = Store::open(dir.file("other.db"), "KZ-TEST", clock);
  ASSERT_FALSE(store.isOk());
  EXPECT_NE(store.status().message().find("not a kordond database"), std::string::npos);
}

TEST(Store, JournalIsGapFreeAndHashChainedAcrossReopen) {
  TempDir dir;
  FakeClock clock;
  std::string last_hash;
  {
    auto store = Store::open(dir.file("k.db"), "KZ-TEST", clock);
    ASSERT_TRUE(store.isOk());
    auto events = (*store)->transact([](Transaction& tx) {
      if (Status s = tx.emit({"a", "L1", "p1", {{"n", 1}}}); !s) return s;
      return tx.emit({"b", "L1", "p1", {{"n", 2}}});
    });
    ASSERT_TRUE(events.isOk());
    ASSERT_EQ(events->size(), 2u);
    EXPECT_EQ((*events)[0].seq, 1);
    EXPECT_EQ((*events)[0].prev_hash, msg::kGenesisHash);
    EXPECT_EQ((*events)[1].prev_hash, (*events)[0].hash);
    EXPECT_EQ(msg::computeEventHash((*events)[1]), (*events)[1].hash);
    last_hash = (*events)[1].hash;
  }
  auto store = Store::open(dir.file("k.db"), "KZ-TEST", clock);
  ASSERT_TRUE(store.isOk());
  auto events = (*store)->transact([](Transaction& tx) { return tx.emit({"c", "", "", {}}); });
  ASSERT_TRUE(events.isOk());
  EXPECT_EQ((*events)[0].seq, 3);
  EXPECT_EQ((*events)[0].prev_hash, last_hash);
}

TEST(Store, FailedTransactionLeavesNeitherStateNorEvents) {
  TempDir dir;
  FakeClock clock;
  auto store = Store::open(dir.file("k.db"), "KZ-TEST", clock);
  ASSERT_TRUE(store.isOk());
  Store& s = **store;
  auto failed = s.transact([](Transaction& tx) -> Status {
    if (Status e = tx.upsertDeclaration(declaration(1), "123ABC02", 1).status(); !e) return e;
    if (Status e = tx.emit({"declaration.applied", "", "", {}}); !e) return e;
    return Status::error("simulated failure after the writes");
  });
  EXPECT_FALSE(failed.isOk());
  EXPECT_EQ(s.lastSeq(), 0);
  EXPECT_TRUE(s.declarationsForPlate("123ABC02")->empty());
  EXPECT_TRUE(s.undelivered(0, 10)->empty());
  // The next event still gets seq 1: no gap from the rolled-back one.
  auto ok = s.transact([](Transaction& tx) { return tx.emit({"x", "", "", {}}); });
  ASSERT_TRUE(ok.isOk());
  EXPECT_EQ((*ok)[0].seq, 1);
}

TEST(Store, AnEnvelopeCentralCouldNeverTakeIsRefusedAndLeavesNoGap) {
  TempDir dir;
  FakeClock clock;
  auto store = Store::open(dir.file("k.db"), "KZ-TEST", clock);
  ASSERT_TRUE(store.isOk());
  Store& s = **store;
  const std::string huge(msg::kMaxEventBytes, 'x');
  auto refused = s.transact([&](Transaction& tx) { return tx.emit({"x", "", "", {{"t", huge}}}); });
  ASSERT_FALSE(refused.isOk());
  EXPECT_NE(refused.status().message().find("over the 65536-byte bound"), std::string::npos)
      << refused.status().message();
  EXPECT_EQ(s.lastSeq(), 0);
  auto ok = s.transact([](Transaction& tx) { return tx.emit({"x", "", "", {}}); });
  ASSERT_TRUE(ok.isOk());
  EXPECT_EQ((*ok)[0].seq, 1);
  EXPECT_EQ(s.lastEventTimeMs(), clock.wall_ms);
}

TEST(Store, TheChainHeadsTimeSurvivesAReopen) {
  TempDir dir;
  FakeClock clock;
  const WallMs written = clock.wall_ms;
  {
    auto store = Store::open(dir.file("k.db"), "KZ-TEST", clock);
    ASSERT_TRUE(store.isOk());
    EXPECT_EQ((*store)->lastEventTimeMs(), 0);
    ASSERT_TRUE((*store)
                    ->transact([](Transaction& tx) {
                      return tx.emit({"x", "", "", {}});
                    })
                    .isOk());
  }
  clock.wall_ms -= 86400 * 1000;
  auto store = Store::open(dir.file("k.db"), "KZ-TEST", clock);
  ASSERT_TRUE(store.isOk());
  EXPECT_EQ((*store)->lastEventTimeMs(), written);
}

TEST(Store, DeclarationUpsertIsIdempotentByIdAndVersion) {
  TempDir dir;
  FakeClock clock;
  auto store = Store::open(dir.file("k.db"), "KZ-TEST", clock);
  ASSERT_TRUE(store.isOk());
  Store& s = **store;
  auto upsert = [&](const msg::Declaration& d) {
    UpsertResult result = UpsertResult::kStale;
    EXPECT_TRUE(s.transact([&](Transaction& tx) -> Status {
                   auto r = tx.upsertDeclaration(d, msg::normalisePlate(d.tractor_plate), 1);
                   if (!r.isOk()) return r.status();
                   result = *r;
                   return Status::ok();
                 }).isOk());
    return result;
  };
  EXPECT_EQ(upsert(declaration(1)), UpsertResult::kInserted);
  EXPECT_EQ(upsert(declaration(1)), UpsertResult::kStale);
  EXPECT_EQ(upsert(declaration(3)), UpsertResult::kUpdated);
  EXPECT_EQ(upsert(declaration(2)), UpsertResult::kStale);
  auto cached = s.declarationsForPlate("123ABC02");
  ASSERT_EQ(cached->size(), 1u);
  EXPECT_EQ((*cached)[0].declaration.version, 3);
  auto cancel = declaration(4);
  cancel.cancelled = true;
  EXPECT_EQ(upsert(cancel), UpsertResult::kCancelled);
  EXPECT_TRUE(s.declarationsForPlate("123ABC02")->empty());
}

TEST(Store, OutboxListsUndeliveredInOrderUntilMarked) {
  TempDir dir;
  FakeClock clock;
  auto store = Store::open(dir.file("k.db"), "KZ-TEST", clock);
  ASSERT_TRUE(store.isOk());
  Store& s = **store;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(s.transact([](Transaction& tx) { return tx.emit({"e", "", "", {}}); }).isOk());
  }
  ASSERT_TRUE(s.markDelivered({1, 2, 4}, 100));
  auto pending = s.undelivered(0, 10);
  ASSERT_TRUE(pending.isOk()) << pending.status().message();
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].seq, 3);
  EXPECT_EQ((*pending)[1].seq, 5);
  EXPECT_EQ(*s.undeliveredCount(), 2);
  EXPECT_EQ(s.undelivered(3, 10)->size(), 1u);
}

}  // namespace
}  // namespace kordon::store
