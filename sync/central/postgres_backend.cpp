// SPDX-License-Identifier: Apache-2.0
// CentralStore's PostgreSQL backend (libpqxx), for `[central] db = "postgresql://..."`. Same
// tables and rules as SQLite; each ingest is one transaction that first locks its post's row
// (SELECT ... FOR UPDATE), so instances ingesting the same post never interleave. The schema
// version lives in kordon_central_schema; a newer database is refused.
//
// Every libpqxx exception is caught here and becomes a Status.

#include "sync/central/store_backend.hpp"

#include <pqxx/pqxx>

namespace kordon::central {
namespace {

constexpr int kPostgresSchemaVersion = 3;  // the SQLite schema's version, same tables

// Version 2, as first created; kUpgrades take it forward.
constexpr const char* kSchema = R"sql(
CREATE TABLE kordon_central_schema(version INTEGER NOT NULL);
INSERT INTO kordon_central_schema VALUES(2);
CREATE TABLE events(
  cursor BIGSERIAL PRIMARY KEY,
  post TEXT NOT NULL,
  seq BIGINT NOT NULL,
  id TEXT NOT NULL,
  type TEXT NOT NULL,
  time_ms BIGINT NOT NULL,
  lane TEXT NOT NULL,
  passage TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  envelope TEXT NOT NULL,
  received_ms BIGINT NOT NULL,
  chain_ok BOOLEAN,
  sig_status TEXT NOT NULL DEFAULT 'unverified',
  UNIQUE(post, seq));
CREATE INDEX events_by_type ON events(type, cursor);
CREATE INDEX events_by_time ON events(time_ms);
CREATE TABLE posts(
  post TEXT PRIMARY KEY,
  highest_seq BIGINT NOT NULL DEFAULT 0,
  contiguous_seq BIGINT NOT NULL DEFAULT 0,
  last_seen_ms BIGINT NOT NULL DEFAULT 0,
  events BIGINT NOT NULL DEFAULT 0,
  duplicates BIGINT NOT NULL DEFAULT 0,
  rejected BIGINT NOT NULL DEFAULT 0,
  conflicts BIGINT NOT NULL DEFAULT 0,
  chain_breaks BIGINT NOT NULL DEFAULT 0);
CREATE TABLE conflicts(
  id BIGSERIAL PRIMARY KEY,
  post TEXT NOT NULL,
  seq BIGINT NOT NULL,
  stored_hash TEXT NOT NULL,
  received_hash TEXT NOT NULL,
  envelope TEXT NOT NULL,
  received_ms BIGINT NOT NULL);
CREATE TABLE rejects(
  id BIGSERIAL PRIMARY KEY,
  post TEXT,
  seq BIGINT,
  reason TEXT NOT NULL,
  envelope BYTEA NOT NULL,
  received_ms BIGINT NOT NULL);
)sql";

// kUpgrades[i] takes the schema from version i + 2 to i + 3 (as the SQLite migrations do).
constexpr const char* kUpgrades[] = {
    R"sql(
CREATE TABLE api_audit(
  id BIGSERIAL PRIMARY KEY,
  time_ms BIGINT NOT NULL,
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
  seq BIGINT NOT NULL,
  hash TEXT NOT NULL,
  size_bytes BIGINT NOT NULL,
  reason TEXT NOT NULL,
  received_ms BIGINT NOT NULL,
  PRIMARY KEY(post, seq));
ALTER TABLE posts ADD COLUMN unacceptable BIGINT NOT NULL DEFAULT 0;
UPDATE kordon_central_schema SET version = 3;
)sql",
};

Status pgError(const std::string& context, const std::exception& e) {
  std::string what = e.what();
  while (!what.empty() && (what.back() == '\n' || what.back() == ' ')) what.pop_back();
  return Status::error(context + ": " + what);
}

// Runs `body`, turning libpqxx exceptions into a Status.
template <typename F>
auto guarded(const std::string& context, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const std::exception& e) {
    return pgError(context, e);
  }
}

class PostgresBackend final : public StoreBackend {
 public:
  explicit PostgresBackend(std::unique_ptr<pqxx::connection> conn) : conn_(std::move(conn)) {}

  Status transaction(const std::function<Status()>& body) override {
    return guarded("transaction", [&]() -> Status {
      tx_ = std::make_unique<pqxx::work>(*conn_);
      Status s = body();
      if (s) {
        tx_->commit();
      } else {
        tx_->abort();
      }
      tx_.reset();
      return s;
    });
  }

  Status lockPost(const std::string& post, WallMs received_ms) override {
    return guarded("lock post", [&]() -> Status {
      tx_->exec_params(
          "INSERT INTO posts(post, last_seen_ms) VALUES($1, $2) ON CONFLICT(post) DO UPDATE SET "
          "last_seen_ms = GREATEST(posts.last_seen_ms, excluded.last_seen_ms)",
          post, received_ms);
      tx_->exec_params("SELECT 1 FROM posts WHERE post = $1 FOR UPDATE", post);
      return Status::ok();
    });
  }

  Result<std::optional<std::pair<std::string, std::string>>> findEvent(const std::string& post,
                                                                       std::int64_t seq) override {
    using Found = std::optional<std::pair<std::string, std::string>>;
    return guarded("find event", [&]() -> Result<Found> {
      const pqxx::result r = tx_->exec_params(
          "SELECT hash, prev_hash FROM events WHERE post = $1 AND seq = $2", post, seq);
      if (r.empty()) return Found();
      return Found(std::pair{r[0][0].as<std::string>(), r[0][1].as<std::string>()});
    });
  }

  Status insertEvent(const msg::Event& ev, const std::string& wire, WallMs received_ms,
                     std::optional<bool> chain_ok, const char* sig_status) override {
    return guarded("insert event", [&]() -> Status {
      tx_->exec_params(
          "INSERT INTO events(post, seq, id, type, time_ms, lane, passage, prev_hash, hash, "
          "envelope, received_ms, chain_ok, sig_status) "
          "VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
          ev.post, ev.seq, ev.id, ev.type, ev.time_ms, ev.lane, ev.passage, ev.prev_hash, ev.hash,
          wire, received_ms, chain_ok, std::string(sig_status));
      return Status::ok();
    });
  }

  Status setChainOk(const std::string& post, std::int64_t seq, bool ok) override {
    return guarded("set chain_ok", [&]() -> Status {
      tx_->exec_params("UPDATE events SET chain_ok = $3 WHERE post = $1 AND seq = $2", post, seq,
                       ok);
      return Status::ok();
    });
  }

  Result<bool> insertUnacceptable(const std::string& post, std::int64_t seq,
                                  const std::string& hash, std::int64_t size_bytes,
                                  const std::string& reason, WallMs received_ms) override {
    return guarded("insert unacceptable", [&]() -> Result<bool> {
      const pqxx::result r = tx_->exec_params(
          "INSERT INTO unacceptable(post, seq, hash, size_bytes, reason, received_ms) "
          "VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT(post, seq) DO NOTHING",
          post, seq, hash, size_bytes, reason, received_ms);
      return r.affected_rows() > 0;
    });
  }

  Result<bool> seqSettled(const std::string& post, std::int64_t seq) override {
    return guarded("seq settled", [&]() -> Result<bool> {
      const pqxx::result r = tx_->exec_params(
          "SELECT EXISTS(SELECT 1 FROM events WHERE post = $1 AND seq = $2) OR "
          "EXISTS(SELECT 1 FROM unacceptable WHERE post = $1 AND seq = $2)",
          post, seq);
      return r[0][0].as<bool>();
    });
  }

  Status insertAudit(const AuditRecord& a) override {
    return guarded("insert audit", [&]() -> Status {
      tx_->exec_params(
          "INSERT INTO api_audit(time_ms, credential, roles, remote, method, path, post, "
          "status, body_sha256, detail) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
          a.time_ms, a.credential, a.roles, a.remote, a.method, a.path, a.post, a.status,
          a.body_sha256, a.detail);
      return Status::ok();
    });
  }

  Result<std::vector<AuditRecord>> auditAfter(std::int64_t after_id, int limit) override {
    return guarded("audit", [&]() -> Result<std::vector<AuditRecord>> {
      pqxx::read_transaction tx(*conn_);
      std::vector<AuditRecord> out;
      for (const pqxx::row& row : tx.exec_params(
               "SELECT id, time_ms, credential, roles, remote, method, path, post, status, "
               "body_sha256, detail FROM api_audit WHERE id > $1 ORDER BY id LIMIT $2",
               after_id, limit)) {
        AuditRecord a;
        a.id = row[0].as<std::int64_t>();
        a.time_ms = row[1].as<std::int64_t>();
        a.credential = row[2].as<std::string>();
        a.roles = row[3].as<std::string>();
        a.remote = row[4].as<std::string>();
        a.method = row[5].as<std::string>();
        a.path = row[6].as<std::string>();
        a.post = row[7].as<std::string>();
        a.status = row[8].as<int>();
        a.body_sha256 = row[9].as<std::string>();
        a.detail = row[10].as<std::string>();
        out.push_back(std::move(a));
      }
      return out;
    });
  }

  Result<std::pair<std::int64_t, std::int64_t>> postProgress(const std::string& post) override {
    using Progress = std::pair<std::int64_t, std::int64_t>;
    return guarded("post progress", [&]() -> Result<Progress> {
      const pqxx::result r =
          tx_->exec_params("SELECT highest_seq, contiguous_seq FROM posts WHERE post = $1", post);
      if (r.empty()) return Progress{0, 0};
      return Progress{r[0][0].as<std::int64_t>(), r[0][1].as<std::int64_t>()};
    });
  }

  Status updatePost(const std::string& post, std::int64_t highest, std::int64_t contiguous,
                    const PostDelta& delta) override {
    return guarded("update post", [&]() -> Status {
      tx_->exec_params(
          "UPDATE posts SET highest_seq = $2, contiguous_seq = $3, events = events + $4, "
          "duplicates = duplicates + $5, rejected = rejected + $6, conflicts = conflicts + $7, "
          "chain_breaks = chain_breaks + $8, unacceptable = unacceptable + $9 WHERE post = $1",
          post, highest, contiguous, delta.events, delta.duplicates, delta.rejected,
          delta.conflicts, delta.chain_breaks, delta.unacceptable);
      return Status::ok();
    });
  }

  Status insertReject(const std::optional<std::string>& post, std::optional<std::int64_t> seq,
                      const std::string& reason, std::string_view bytes,
                      WallMs received_ms) override {
    return guarded("insert reject", [&]() -> Status {
      // Not valid UTF-8 perhaps: stored as bytes.
      const pqxx::binarystring raw(bytes.data(), bytes.size());
      tx_->exec_params(
          "INSERT INTO rejects(post, seq, reason, envelope, received_ms) "
          "VALUES($1, $2, $3, $4, $5)",
          post, seq, reason, raw, received_ms);
      return Status::ok();
    });
  }

  Status insertConflict(const std::string& post, std::int64_t seq, const std::string& stored_hash,
                        const std::string& received_hash, const std::string& wire,
                        WallMs received_ms) override {
    return guarded("insert conflict", [&]() -> Status {
      tx_->exec_params(
          "INSERT INTO conflicts(post, seq, stored_hash, received_hash, envelope, received_ms) "
          "VALUES($1, $2, $3, $4, $5, $6)",
          post, seq, stored_hash, received_hash, wire, received_ms);
      return Status::ok();
    });
  }

  Result<std::vector<StoredEvent>> eventsAfter(const EventQuery& query) override {
    return guarded("query", [&]() -> Result<std::vector<StoredEvent>> {
      pqxx::read_transaction tx(*conn_);
      // Filters are optional, so the SQL is built with quoted literals rather than placeholders.
      std::string sql =
          "SELECT cursor, post, seq, id, type, time_ms, lane, passage, prev_hash, hash, "
          "envelope, received_ms, chain_ok, sig_status FROM events WHERE ";
      sql += query.post ? "post = " + tx.quote(*query.post) + " AND seq > " : "cursor > ";
      sql += std::to_string(query.after);
      if (query.type) sql += " AND type = " + tx.quote(*query.type);
      if (query.lane) sql += " AND lane = " + tx.quote(*query.lane);
      if (query.from_ms) sql += " AND time_ms >= " + std::to_string(*query.from_ms);
      if (query.to_ms) sql += " AND time_ms < " + std::to_string(*query.to_ms);
      sql += query.post ? " ORDER BY seq" : " ORDER BY cursor";
      sql += " LIMIT " + std::to_string(query.limit);
      std::vector<StoredEvent> events;
      for (const pqxx::row& row : tx.exec(sql)) {
        StoredEvent e;
        e.cursor = row[0].as<std::int64_t>();
        e.post = row[1].as<std::string>();
        e.seq = row[2].as<std::int64_t>();
        e.id = row[3].as<std::string>();
        e.type = row[4].as<std::string>();
        e.time_ms = row[5].as<std::int64_t>();
        e.lane = row[6].as<std::string>();
        e.passage = row[7].as<std::string>();
        e.prev_hash = row[8].as<std::string>();
        e.hash = row[9].as<std::string>();
        e.envelope = row[10].as<std::string>();
        e.received_ms = row[11].as<std::int64_t>();
        if (!row[12].is_null()) e.chain_ok = row[12].as<bool>();
        e.sig_status = row[13].as<std::string>();
        events.push_back(std::move(e));
      }
      return events;
    });
  }

  Result<std::vector<PostStatus>> postStatus() override {
    return guarded("post status", [&]() -> Result<std::vector<PostStatus>> {
      pqxx::read_transaction tx(*conn_);
      std::vector<PostStatus> out;
      for (const pqxx::row& row :
           tx.exec("SELECT post, highest_seq, contiguous_seq, last_seen_ms, events, duplicates, "
                   "rejected, conflicts, chain_breaks, unacceptable FROM posts ORDER BY post")) {
        PostStatus p;
        p.post = row[0].as<std::string>();
        p.highest_seq = row[1].as<std::int64_t>();
        p.contiguous_seq = row[2].as<std::int64_t>();
        p.last_seen_ms = row[3].as<std::int64_t>();
        p.events = row[4].as<std::int64_t>();
        p.duplicates = row[5].as<std::int64_t>();
        p.rejected = row[6].as<std::int64_t>();
        p.conflicts = row[7].as<std::int64_t>();
        p.chain_breaks = row[8].as<std::int64_t>();
        p.unacceptable = row[9].as<std::int64_t>();
        if (p.unacceptable > 0) {
          for (const pqxx::row& u :
               tx.exec_params("SELECT seq FROM unacceptable WHERE post = $1 ORDER BY seq LIMIT $2",
                              p.post, std::int64_t{kMaxGapsListed})) {
            p.unacceptable_seqs.push_back(u[0].as<std::int64_t>());
          }
        }
        const pqxx::result gaps = tx.exec_params(
            "SELECT prev + 1, seq - 1 FROM (SELECT seq, LAG(seq, 1, $2) OVER (ORDER BY seq) AS "
            "prev FROM (SELECT seq FROM events WHERE post = $1 AND seq > $2 UNION "
            "SELECT seq FROM unacceptable WHERE post = $1 AND seq > $2) AS settled) AS s "
            "WHERE seq - prev > 1 ORDER BY seq LIMIT $3",
            p.post, p.contiguous_seq, std::int64_t{kMaxGapsListed + 1});
        for (const pqxx::row& g : gaps) {
          if (p.gaps.size() == static_cast<std::size_t>(kMaxGapsListed)) {
            p.gaps_truncated = true;
            break;
          }
          p.gaps.emplace_back(g[0].as<std::int64_t>(), g[1].as<std::int64_t>());
        }
        out.push_back(std::move(p));
      }
      return out;
    });
  }

 private:
  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<pqxx::work> tx_;  // during transaction() only
};

}  // namespace

bool isPostgresUri(const std::string& db) {
  return db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0;
}

Result<std::unique_ptr<StoreBackend>> openPostgresBackend(const std::string& conninfo,
                                                          bool read_only) {
  return guarded("postgresql", [&]() -> Result<std::unique_ptr<StoreBackend>> {
    auto conn = std::make_unique<pqxx::connection>(conninfo);
    int version = 0;
    {
      pqxx::work tx(*conn);
      const pqxx::result exists =
          tx.exec("SELECT to_regclass('kordon_central_schema') IS NOT NULL");
      if (exists[0][0].as<bool>()) {
        version = tx.exec("SELECT version FROM kordon_central_schema")[0][0].as<int>();
      } else if (!read_only) {
        tx.exec(kSchema);
        version = 2;
      }
      // Forward, in the same transaction: a failed upgrade leaves the database as it was.
      while (!read_only && version >= 2 && version < kPostgresSchemaVersion) {
        tx.exec(kUpgrades[version - 2]);
        ++version;
      }
      tx.commit();
    }
    if (version != kPostgresSchemaVersion) {
      return Status::error(
          "postgresql: schema version " + std::to_string(version) +
          (version > kPostgresSchemaVersion ? " is newer than this binary's " : " is not ") +
          std::to_string(kPostgresSchemaVersion));
    }
    return std::unique_ptr<StoreBackend>(std::make_unique<PostgresBackend>(std::move(conn)));
  });
}

}  // namespace kordon::central
