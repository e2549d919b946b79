// SPDX-License-Identifier: Apache-2.0
#include "edge/store/store.hpp"

#include <algorithm>
#include <filesystem>

#include "edge/base/crypto.hpp"
#include "edge/msg/limits.hpp"
#include "edge/store/migrations.hpp"
#include "edge/store/post_schema.hpp"

namespace kordon::store {
namespace {

// The version stored for `key` by a "SELECT version ... WHERE <key> = ?1"; nullopt when none.
Result<std::optional<std::int64_t>> storedVersion(Statement& select, const std::string& key) {
  select.bind(1, key);
  auto row = select.step();
  if (!row.isOk()) return row.status();
  std::optional<std::int64_t> version;
  if (*row) version = select.columnInt(0);
  select.reset();
  return version;
}

}  // namespace

Transaction::Transaction(Store& store)
    : store_(store), head_seq_(store.last_seq_), head_hash_(store.last_hash_) {}

Result<UpsertResult> Transaction::upsertDeclaration(const msg::Declaration& declaration,
                                                    const std::string& plate_norm,
                                                    WallMs received_ms) {
  auto stored = storedVersion(store_.select_declaration_version_, declaration.id);
  if (!stored.isOk()) return stored.status();
  const bool exists = stored->has_value();
  declarations_changed_ = true;  // (a stale version changes nothing, but this costs one lookup)
  // Versions only move forward: a re-sent or reordered older version changes nothing.
  if (exists && declaration.version <= **stored) return UpsertResult::kStale;

  if (declaration.cancelled) {
    auto& cancel = store_.cancel_declaration_;
    cancel.bind(1, declaration.id).bind(2, declaration.version).bind(3, received_ms);
    if (Status s = cancel.run(); !s) return s;
    return UpsertResult::kCancelled;
  }
  auto& upsert = store_.upsert_declaration_;
  upsert.bind(1, declaration.id)
      .bind(2, declaration.version)
      .bind(3, plate_norm)
      .bind(4, msg::toWire(declaration).dump())
      .bind(5, declaration.expires_at)
      .bind(6, received_ms);
  if (Status s = upsert.run(); !s) return s;
  return exists ? UpsertResult::kUpdated : UpsertResult::kInserted;
}

Result<std::optional<std::int64_t>> Transaction::declarationVersion(const std::string& id) {
  return storedVersion(store_.select_declaration_version_, id);
}

Result<std::optional<std::int64_t>> Transaction::policyVersion(msg::PolicyKind kind) {
  return storedVersion(store_.select_policy_version_, msg::toString(kind));
}

Status Transaction::savePassage(const PassageRecord& p) {
  auto& stmt = store_.upsert_passage_;
  auto optTime = [](WallMs t) { return t == 0 ? std::optional<std::int64_t>() : std::optional(t); };
  stmt.bind(1, p.id)
      .bind(2, p.lane)
      .bind(3, std::string(msg::toString(p.state)))
      .bind(4, p.plate_raw)
      .bind(5, p.plate_norm)
      .bind(6, static_cast<std::int64_t>(p.plate_confidence_pct))
      .bind(7, p.gross_kg)
      .bind(8, p.declaration_id)
      .bind(9, p.corridor ? std::string(msg::toString(*p.corridor)) : std::string())
      .bind(10, p.reasons_json)
      .bind(11, p.ruleset)
      .bind(12, optTime(p.arrived_ms))
      .bind(13, optTime(p.identified_ms))
      .bind(14, optTime(p.weighed_ms))
      .bind(15, optTime(p.decided_ms))
      .bind(16, optTime(p.released_ms))
      .bind(17, optTime(p.departed_ms));
  return stmt.run();
}

Status Transaction::recordEvidence(const msg::Evidence& evidence, WallMs created_ms) {
  auto& stmt = store_.insert_evidence_;
  stmt.bind(1, evidence.sha256)
      .bind(2, evidence.media_type)
      .bind(3, evidence.role)
      .bind(4, static_cast<std::int64_t>(evidence.size_bytes))
      .bind(5, created_ms);
  return stmt.run();
}

Result<UpsertResult> Transaction::upsertPolicy(const msg::Policy& policy,
                                               const nlohmann::json& wire, WallMs received_ms) {
  auto stored = storedVersion(store_.select_policy_version_, msg::toString(policy.kind));
  if (!stored.isOk()) return stored.status();
  const bool exists = stored->has_value();
  if (exists && policy.version <= **stored) return UpsertResult::kStale;
  nlohmann::json body = wire;
  body.erase("sig");
  auto& upsert = store_.upsert_policy_;
  upsert.bind(1, msg::toString(policy.kind))
      .bind(2, policy.version)
      .bind(3, policy.issued)
      .bind(4, body.dump())
      .bind(5, received_ms);
  if (Status s = upsert.run(); !s) return s;
  return exists ? UpsertResult::kUpdated : UpsertResult::kInserted;
}

Status Transaction::emit(msg::EventDraft draft) {
  msg::Event e;
  e.post = store_.post_id_;
  e.seq = head_seq_ + 1;
  e.id = newUuid();
  e.type = std::move(draft.type);
  e.time_ms = store_.clock_.nowWallMs();
  e.lane = std::move(draft.lane);
  e.passage = std::move(draft.passage);
  e.prev_hash = head_hash_;
  e.payload = std::move(draft.payload);
  if (e.payload.is_null()) e.payload = nlohmann::json::object();  // the envelope requires an object
  const std::string envelope =
      msg::sealEvent(e, store_.signing_key_ ? &*store_.signing_key_ : nullptr);
  // Central takes every event up to this size; one it could never take must not enter the
  // chain (it would be a gap there for ever). Fields from outside are clipped long before this.
  if (envelope.size() > msg::kMaxEventBytes) {
    return Status::error("event " + e.type + " is " + std::to_string(envelope.size()) +
                         " bytes, over the " + std::to_string(msg::kMaxEventBytes) +
                         "-byte bound: not journalled");
  }

  auto& journal = store_.insert_journal_;
  journal.bind(1, e.seq)
      .bind(2, e.id)
      .bind(3, e.type)
      .bind(4, e.time_ms)
      .bind(5, e.lane)
      .bind(6, e.passage)
      .bind(7, e.prev_hash)
      .bind(8, e.hash)
      .bind(9, envelope);
  if (Status s = journal.run(); !s) return s;
  auto& outbox = store_.insert_outbox_;
  outbox.bind(1, e.seq);
  if (Status s = outbox.run(); !s) return s;
  head_seq_ = e.seq;
  head_hash_ = e.hash;
  emitted_.push_back(std::move(e));
  return Status::ok();
}

Result<std::unique_ptr<Store>> Store::open(const std::string& path, const std::string& post_id,
                                           const Clock& clock,
                                           std::optional<SigningKey> signing_key) {
  // FULL: a lane makes few events and each one must survive a power cut (DESIGN.md).
  auto db = Database::open(path, Durability::kFull);
  if (!db.isOk()) return db.status().withContext("store");
  // Incremental auto_vacuum lets retention give deleted pages back to the file system. It can
  // only be chosen before the first table exists (VACUUM on the empty file applies it); older
  // databases keep reusing their free pages instead, which usage() does not count.
  auto existing = store::schemaVersion(**db, postSchema());
  if (existing.isOk() && *existing == 0) {
    if (Status s = (*db)->exec("PRAGMA auto_vacuum = INCREMENTAL; VACUUM;"); !s) {
      return s.withContext("store");
    }
  }
  auto version = migrate(**db, postSchema());
  if (!version.isOk()) return version.status().withContext("store");
  std::unique_ptr<Store> store(new Store(std::move(*db), post_id, clock));
  store->signing_key_ = std::move(signing_key);
  store->schema_version_ = *version;
  if (Status s = store->prepareStatements(); !s) return s.withContext("store");
  if (Status s = store->loadChainHead(); !s) return s.withContext("store");
  return store;
}

Store::~Store() = default;

int Store::latestSchemaVersion() { return postSchema().latest(); }

Status Store::prepareStatements() {
  struct Entry {
    Statement* stmt;
    const char* sql;
  };
  const Entry entries[] = {
      {&select_declaration_version_, "SELECT version FROM declarations WHERE id = ?1"},
      {&upsert_declaration_,
       "INSERT INTO declarations (id, version, status, plate_norm, body, expires_ms, received_ms) "
       "VALUES (?1, ?2, 'active', ?3, ?4, ?5, ?6) ON CONFLICT (id) DO UPDATE SET "
       "version = excluded.version, status = 'active', plate_norm = excluded.plate_norm, "
       "body = excluded.body, expires_ms = excluded.expires_ms, received_ms = "
       "excluded.received_ms"},
      {&cancel_declaration_,
       "INSERT INTO declarations (id, version, status, plate_norm, body, received_ms) "
       "VALUES (?1, ?2, 'cancelled', '', '{}', ?3) ON CONFLICT (id) DO UPDATE SET "
       "version = excluded.version, status = 'cancelled', received_ms = excluded.received_ms"},
      {&select_declarations_by_plate_,
       "SELECT body, plate_norm, received_ms FROM declarations "
       "WHERE plate_norm = ?1 AND status = 'active' ORDER BY received_ms DESC"},
      {&upsert_passage_,
       "INSERT OR REPLACE INTO passages (id, lane, state, plate_raw, plate_norm, plate_confidence, "
       "gross_kg, declaration_id, corridor, reasons, ruleset, arrived_ms, identified_ms, "
       "weighed_ms, decided_ms, released_ms, departed_ms) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)"},
      {&select_passage_,
       "SELECT id, lane, state, plate_raw, plate_norm, plate_confidence, gross_kg, declaration_id, "
       "corridor, reasons, ruleset, arrived_ms, identified_ms, weighed_ms, decided_ms, "
       "released_ms, departed_ms FROM passages WHERE id = ?1"},
      {&insert_evidence_,
       "INSERT INTO evidence (sha256, media_type, role, size_bytes, created_ms) "
       "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (sha256) DO UPDATE SET "
       "created_ms = max(created_ms, excluded.created_ms)"},
      {&insert_journal_,
       "INSERT INTO journal (seq, id, type, time_ms, lane, passage, prev_hash, hash, envelope) "
       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"},
      {&insert_outbox_, "INSERT INTO outbox (seq) VALUES (?1)"},
      {&select_undelivered_,
       "SELECT j.seq, j.envelope FROM outbox o JOIN journal j ON j.seq = o.seq "
       "WHERE o.delivered_ms IS NULL AND o.seq > ?1 ORDER BY o.seq LIMIT ?2"},
      {&select_journal_range_,
       "SELECT seq, envelope FROM journal WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq LIMIT ?3"},
      {&mark_delivered_,
       "UPDATE outbox SET delivered_ms = ?2 WHERE seq = ?1 AND delivered_ms IS NULL"},
      {&count_undelivered_, "SELECT count(*) FROM outbox WHERE delivered_ms IS NULL"},
      {&select_policy_version_, "SELECT version FROM policies WHERE kind = ?1"},
      {&upsert_policy_,
       "INSERT OR REPLACE INTO policies (kind, version, issued, body, received_ms) "
       "VALUES (?1, ?2, ?3, ?4, ?5)"},
  };
  for (const Entry& e : entries) {
    auto stmt = db_->prepare(e.sql);
    if (!stmt.isOk()) return stmt.status();
    *e.stmt = std::move(*stmt);
  }
  return Status::ok();
}

Status Store::loadChainHead() {
  auto stmt = db_->prepare("SELECT seq, hash, time_ms FROM journal ORDER BY seq DESC LIMIT 1");
  if (!stmt.isOk()) return stmt.status();
  auto row = stmt->step();
  if (!row.isOk()) return row.status();
  if (*row) {
    last_seq_ = stmt->columnInt(0);
    last_hash_ = stmt->columnText(1);
    last_time_ms_ = stmt->columnInt(2);
  }
  return Status::ok();
}

Result<std::vector<msg::Event>> Store::transact(const std::function<Status(Transaction&)>& body) {
  Transaction tx(*this);
  Status s = db_->transaction([&] { return body(tx); });
  if (!s) return s;
  last_seq_ = tx.head_seq_;
  last_hash_ = tx.head_hash_;
  if (tx.declarations_changed_) ++declarations_version_;
  if (!tx.emitted_.empty()) {
    last_time_ms_ = tx.emitted_.back().time_ms;
    for (const CommitListener& listener : listeners_) listener(tx.emitted_);
  }
  return std::move(tx.emitted_);
}

Result<std::vector<CachedDeclaration>> Store::declarationsForPlate(const std::string& plate_norm) {
  auto& stmt = select_declarations_by_plate_;
  stmt.bind(1, plate_norm);
  std::vector<CachedDeclaration> out;
  for (;;) {
    auto row = stmt.step();
    if (!row.isOk()) return row.status();
    if (!*row) break;
    const auto body = nlohmann::json::parse(stmt.columnText(0), nullptr, false);
    auto declaration = msg::parseDeclaration(body);
    if (!declaration.isOk()) {
      stmt.reset();
      return declaration.status().withContext("cached declaration for " + plate_norm);
    }
    out.push_back({std::move(*declaration), stmt.columnText(1), stmt.columnInt(2)});
  }
  stmt.reset();
  return out;
}

Result<std::optional<PassageRecord>> Store::passage(const std::string& id) {
  auto& stmt = select_passage_;
  stmt.bind(1, id);
  auto row = stmt.step();
  if (!row.isOk()) return row.status();
  if (!*row) {
    stmt.reset();
    return std::optional<PassageRecord>();
  }
  PassageRecord p;
  p.id = stmt.columnText(0);
  p.lane = stmt.columnText(1);
  // The store wrote these from the enums; anything else reads as the earliest state.
  p.state = msg::parsePassageState(stmt.columnText(2)).value_or(msg::PassageState::kOpen);
  p.plate_raw = stmt.columnText(3);
  p.plate_norm = stmt.columnText(4);
  p.plate_confidence_pct = static_cast<int>(stmt.columnInt(5));
  if (!stmt.columnIsNull(6)) p.gross_kg = stmt.columnInt(6);
  p.declaration_id = stmt.columnText(7);
  p.corridor = msg::parseCorridor(stmt.columnText(8));
  p.reasons_json = stmt.columnText(9);
  p.ruleset = stmt.columnText(10);
  p.arrived_ms = stmt.columnInt(11);
  p.identified_ms = stmt.columnInt(12);
  p.weighed_ms = stmt.columnInt(13);
  p.decided_ms = stmt.columnInt(14);
  p.released_ms = stmt.columnInt(15);
  p.departed_ms = stmt.columnInt(16);
  stmt.reset();
  return std::optional<PassageRecord>(std::move(p));
}

Result<std::vector<msg::Policy>> Store::policies() {
  auto stmt = db_->prepare("SELECT kind, body FROM policies ORDER BY kind");
  if (!stmt.isOk()) return stmt.status();
  std::vector<msg::Policy> out;
  for (;;) {
    auto row = stmt->step();
    if (!row.isOk()) return row.status();
    if (!*row) break;
    auto policy = msg::parsePolicy(nlohmann::json::parse(stmt->columnText(1), nullptr, false));
    if (!policy.isOk()) return policy.status().withContext("stored " + stmt->columnText(0));
    out.push_back(std::move(*policy));
  }
  return out;
}

Result<std::optional<WallMs>> Store::lastCommandMs() {
  auto stmt = db_->prepare(
      "SELECT max(t) FROM (SELECT max(received_ms) AS t FROM declarations "
      "UNION ALL SELECT max(received_ms) FROM policies)");
  if (!stmt.isOk()) return stmt.status();
  auto row = stmt->step();
  if (!row.isOk()) return row.status();
  if (!*row || stmt->columnIsNull(0)) return std::optional<WallMs>();
  return std::optional<WallMs>(stmt->columnInt(0));
}

namespace {

// Steps a statement whose columns are (seq, envelope) to the end.
Result<std::vector<JournalEntry>> readEntries(Statement& stmt) {
  std::vector<JournalEntry> out;
  for (;;) {
    auto row = stmt.step();
    if (!row.isOk()) {
      stmt.reset();
      return row.status();
    }
    if (!*row) break;
    out.push_back({stmt.columnInt(0), stmt.columnText(1)});
  }
  stmt.reset();
  return out;
}

}  // namespace

Result<std::vector<JournalEntry>> Store::undeliveredEntries(std::int64_t after_seq, int limit) {
  select_undelivered_.bind(1, after_seq).bind(2, static_cast<std::int64_t>(limit));
  return readEntries(select_undelivered_);
}

Result<std::vector<msg::Event>> Store::undelivered(std::int64_t after_seq, int limit) {
  auto entries = undeliveredEntries(after_seq, limit);
  if (!entries.isOk()) return entries.status();
  std::vector<msg::Event> out;
  for (const JournalEntry& entry : *entries) {
    auto event = msg::parseEvent(nlohmann::json::parse(entry.envelope, nullptr, false));
    if (!event.isOk()) return event.status().withContext("journal row corrupt");
    out.push_back(std::move(*event));
  }
  return out;
}

Status Store::markDelivered(const std::vector<std::int64_t>& seqs, WallMs delivered_ms) {
  if (seqs.empty()) return Status::ok();
  // A delivery mark lost in a power cut only makes the event go out again, and central drops
  // the duplicate; so these commits skip the fsync (WAL stays consistent with NORMAL), and the
  // next event's FULL commit makes them durable anyway. This is what lets the drain keep up.
  if (Status s = db_->exec("PRAGMA synchronous=NORMAL"); !s) return s;
  Status result = db_->transaction([&]() -> Status {
    for (std::int64_t seq : seqs) {
      mark_delivered_.bind(1, seq).bind(2, delivered_ms);
      if (Status s = mark_delivered_.run(); !s) return s;
    }
    return Status::ok();
  });
  if (Status s = db_->exec("PRAGMA synchronous=FULL"); !s) return s;
  return result;
}

Result<std::int64_t> Store::undeliveredCount() {
  auto row = count_undelivered_.step();
  if (!row.isOk()) return row.status();
  const std::int64_t n = count_undelivered_.columnInt(0);
  count_undelivered_.reset();
  return n;
}

Result<StorageUsage> Store::usage() {
  StorageUsage u;
  auto pages = db_->queryInt("PRAGMA page_count");
  auto free_pages = db_->queryInt("PRAGMA freelist_count");
  auto page_size = db_->queryInt("PRAGMA page_size");
  auto evidence = db_->queryInt("SELECT sum(size_bytes) FROM evidence");
  for (const Status* s :
       {&pages.status(), &free_pages.status(), &page_size.status(), &evidence.status()}) {
    if (!s->isOk()) return *s;
  }
  u.db_bytes = (*pages - *free_pages) * *page_size;
  std::error_code ec;
  const auto wal = std::filesystem::file_size(db_->path() + "-wal", ec);
  u.wal_bytes = ec ? 0 : static_cast<std::int64_t>(wal);
  u.evidence_bytes = *evidence;
  return u;
}

Result<std::int64_t> Store::pruneJournal(WallMs before_ms, int limit) {
  auto first_undelivered = db_->queryInt("SELECT min(seq) FROM outbox WHERE delivered_ms IS NULL");
  if (!first_undelivered.isOk()) return first_undelivered.status();
  std::int64_t bound = last_seq_;  // exclusive: the chain head stays
  if (*first_undelivered > 0) bound = std::min(bound, *first_undelivered);
  auto stmt = db_->prepare("SELECT seq, time_ms FROM journal WHERE seq < ?1 ORDER BY seq LIMIT ?2");
  if (!stmt.isOk()) return stmt.status();
  stmt->bind(1, bound).bind(2, static_cast<std::int64_t>(limit));
  std::int64_t last = 0;
  std::int64_t count = 0;
  for (;;) {
    auto row = stmt->step();
    if (!row.isOk()) return row.status();
    if (!*row || stmt->columnInt(1) >= before_ms) break;
    last = stmt->columnInt(0);
    ++count;
  }
  stmt->reset();
  if (count == 0) return std::int64_t{0};
  const std::string upto = std::to_string(last);
  Status s = db_->transaction([&] {
    return db_->exec("DELETE FROM outbox WHERE seq <= " + upto +
                     "; DELETE FROM journal WHERE seq <= " + upto + ";");
  });
  if (!s) return s;
  return count;
}

Result<std::vector<EvidenceRow>> Store::prunableEvidence(WallMs before_ms, int limit) {
  auto oldest_undelivered = db_->prepare(
      "SELECT min(j.time_ms) FROM outbox o JOIN journal j ON j.seq = o.seq "
      "WHERE o.delivered_ms IS NULL");
  if (!oldest_undelivered.isOk()) return oldest_undelivered.status();
  auto row = oldest_undelivered->step();
  if (!row.isOk()) return row.status();
  WallMs bound = before_ms;
  if (*row && !oldest_undelivered->columnIsNull(0)) {
    constexpr WallMs kClockSlackMs = 60 * 1000;
    bound = std::min(bound, oldest_undelivered->columnInt(0) - kClockSlackMs);
  }
  auto stmt = db_->prepare(
      "SELECT sha256, media_type, size_bytes FROM evidence WHERE created_ms < ?1 "
      "ORDER BY created_ms LIMIT ?2");
  if (!stmt.isOk()) return stmt.status();
  stmt->bind(1, bound).bind(2, static_cast<std::int64_t>(limit));
  std::vector<EvidenceRow> out;
  for (;;) {
    auto next = stmt->step();
    if (!next.isOk()) return next.status();
    if (!*next) break;
    out.push_back({stmt->columnText(0), stmt->columnText(1), stmt->columnInt(2)});
  }
  return out;
}

Status Store::forgetEvidence(const std::vector<EvidenceRow>& rows) {
  if (rows.empty()) return Status::ok();
  auto stmt = db_->prepare("DELETE FROM evidence WHERE sha256 = ?1");
  if (!stmt.isOk()) return stmt.status();
  return db_->transaction([&]() -> Status {
    for (const auto& r : rows) {
      if (Status s = stmt->bind(1, r.sha256).run(); !s) return s;
    }
    return Status::ok();
  });
}

Status Store::reclaimSpace() {
  if (Status s = db_->exec("PRAGMA incremental_vacuum;"); !s) return s;
  // TRUNCATE waits for readers (kordonctl) through the busy handler; the control loop must not,
  // so while one reads the checkpoint stays partial and a later pass truncates the WAL.
  sqlite3_busy_timeout(db_->handle(), 0);
  Status s = db_->exec("PRAGMA wal_checkpoint(TRUNCATE);");
  sqlite3_busy_timeout(db_->handle(), kBusyTimeoutMs);
  return s;
}

Result<JournalRange> Store::journalRange(std::int64_t from, std::int64_t to, int limit) {
  JournalRange range;
  auto lowest = db_->queryInt("SELECT min(seq) FROM journal");
  if (!lowest.isOk()) return lowest.status();
  range.lowest_held = *lowest;
  range.highest_held = last_seq_;
  select_journal_range_.bind(1, from).bind(2, to).bind(3, static_cast<std::int64_t>(limit));
  auto entries = readEntries(select_journal_range_);
  if (!entries.isOk()) return entries.status();
  range.entries = std::move(*entries);
  return range;
}

}  // namespace kordon::store
