// SPDX-License-Identifier: Apache-2.0
#pragma once

// The post's durable state in one SQLite file (WAL): the declarations cache, passages, and the
// event journal plus outbox. Every state change and the events that record it are written in
// ONE transaction (Store::transact), so the journal can never disagree with the state.
//
// The journal is the record: each event gets the next gap-free seq and a hash chained to the
// previous one (edge/msg/event.hpp). The outbox lists the events not yet acknowledged by the
// broker; nothing is removed from the journal when an event is delivered.
//
// Thread-safety: one writer. A Store belongs to the control loop thread.
// Schema: docs/CONTRACTS.md; migrations in edge/store/post_schema.cpp.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "edge/base/clock.hpp"
#include "edge/base/status.hpp"
#include "edge/msg/corridor.hpp"
#include "edge/msg/declaration.hpp"
#include "edge/msg/event.hpp"
#include "edge/msg/plate_read.hpp"
#include "edge/msg/policy.hpp"
#include "edge/store/sqlite.hpp"

namespace kordon::store {

struct CachedDeclaration {
  msg::Declaration declaration;
  std::string plate_norm;
  WallMs received_ms = 0;
};

enum class UpsertResult { kInserted, kUpdated, kStale, kCancelled };

// Bytes the post's records take on disk (Store::usage()).
struct StorageUsage {
  std::int64_t db_bytes = 0;        // pages in use: (page_count - freelist_count) * page_size
  std::int64_t wal_bytes = 0;       // size of the -wal file
  std::int64_t evidence_bytes = 0;  // sum of the evidence index's size_bytes
  std::int64_t total() const { return db_bytes + wal_bytes + evidence_bytes; }
};

struct EvidenceRow {
  std::string sha256;
  std::string media_type;
  std::int64_t size_bytes = 0;
};

// One journal row as stored: the signed wire envelope, published byte for byte.
struct JournalEntry {
  std::int64_t seq = 0;
  std::string envelope;
};

// What the journal still holds of a requested seq range (Store::journalRange). Seqs below
// `lowest_held` were pruned after delivery: a backfill answers them as "pruned".
struct JournalRange {
  std::vector<JournalEntry> entries;  // rows held in [from, to], in seq order, as on the wire
  std::int64_t lowest_held = 0;       // lowest seq in the journal; 0 when it is empty
  std::int64_t highest_held = 0;      // the chain head
};

// A passage row: one vehicle through one lane. Times are UTC ms, 0 = not yet.
struct PassageRecord {
  std::string id;
  std::string lane;
  msg::PassageState state = msg::PassageState::kOpen;
  std::string plate_raw;
  std::string plate_norm;
  int plate_confidence_pct = 0;
  std::optional<std::int64_t> gross_kg;
  std::string declaration_id;
  std::optional<msg::Corridor> corridor;  // set once decided
  std::string reasons_json = "[]";
  std::string ruleset;
  WallMs arrived_ms = 0;
  WallMs identified_ms = 0;
  WallMs weighed_ms = 0;
  WallMs decided_ms = 0;
  WallMs released_ms = 0;
  WallMs departed_ms = 0;
};

class Store;

// Handed to Store::transact's body; everything done through it commits or rolls back together.
class Transaction {
 public:
  Result<UpsertResult> upsertDeclaration(const msg::Declaration& declaration,
                                         const std::string& plate_norm, WallMs received_ms);
  // The version held of a declaration (by id) or a policy (by kind); nullopt when none.
  Result<std::optional<std::int64_t>> declarationVersion(const std::string& id);
  Result<std::optional<std::int64_t>> policyVersion(msg::PolicyKind kind);
  Status savePassage(const PassageRecord& passage);
  // created_ms is when the content was last referenced: re-recording the same content moves it
  // forward, so retention never removes a file a newer event points at.
  Status recordEvidence(const msg::Evidence& evidence, WallMs created_ms);
  // Keeps `wire` (the validated command, without its signature) as the policy of its kind when
  // its version is newer than the stored one; kStale otherwise.
  Result<UpsertResult> upsertPolicy(const msg::Policy& policy, const nlohmann::json& wire,
                                    WallMs received_ms);
  // Appends to the journal and the outbox. The envelope is returned by transact(). An envelope
  // over msg::kMaxEventBytes is refused (an error, so the transaction rolls back).
  Status emit(msg::EventDraft draft);

 private:
  friend class Store;
  explicit Transaction(Store& store);
  Store& store_;
  std::int64_t head_seq_;  // tentative chain head; becomes the store's on commit
  std::string head_hash_;
  std::vector<msg::Event> emitted_;
  bool declarations_changed_ = false;
};

class Store {
 public:
  // Opens or creates the database, migrating it forward. A database written by a newer Kordon
  // is refused with an error that says so. With a signing key every new event is signed.
  static Result<std::unique_ptr<Store>> open(const std::string& path, const std::string& post_id,
                                             const Clock& clock,
                                             std::optional<SigningKey> signing_key = std::nullopt);
  ~Store();

  static int latestSchemaVersion();
  int schemaVersion() const { return schema_version_; }

  // Runs body inside BEGIN IMMEDIATE..COMMIT; returns the events it emitted once committed,
  // after announcing them to every commit listener.
  Result<std::vector<msg::Event>> transact(const std::function<Status(Transaction&)>& body);

  // The commit feed: called once per committed transaction that emitted events, with those
  // events in seq order, on the thread that committed (kordond's control loop), after the
  // commit and before transact() returns. The outbox pump, the status and (next) the kiosk's
  // live view and metrics hang on it. A listener may itself transact (a storage alarm); those
  // events are announced in their own call. The writer takes the committed state as its own
  // only after transact() returns, so a listener that wants a component's new state (a lane's
  // snapshot) reads it in a completion it posts to the loop. Listeners live as long as the
  // store.
  using CommitListener = std::function<void(const std::vector<msg::Event>&)>;
  void onCommitted(CommitListener listener) { listeners_.push_back(std::move(listener)); }

  // Changes whenever a committed transaction changed the declarations cache, so a reader may
  // keep what it looked up while this stays the same (the lane's one lookup per plate read).
  std::uint64_t declarationsVersion() const { return declarations_version_; }

  Result<std::vector<CachedDeclaration>> declarationsForPlate(const std::string& plate_norm);
  Result<std::optional<PassageRecord>> passage(const std::string& id);
  // The policies in force, one per kind, as stored by upsertPolicy.
  Result<std::vector<msg::Policy>> policies();
  // When central's last accepted command (declaration or policy) arrived; nullopt if never.
  Result<std::optional<WallMs>> lastCommandMs();

  // Outbox: undelivered events in seq order, starting after `after_seq`.
  Result<std::vector<msg::Event>> undelivered(std::int64_t after_seq, int limit);
  // The same as stored on the wire, without parsing: what the outbox pump publishes.
  Result<std::vector<JournalEntry>> undeliveredEntries(std::int64_t after_seq, int limit);
  Status markDelivered(const std::vector<std::int64_t>& seqs, WallMs delivered_ms);
  Result<std::int64_t> undeliveredCount();

  // Retention (edge/store/retention.hpp drives these in small batches):
  Result<StorageUsage> usage();
  // Deletes up to `limit` of the oldest journal rows (and their outbox rows) that are delivered
  // and older than before_ms. Never an undelivered row, never the chain head; it stops at the
  // first row that may not go, so the journal stays one contiguous seq range. Returns how many.
  Result<std::int64_t> pruneJournal(WallMs before_ms, int limit);
  // Up to `limit` evidence rows, oldest first, last referenced before before_ms and before
  // every undelivered event (with a minute's slack for clock steps).
  Result<std::vector<EvidenceRow>> prunableEvidence(WallMs before_ms, int limit);
  Status forgetEvidence(const std::vector<EvidenceRow>& rows);
  // Returns freed pages to the file system (incremental auto_vacuum) and truncates the WAL.
  Status reclaimSpace();
  // For backfill: the rows still held in [from, to] (at most `limit`), and the held range.
  Result<JournalRange> journalRange(std::int64_t from, std::int64_t to, int limit);
  std::int64_t lastSeq() const { return last_seq_; }
  // The wall time of the chain head (0 for an empty journal): where the clock's high-water mark
  // starts after a restart.
  WallMs lastEventTimeMs() const { return last_time_ms_; }
  const std::string& postId() const { return post_id_; }

 private:
  std::vector<CommitListener> listeners_;
  std::uint64_t declarations_version_ = 0;
  friend class Transaction;
  Store(std::unique_ptr<Database> db, std::string post_id, const Clock& clock)
      : db_(std::move(db)), post_id_(std::move(post_id)), clock_(clock) {}
  Status prepareStatements();
  Status loadChainHead();

  std::unique_ptr<Database> db_;
  std::string post_id_;
  const Clock& clock_;
  int schema_version_ = 0;
  std::int64_t last_seq_ = 0;
  std::string last_hash_ = msg::kGenesisHash;
  WallMs last_time_ms_ = 0;
  std::optional<SigningKey> signing_key_;

  Statement select_declaration_version_;
  Statement upsert_declaration_;
  Statement cancel_declaration_;
  Statement select_declarations_by_plate_;
  Statement upsert_passage_;
  Statement select_passage_;
  Statement insert_evidence_;
  Statement insert_journal_;
  Statement insert_outbox_;
  Statement select_undelivered_;
  Statement select_journal_range_;
  Statement mark_delivered_;
  Statement count_undelivered_;
  Statement select_policy_version_;
  Statement upsert_policy_;
};

}  // namespace kordon::store
