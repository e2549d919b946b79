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
        {&touch_post_,
         "INSERT INTO posts(post, last_seen_ms) VALUES(?1, ?2) ON CONFLICT(post) DO UPDATE SET "
         "last_seen_ms = MAX(last_seen_ms, excluded.last_seen_ms)"},
        {&select_post_, "SELECT highest_seq, contiguous_seq FROM posts WHERE post = ?1"},
        {&update_post_,
         "UPDATE posts SET highest_seq = ?2, contiguous_seq = ?3, events = events + ?4, "
         "duplicates = duplicates + ?5, rejected = rejected + ?6, conflicts = conflicts + ?7, "
         "chain_breaks = chain_breaks + ?8 WHERE post = ?1"},
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
  store::Statement select_event_, insert_event_, set_chain_ok_, touch_post_, select_post_,
      update_post_, insert_reject_, insert_conflict_;
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
      "conflicts, chain_breaks FROM posts ORDER BY post");
  if (!posts) return posts.status();
  // Missing ranges above contiguous_seq: pairs of neighbouring stored seqs more than 1 apart.
  auto gaps = db_->prepare(
      "SELECT prev + 1, seq - 1 FROM (SELECT seq, LAG(seq, 1, ?2) OVER (ORDER BY seq) AS prev "
      "FROM events WHERE post = ?1 AND seq > ?2) WHERE seq - prev > 1 ORDER BY seq LIMIT ?3");
  if (!gaps) return gaps.status();
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
