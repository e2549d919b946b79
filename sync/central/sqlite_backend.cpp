// SPDX-License-Identifier: Apache-2.0
// CentralStore's SQLite backend: WAL, synchronous=FULL, one BEGIN IMMEDIATE transaction per
// ingest; a `schema_version` table checked at open, migrations applied forward.
#include <filesystem>

#include "edge/store/migrations.hpp"
#include "edge/store/sqlite.hpp"
#include "sync/central/store_backend.hpp"

namespace kordon::central {
namespace {

// 'KORC' in the SQLite header, so an edge database (or any other file) is never taken for ours.
constexpr std::int32_t kApplicationId = 0x4B4F5243;

const store::Schema& centralSchema() {
  static const store::Schema kSchema{
      "kordon-central",
      kApplicationId,
      {{1, "events, per-post state, and the evidence of rejects and conflicts", R"sql(
CREATE TABLE events(
  cursor INTEGER PRIMARY KEY AUTOINCREMENT,
  post TEXT NOT NULL,
  seq INTEGER NOT NULL,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  lane TEXT NOT NULL,
  passage TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  envelope TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  chain_ok INTEGER,
  UNIQUE(post, seq));
CREATE INDEX events_by_type ON events(type, cursor);
CREATE INDEX events_by_time ON events(time_ms);
CREATE TABLE posts(
  post TEXT PRIMARY KEY,
  highest_seq INTEGER NOT NULL DEFAULT 0,
  contiguous_seq INTEGER NOT NULL DEFAULT 0,
  last_seen_ms INTEGER NOT NULL DEFAULT 0,
  events INTEGER NOT NULL DEFAULT 0,
  duplicates INTEGER NOT NULL DEFAULT 0,
  rejected INTEGER NOT NULL DEFAULT 0,
  conflicts INTEGER NOT NULL DEFAULT 0,
  chain_breaks INTEGER NOT NULL DEFAULT 0);
CREATE TABLE conflicts(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  post TEXT NOT NULL,
  seq INTEGER NOT NULL,
  stored_hash TEXT NOT NULL,
  received_hash TEXT NOT NULL,
  envelope TEXT NOT NULL,
  received_ms INTEGER NOT NULL);
CREATE TABLE rejects(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  post TEXT,
  seq INTEGER,
  reason TEXT NOT NULL,
  envelope BLOB NOT NULL,
  received_ms INTEGER NOT NULL);
)sql"},
       {2, "per-event signature status", R"sql(
ALTER TABLE events ADD COLUMN sig_status TEXT NOT NULL DEFAULT 'unverified';
)sql"},
       {3, "the API's audit trail, and the seqs central can never store", R"sql(
CREATE TABLE api_audit(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time_ms INTEGER NOT NULL,
  credential TEXT NOT NULL,
  roles TEXT NOT NULL,
  remote TEXT NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  post TEXT NOT NULL,
  status INTEGER NOT NULL,
  body_sha256 TEXT NOT NULL,
  detail TEXT NOT NULL);
CREATE TABLE unacceptable(
  post TEXT NOT NULL,
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  reason TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  PRIMARY KEY(post, seq));
ALTER TABLE posts ADD COLUMN unacceptable INTEGER NOT NULL DEFAULT 0;
)sql"}}};
  return kSchema;
}

// Runs a statement that yields at most one row and resets it whatever happens.
class RowReader {
 public:
  explicit RowReader(store::Statement& stmt) : stmt_(stmt) {}
  ~RowReader() { stmt_.reset(); }
  RowReader(const RowReader&) = delete;
  RowReader& operator=(const RowReader&) = delete;
  Result<bool> next() { return stmt_.step(); }

 private:
  store::Statement& stmt_;
};

std::optional<bool> optionalBool(const store::Statement& stmt, int col) {
  if (stmt.columnIsNull(col)) return std::nullopt;
  return stmt.columnInt(col) != 0;
}

class SqliteBackend final : public StoreBackend {
 public:
  explicit SqliteBackend(std::unique_ptr<store::Database> db) : db_(std::move(db)) {}

  Status prepare() {
    const std::vector<std::pair<store::Statement*, const char*>> all = {
        {&select_event_, "SELECT hash, prev_hash FROM events WHERE post = ?1 AND seq = ?2"},
        {&insert_event_,
         "INSERT INTO events(post, seq, id, type, time_ms, lane, passage, prev_hash, hash, "
         "envelope, received_ms, chain_ok, sig_status) "
         "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"},
        {&set_chain_ok_, "UPDATE events SET chain_ok = ?3 WHERE post = ?1 AND seq = ?2"},
        {&insert_unacceptable_,
         "INSERT INTO unacceptable(post, seq, hash, size_bytes, reason, received_ms) "
         "VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(post, seq) DO NOTHING"},
        {&select_settled_,
         "SELECT EXISTS(SELECT 1 FROM events WHERE post = ?1 AND seq = ?2) OR "
         "EXISTS(SELECT 1 FROM unacceptable WHERE post = ?1 AND seq = ?2)"},
        {&insert_audit_,
         "INSERT INTO api_audit(time_ms, credential, roles, remote, method, path, post, status, "
         "body_sha256, detail) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"},
        {&touch_post_,
         "INSERT INTO posts(post, last_seen_ms) VALUES(?1, ?2) ON CONFLICT(post) DO UPDATE SET "
         "last_seen_ms = MAX(last_seen_ms, excluded.last_seen_ms)"},
        {&select_post_, "SELECT highest_seq, contiguous_seq FROM posts WHERE post = ?1"},
        {&update_post_,
         "UPDATE posts SET highest_seq = ?2, contiguous_seq = ?3, events = events + ?4, "
         "duplicates = duplicates + ?5, rejected = rejected + ?6, conflicts = conflicts + ?7, "
         "chain_breaks = chain_breaks + ?8, unacceptable = unacceptable + ?9 WHERE post = ?1"},
        {&insert_reject_,
         "INSERT INTO rejects(post, seq, reason, envelope, received_ms) "
         "VALUES(?1, ?2, ?3, ?4, ?5)"},
        {&insert_conflict_,
         "INSERT INTO conflicts(post, seq, stored_hash, received_hash, envelope, received_ms) "
         "VALUES(?1, ?2, ?3, ?4, ?5, ?6)"},
    };
    for (const auto& [stmt, sql] : all) {
      auto prepared = db_->prepare(sql);
      if (!prepared) return prepared.status();
      *stmt = std::move(prepared).value();
    }
    return Status::ok();
  }

  Status transaction(const std::function<Status()>& body) override {
    return db_->transaction(body);
  }

  Status lockPost(const std::string& post, WallMs received_ms) override {
    // BEGIN IMMEDIATE already holds the database's write lock.
    return touch_post_.bind(1, post).bind(2, received_ms).run();
  }

  Result<std::optional<std::pair<std::string, std::string>>> findEvent(const std::string& post,
                                                                       std::int64_t seq) override {
    RowReader reader(select_event_.bind(1, post).bind(2, seq));
    auto row = reader.next();
    if (!row) return row.status();
    if (!*row) return std::optional<std::pair<std::string, std::string>>();
    return std::optional<std::pair<std::string, std::string>>(
        std::pair{select_event_.columnText(0), select_event_.columnText(1)});
  }

  Status insertEvent(const msg::Event& ev, const std::string& wire, WallMs received_ms,
                     std::optional<bool> chain_ok, const char* sig_status) override {
    return insert_event_.bind(1, ev.post)
        .bind(2, ev.seq)
        .bind(3, ev.id)
        .bind(4, ev.type)
        .bind(5, ev.time_ms)
        .bind(6, ev.lane)
        .bind(7, ev.passage)
        .bind(8, ev.prev_hash)
        .bind(9, ev.hash)
        .bind(10, wire)
        .bind(11, received_ms)
        .bind(12, chain_ok ? std::optional<std::int64_t>(*chain_ok ? 1 : 0) : std::nullopt)
        .bind(13, sig_status)
        .run();
  }

  Status setChainOk(const std::string& post, std::int64_t seq, bool ok) override {
    return set_chain_ok_.bind(1, post).bind(2, seq).bind(3, std::int64_t{ok ? 1 : 0}).run();
  }

  Result<bool> insertUnacceptable(const std::string& post, std::int64_t seq,
                                  const std::string& hash, std::int64_t size_bytes,
                                  const std::string& reason, WallMs received_ms) override {
    Status s = insert_unacceptable_.bind(1, post)
                   .bind(2, seq)
                   .bind(3, hash)
                   .bind(4, size_bytes)
                   .bind(5, reason)
                   .bind(6, received_ms)
                   .run();
    if (!s) return s;
    return sqlite3_changes(db_->handle()) > 0;
  }

  Result<bool> seqSettled(const std::string& post, std::int64_t seq) override {
    RowReader reader(select_settled_.bind(1, post).bind(2, seq));
    auto row = reader.next();
    if (!row) return row.status();
    return *row && select_settled_.columnInt(0) != 0;
  }

  Status insertAudit(const AuditRecord& a) override {
    return insert_audit_.bind(1, a.time_ms)
        .bind(2, a.credential)
        .bind(3, a.roles)
        .bind(4, a.remote)
        .bind(5, a.method)
        .bind(6, a.path)
        .bind(7, a.post)
        .bind(8, std::int64_t{a.status})
        .bind(9, a.body_sha256)
        .bind(10, a.detail)
        .run();
  }

  Result<std::vector<AuditRecord>> auditAfter(std::int64_t after_id, int limit) override {
    auto stmt = db_->prepare(
        "SELECT id, time_ms, credential, roles, remote, method, path, post, status, body_sha256, "
        "detail FROM api_audit WHERE id > ?1 ORDER BY id LIMIT ?2");
    if (!stmt) return stmt.status();
    stmt->bind(1, after_id).bind(2, std::int64_t{limit});
    std::vector<AuditRecord> out;
    for (;;) {
      auto row = stmt->step();
      if (!row) return row.status();
      if (!*row) break;
      AuditRecord a;
      a.id = stmt->columnInt(0);
      a.time_ms = stmt->columnInt(1);
      a.credential = stmt->columnText(2);
      a.roles = stmt->columnText(3);
      a.remote = stmt->columnText(4);
      a.method = stmt->columnText(5);
      a.path = stmt->columnText(6);
      a.post = stmt->columnText(7);
      a.status = static_cast<int>(stmt->columnInt(8));
      a.body_sha256 = stmt->columnText(9);
      a.detail = stmt->columnText(10);
      out.push_back(std::move(a));
    }
    return out;
  }

  Result<std::pair<std::int64_t, std::int64_t>> postProgress(const std::string& post) override {
    RowReader reader(select_post_.bind(1, post));
    auto row = reader.next();
    if (!row) return row.status();
    if (!*row) return std::pair<std::int64_t, std::int64_t>{0, 0};
    return std::pair{select_post_.columnInt(0), select_post_.columnInt(1)};
  }

  Status updatePost(const std::string& post, std::int64_t highest, std::int64_t contiguous,
                    const PostDelta& delta) override {
    return update_post_.bind(1, post)
        .bind(2, highest)
        .bind(3, contiguous)
        .bind(4, delta.events)
        .bind(5, delta.duplicates)
        .bind(6, delta.rejected)
        .bind(7, delta.conflicts)
        .bind(8, delta.chain_breaks)
        .bind(9, delta.unacceptable)
        .run();
  }

  Status insertReject(const std::optional<std::string>& post, std::optional<std::int64_t> seq,
                      const std::string& reason, std::string_view bytes,
                      WallMs received_ms) override {
    return insert_reject_.bind(1, post)
        .bind(2, seq)
        .bind(3, reason)
        .bindBlob(4, bytes)
        .bind(5, received_ms)
        .run();
  }

  Status insertConflict(const std::string& post, std::int64_t seq, const std::string& stored_hash,
                        const std::string& received_hash, const std::string& wire,
                        WallMs received_ms) override {
    return insert_conflict_.bind(1, post)
        .bind(2, seq)
        .bind(3, stored_hash)
        .bind(4, received_hash)
        .bind(5, wire)
        .bind(6, received_ms)
        .run();
  }

  Result<std::vector<StoredEvent>> eventsAfter(const EventQuery& query) override;
  Result<std::vector<PostStatus>> postStatus() override;

 private:
  std::unique_ptr<store::Database> db_;
  store::Statement select_event_, insert_event_, set_chain_ok_, insert_unacceptable_,
      select_settled_, insert_audit_, touch_post_, select_post_, update_post_, insert_reject_,
      insert_conflict_;
};

Result<std::vector<StoredEvent>> SqliteBackend::eventsAfter(const EventQuery& query) {
  std::string sql =
      "SELECT cursor, post, seq, id, type, time_ms, lane, passage, prev_hash, hash, envelope, "
      "received_ms, chain_ok, sig_status FROM events WHERE ";
  sql += query.post ? "post = ?1 AND seq > ?2" : "cursor > ?2";
  if (query.type) sql += " AND type = ?3";
  if (query.lane) sql += " AND lane = ?4";
  if (query.from_ms) sql += " AND time_ms >= ?5";
  if (query.to_ms) sql += " AND time_ms < ?6";
  sql += query.post ? " ORDER BY seq" : " ORDER BY cursor";
  sql += " LIMIT ?7";
  auto stmt = db_->prepare(sql);
  if (!stmt) return stmt.status();
  if (query.post) stmt->bind(1, *query.post);
  stmt->bind(2, query.after);
  if (query.type) stmt->bind(3, *query.type);
  if (query.lane) stmt->bind(4, *query.lane);
  if (query.from_ms) stmt->bind(5, *query.from_ms);
  if (query.to_ms) stmt->bind(6, *query.to_ms);
  stmt->bind(7, std::int64_t{query.limit});
  std::vector<StoredEvent> events;
  for (;;) {
    auto row = stmt->step();
    if (!row) return row.status();
    if (!*row) break;
    StoredEvent e;
    e.cursor = stmt->columnInt(0);
    e.post = stmt->columnText(1);
    e.seq = stmt->columnInt(2);
    e.id = stmt->columnText(3);
    e.type = stmt->columnText(4);
    e.time_ms = stmt->columnInt(5);
    e.lane = stmt->columnText(6);
    e.passage = stmt->columnText(7);
    e.prev_hash = stmt->columnText(8);
    e.hash = stmt->columnText(9);
    e.envelope = stmt->columnText(10);
    e.received_ms = stmt->columnInt(11);
    e.chain_ok = optionalBool(*stmt, 12);
    e.sig_status = stmt->columnText(13);
    events.push_back(std::move(e));
  }
  return events;
}

Result<std::vector<PostStatus>> SqliteBackend::postStatus() {
  auto posts = db_->prepare(
      "SELECT post, highest_seq, contiguous_seq, last_seen_ms, events, duplicates, rejected, "
      "conflicts, chain_breaks, unacceptable FROM posts ORDER BY post");
  if (!posts) return posts.status();
  // Missing ranges above contiguous_seq: pairs of neighbouring settled seqs (stored, or
  // unacceptable) more than 1 apart.
  auto gaps = db_->prepare(
      "SELECT prev + 1, seq - 1 FROM (SELECT seq, LAG(seq, 1, ?2) OVER (ORDER BY seq) AS prev "
      "FROM (SELECT seq FROM events WHERE post = ?1 AND seq > ?2 UNION "
      "SELECT seq FROM unacceptable WHERE post = ?1 AND seq > ?2)) "
      "WHERE seq - prev > 1 ORDER BY seq LIMIT ?3");
  if (!gaps) return gaps.status();
  auto unacceptable =
      db_->prepare("SELECT seq FROM unacceptable WHERE post = ?1 ORDER BY seq LIMIT ?2");
  if (!unacceptable) return unacceptable.status();
  std::vector<PostStatus> out;
  for (;;) {
    auto row = posts->step();
    if (!row) return row.status();
    if (!*row) break;
    PostStatus p;
    p.post = posts->columnText(0);
    p.highest_seq = posts->columnInt(1);
    p.contiguous_seq = posts->columnInt(2);
    p.last_seen_ms = posts->columnInt(3);
    p.events = posts->columnInt(4);
    p.duplicates = posts->columnInt(5);
    p.rejected = posts->columnInt(6);
    p.conflicts = posts->columnInt(7);
    p.chain_breaks = posts->columnInt(8);
    p.unacceptable = posts->columnInt(9);
    if (p.unacceptable > 0) {
      unacceptable->bind(1, p.post).bind(2, std::int64_t{kMaxGapsListed});
      RowReader seqs(*unacceptable);
      for (;;) {
        auto u = seqs.next();
        if (!u) return u.status();
        if (!*u) break;
        p.unacceptable_seqs.push_back(unacceptable->columnInt(0));
      }
    }
    gaps->bind(1, p.post).bind(2, p.contiguous_seq).bind(3, std::int64_t{kMaxGapsListed + 1});
    RowReader reader(*gaps);
    for (;;) {
      auto g = reader.next();
      if (!g) return g.status();
      if (!*g) break;
      if (p.gaps.size() == static_cast<std::size_t>(kMaxGapsListed)) {
        p.gaps_truncated = true;
        break;
      }
      p.gaps.emplace_back(gaps->columnInt(0), gaps->columnInt(1));
    }
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

int latestSqliteSchemaVersion() { return centralSchema().latest(); }

Result<std::unique_ptr<StoreBackend>> openSqliteBackend(const std::string& path, bool read_only) {
  if (read_only) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
      return Status::error(path + ": no such database file");
    }
  }
  auto db = store::Database::open(path, store::Durability::kFull, read_only);
  if (!db) return db.status();
  if (read_only) {
    auto version = store::schemaVersion(**db, centralSchema());
    if (!version) return version.status();
    if (*version != centralSchema().latest()) {
      return Status::error(path + ": schema version " + std::to_string(*version) +
                           " is older than " + std::to_string(centralSchema().latest()) +
                           "; run `kordon-central serve` once to migrate it");
    }
  } else {
    auto migrated = store::migrate(**db, centralSchema());
    if (!migrated) return migrated.status();
  }
  auto backend = std::make_unique<SqliteBackend>(std::move(db).value());
  if (Status s = backend->prepare(); !s) return s;
  return std::unique_ptr<StoreBackend>(std::move(backend));
}

}  // namespace kordon::central
