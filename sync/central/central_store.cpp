// SPDX-License-Identifier: Apache-2.0
#include "sync/central/central_store.hpp"

#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "edge/msg/event.hpp"
#include "edge/msg/topics.hpp"
#include "edge/store/migrations.hpp"

namespace kordon::central {
namespace {

using nlohmann::json;

// 'KORC' in the SQLite header, so an edge database (or any other file) is never taken for ours.
constexpr std::int32_t kApplicationId = 0x4B4F5243;
// seq + 1 must never overflow.
constexpr std::int64_t kMaxSeq = std::int64_t{1} << 62;
constexpr int kMaxJsonDepth = 32;

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

std::string clip(const std::string& s, std::size_t n) {
  return s.size() <= n ? s : s.substr(0, n) + "...";
}

// Parses and validates one wire envelope. Rejects what nlohmann would silently accept but a
// reader downstream might see differently: duplicate keys, a byte-order mark, deep nesting,
// and top-level fields the hash does not cover.
Status parseWire(const std::string& wire, msg::Event* out) {
  if (wire.size() > kMaxEnvelopeBytes) {
    return Status::error("envelope: " + std::to_string(wire.size()) +
                         " bytes exceeds the limit of " + std::to_string(kMaxEnvelopeBytes));
  }
  if (wire.size() >= 3 && wire.compare(0, 3, "\xEF\xBB\xBF") == 0) {
    return Status::error("envelope: byte-order mark not allowed");
  }
  std::string problem;
  std::vector<std::set<std::string>> keys;
  json::parser_callback_t check = [&](int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
        keys.emplace_back();
        [[fallthrough]];
      case json::parse_event_t::array_start:
        if (depth > kMaxJsonDepth && problem.empty()) problem = "envelope: nested too deeply";
        break;
      case json::parse_event_t::key:
        if (!keys.empty() && parsed.is_string() &&
            !keys.back().insert(parsed.get_ref<const std::string&>()).second && problem.empty()) {
          problem =
              "envelope: duplicate key \"" + clip(parsed.get_ref<const std::string&>(), 64) + "\"";
        }
        break;
      case json::parse_event_t::object_end:
        if (!keys.empty()) keys.pop_back();
        break;
      default:
        break;
    }
    return true;
  };
  const json j = json::parse(wire, check, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::error("envelope: not valid JSON");
  if (!problem.empty()) return Status::error(problem);
  if (!j.is_object()) return Status::error("envelope: expected a JSON object");
  static const std::set<std::string> kKnown = {"schema",    "post", "seq",     "id",
                                               "type",      "time", "lane",    "passage",
                                               "prev_hash", "hash", "payload", "sig"};
  for (const auto& item : j.items()) {
    if (!kKnown.count(item.key())) {
      return Status::error("envelope: unexpected field \"" + clip(item.key(), 64) +
                           "\" (not covered by the hash)");
    }
  }
  if (j.contains("schema") && !j["schema"].is_string()) {
    return Status::error("schema: expected a string");
  }
  Result<msg::Event> event = Status::error("envelope: unparsed");
  try {  // parseEvent is an adapter over nlohmann, which throws on some type mismatches
    event = msg::parseEvent(j);
  } catch (const json::exception& e) {
    return Status::error(std::string("envelope: ") + e.what());
  }
  if (!event) return event.status();
  *out = std::move(event).value();
  if (!isValidPostId(out->post)) {
    return Status::error("post: expected 1..64 characters of [A-Za-z0-9._-]");
  }
  if (out->seq > kMaxSeq) return Status::error("seq: out of range");
  const std::string expected = msg::computeEventHash(*out);
  if (expected != out->hash) {
    return Status::error("hash: envelope says " + out->hash + " but its content hashes to " +
                         expected);
  }
  return Status::ok();
}

std::optional<bool> optionalBool(const store::Statement& stmt, int col) {
  if (stmt.columnIsNull(col)) return std::nullopt;
  return stmt.columnInt(col) != 0;
}

}  // namespace

const char* toString(IngestOutcome outcome) {
  switch (outcome) {
    case IngestOutcome::kStored:
      return "stored";
    case IngestOutcome::kDuplicate:
      return "duplicate";
    case IngestOutcome::kConflict:
      return "conflict";
    case IngestOutcome::kRejected:
      return "rejected";
  }
  return "?";
}

bool isValidPostId(const std::string& post) {
  if (post.empty() || post.size() > 64) return false;
  for (char c : post) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<std::string> postFromEventsTopic(const std::string& topic) {
  static const std::string kPrefix = "kordon/v1/";
  static const std::string kSuffix = "/events";
  if (topic.size() <= kPrefix.size() + kSuffix.size()) return std::nullopt;
  if (topic.compare(0, kPrefix.size(), kPrefix) != 0) return std::nullopt;
  if (topic.compare(topic.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
    return std::nullopt;
  }
  std::string post = topic.substr(kPrefix.size(), topic.size() - kPrefix.size() - kSuffix.size());
  if (!isValidPostId(post)) return std::nullopt;
  return post;
}

struct CentralStore::Statements {
  store::Statement select_event;
  store::Statement insert_event;
  store::Statement set_chain_ok;
  store::Statement touch_post;
  store::Statement select_post;
  store::Statement update_post;
  store::Statement insert_reject;
  store::Statement insert_conflict;
};

CentralStore::CentralStore(std::unique_ptr<store::Database> db, bool read_only)
    : db_(std::move(db)), read_only_(read_only) {}

CentralStore::~CentralStore() = default;

Status CentralStore::prepareStatements() {
  stmts_ = std::make_unique<Statements>();
  const std::vector<std::pair<store::Statement*, const char*>> all = {
      {&stmts_->select_event, "SELECT hash, prev_hash FROM events WHERE post = ?1 AND seq = ?2"},
      {&stmts_->insert_event,
       "INSERT INTO events(post, seq, id, type, time_ms, lane, passage, prev_hash, hash, envelope, "
       "received_ms, chain_ok, sig_status) "
       "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"},
      {&stmts_->set_chain_ok, "UPDATE events SET chain_ok = ?3 WHERE post = ?1 AND seq = ?2"},
      {&stmts_->touch_post,
       "INSERT INTO posts(post, last_seen_ms) VALUES(?1, ?2) ON CONFLICT(post) DO UPDATE SET "
       "last_seen_ms = MAX(last_seen_ms, excluded.last_seen_ms)"},
      {&stmts_->select_post, "SELECT highest_seq, contiguous_seq FROM posts WHERE post = ?1"},
      {&stmts_->update_post,
       "UPDATE posts SET highest_seq = ?2, contiguous_seq = ?3, events = events + ?4, "
       "duplicates = duplicates + ?5, rejected = rejected + ?6, conflicts = conflicts + ?7, "
       "chain_breaks = chain_breaks + ?8 WHERE post = ?1"},
      {&stmts_->insert_reject,
       "INSERT INTO rejects(post, seq, reason, envelope, received_ms) VALUES(?1, ?2, ?3, ?4, ?5)"},
      {&stmts_->insert_conflict,
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

int CentralStore::latestSchemaVersion() { return centralSchema().latest(); }

Result<std::unique_ptr<CentralStore>> CentralStore::open(const std::string& path) {
  auto db = store::Database::open(path, store::Durability::kFull);
  if (!db) return db.status().withContext("central store");
  auto migrated = store::migrate(**db, centralSchema());
  if (!migrated) return migrated.status().withContext("central store");
  std::unique_ptr<CentralStore> store(new CentralStore(std::move(db).value(), false));
  if (Status s = store->prepareStatements(); !s) return s.withContext("central store");
  return store;
}

Result<std::unique_ptr<CentralStore>> CentralStore::openReadOnly(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Status::error("central store: " + path + ": no such database file");
  }
  auto db = store::Database::open(path, store::Durability::kFull, /*read_only=*/true);
  if (!db) return db.status().withContext("central store");
  auto version = store::schemaVersion(**db, centralSchema());
  if (!version) return version.status().withContext("central store");
  if (*version != latestSchemaVersion()) {
    return Status::error("central store: " + path + ": schema version " + std::to_string(*version) +
                         " is older than " + std::to_string(latestSchemaVersion()) +
                         "; run `kordon-central serve` once to migrate it");
  }
  std::unique_ptr<CentralStore> store(new CentralStore(std::move(db).value(), true));
  if (Status s = store->prepareStatements(); !s) return s.withContext("central store");
  return store;
}

Result<IngestOutcome> CentralStore::ingest(const std::string& wire_json, WallMs received_ms,
                                           IngestDetail* detail) {
  return ingestImpl(wire_json, received_ms, std::nullopt, detail);
}

Result<IngestOutcome> CentralStore::ingestFromTopic(const std::string& topic,
                                                    const std::string& wire_json,
                                                    WallMs received_ms, IngestDetail* detail) {
  auto post = postFromEventsTopic(topic);
  if (!post) {
    // Cannot come through kAllEventsFilter, but the topic is untrusted input all the same.
    IngestDetail local;
    IngestDetail& d = detail ? *detail : local;
    d = IngestDetail{};
    d.reason = "topic: \"" + clip(topic, 128) + "\" is not kordon/v1/{post}/events";
    Status s = db_->transaction([&]() -> Status {
      return stmts_->insert_reject.bind(1, std::nullopt)
          .bind(2, std::nullopt)
          .bind(3, d.reason)
          .bindBlob(4, std::string_view(wire_json).substr(0, kMaxEnvelopeBytes))
          .bind(5, received_ms)
          .run();
    });
    if (!s) return s.withContext("central store: ingest");
    return IngestOutcome::kRejected;
  }
  return ingestImpl(wire_json, received_ms, post, detail);
}

Result<IngestOutcome> CentralStore::ingestImpl(const std::string& wire_json, WallMs received_ms,
                                               const std::optional<std::string>& topic_post,
                                               IngestDetail* detail) {
  if (read_only_) return Status::error("central store: ingest on a read-only store");
  IngestDetail local;
  IngestDetail& d = detail ? *detail : local;
  d = IngestDetail{};

  msg::Event ev;
  Status valid = parseWire(wire_json, &ev);
  if (valid && topic_post && ev.post != *topic_post) {
    valid = Status::error("post: envelope says \"" + ev.post + "\" but it came on " +
                          msg::eventsTopic(*topic_post));
  }
  if (valid) valid = checkSignature(ev);
  // Who to count a reject against: the authenticated topic first, else what the envelope says.
  std::optional<std::string> account = topic_post;
  if (!account && !ev.post.empty() && isValidPostId(ev.post)) account = ev.post;
  d.post = account.value_or("");
  d.seq = ev.seq;
  d.hash = ev.hash;

  struct Delta {
    std::int64_t events = 0, duplicates = 0, rejected = 0, conflicts = 0, chain_breaks = 0;
  };
  auto updatePost = [&](const std::string& post, const Delta& delta,
                        std::optional<std::int64_t> stored_seq) -> Status {
    if (Status s = stmts_->touch_post.bind(1, post).bind(2, received_ms).run(); !s) return s;
    std::int64_t highest = 0;
    std::int64_t contiguous = 0;
    {
      RowReader reader(stmts_->select_post.bind(1, post));
      auto row = reader.next();
      if (!row) return row.status();
      if (*row) {
        highest = stmts_->select_post.columnInt(0);
        contiguous = stmts_->select_post.columnInt(1);
      }
    }
    if (stored_seq) {
      highest = std::max(highest, *stored_seq);
      if (*stored_seq == contiguous + 1) {
        // Walk forward over events that arrived early; each step is one index lookup.
        for (;;) {
          RowReader reader(stmts_->select_event.bind(1, post).bind(2, contiguous + 1));
          auto row = reader.next();
          if (!row) return row.status();
          if (!*row) break;
          ++contiguous;
        }
      }
    }
    return stmts_->update_post.bind(1, post)
        .bind(2, highest)
        .bind(3, contiguous)
        .bind(4, delta.events)
        .bind(5, delta.duplicates)
        .bind(6, delta.rejected)
        .bind(7, delta.conflicts)
        .bind(8, delta.chain_breaks)
        .run();
  };

  IngestOutcome outcome = IngestOutcome::kRejected;
  Status written;
  if (!valid) {
    d.reason = valid.message();
    written = db_->transaction([&]() -> Status {
      const bool have_seq = ev.seq > 0;
      Status s = stmts_->insert_reject.bind(1, account)
                     .bind(2, have_seq ? std::optional<std::int64_t>(ev.seq) : std::nullopt)
                     .bind(3, d.reason)
                     .bindBlob(4, std::string_view(wire_json).substr(0, kMaxEnvelopeBytes))
                     .bind(5, received_ms)
                     .run();
      if (!s || !account) return s;
      Delta delta;
      delta.rejected = 1;
      return updatePost(*account, delta, std::nullopt);
    });
  } else {
    written = db_->transaction([&]() -> Status {
      Delta delta;
      std::optional<std::string> existing_hash;
      {
        RowReader reader(stmts_->select_event.bind(1, ev.post).bind(2, ev.seq));
        auto row = reader.next();
        if (!row) return row.status();
        if (*row) existing_hash = stmts_->select_event.columnText(0);
      }
      if (existing_hash && *existing_hash == ev.hash) {
        outcome = IngestOutcome::kDuplicate;
        delta.duplicates = 1;
        return updatePost(ev.post, delta, std::nullopt);
      }
      if (existing_hash) {
        outcome = IngestOutcome::kConflict;
        d.reason = "seq " + std::to_string(ev.seq) + " is stored with hash " + *existing_hash +
                   "; this one has " + ev.hash;
        delta.conflicts = 1;
        Status s = stmts_->insert_conflict.bind(1, ev.post)
                       .bind(2, ev.seq)
                       .bind(3, *existing_hash)
                       .bind(4, ev.hash)
                       .bind(5, wire_json)
                       .bind(6, received_ms)
                       .run();
        if (!s) return s;
        return updatePost(ev.post, delta, std::nullopt);
      }

      // New event: check its link back, store it, then check the link forward.
      std::optional<bool> chain_ok;
      if (ev.seq == 1) {
        chain_ok = ev.prev_hash == msg::kGenesisHash;
      } else {
        RowReader reader(stmts_->select_event.bind(1, ev.post).bind(2, ev.seq - 1));
        auto row = reader.next();
        if (!row) return row.status();
        if (*row) chain_ok = stmts_->select_event.columnText(0) == ev.prev_hash;
      }
      if (chain_ok == false) ++delta.chain_breaks;
      Status s =
          stmts_->insert_event.bind(1, ev.post)
              .bind(2, ev.seq)
              .bind(3, ev.id)
              .bind(4, ev.type)
              .bind(5, ev.time_ms)
              .bind(6, ev.lane)
              .bind(7, ev.passage)
              .bind(8, ev.prev_hash)
              .bind(9, ev.hash)
              .bind(10, wire_json)
              .bind(11, received_ms)
              .bind(12, chain_ok ? std::optional<std::int64_t>(*chain_ok ? 1 : 0) : std::nullopt)
              .bind(13, post_keys_ ? kSigVerified : kSigUnverified)
              .run();
      if (!s) return s;
      std::optional<bool> next_ok;
      {
        RowReader reader(stmts_->select_event.bind(1, ev.post).bind(2, ev.seq + 1));
        auto row = reader.next();
        if (!row) return row.status();
        if (*row) next_ok = stmts_->select_event.columnText(1) == ev.hash;
      }
      if (next_ok) {
        if (!*next_ok) ++delta.chain_breaks;
        s = stmts_->set_chain_ok.bind(1, ev.post)
                .bind(2, ev.seq + 1)
                .bind(3, std::int64_t{*next_ok ? 1 : 0})
                .run();
        if (!s) return s;
      }
      outcome = IngestOutcome::kStored;
      d.chain_ok = chain_ok;
      d.next_ok = next_ok;
      if (chain_ok == false) {
        d.reason = "prev_hash does not match the hash of seq " + std::to_string(ev.seq - 1);
      } else if (next_ok == false) {
        d.reason = "hash does not match the prev_hash of seq " + std::to_string(ev.seq + 1);
      }
      delta.events = 1;
      return updatePost(ev.post, delta, ev.seq);
    });
  }
  if (!written) return written.withContext("central store: ingest");
  return outcome;
}

Status CentralStore::checkSignature(const msg::Event& ev) const {
  if (!post_keys_) return Status::ok();
  auto key = post_keys_->find(ev.post);
  if (key == post_keys_->end()) {
    return Status::error("sig: no public key registered for post \"" + ev.post + "\"");
  }
  if (ev.sig.empty()) return Status::error("sig: unsigned event");
  if (!msg::verifyEventSignature(ev, key->second)) {
    return Status::error("sig: does not verify with the key of post \"" + ev.post + "\"");
  }
  return Status::ok();
}

Result<PostKeys> loadPostKeys(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return Status::error("post keys: " + dir + ": " + ec.message());
  PostKeys keys;
  for (const fs::directory_entry& entry : it) {
    const fs::path& path = entry.path();
    if (path.extension() != ".pub" || !entry.is_regular_file(ec)) continue;
    const std::string post = path.stem().string();
    if (!isValidPostId(post)) continue;
    auto key = VerifyKey::load(path.string());
    if (!key) return key.status().withContext("post keys: " + path.string());
    keys.emplace(post, std::move(key).value());
  }
  return keys;
}

Result<std::vector<StoredEvent>> CentralStore::eventsAfter(const EventQuery& query) {
  if (query.limit < 1 || query.limit > kMaxQueryLimit) {
    return Status::error("limit: expected 1.." + std::to_string(kMaxQueryLimit));
  }
  if (query.after < 0) return Status::error("after: expected a non-negative integer");
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
  if (!stmt) return stmt.status().withContext("central store: query");
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
    if (!row) return row.status().withContext("central store: query");
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

Result<std::vector<PostStatus>> CentralStore::postStatus() {
  auto posts = db_->prepare(
      "SELECT post, highest_seq, contiguous_seq, last_seen_ms, events, duplicates, rejected, "
      "conflicts, chain_breaks FROM posts ORDER BY post");
  if (!posts) return posts.status().withContext("central store: post status");
  // Missing ranges above contiguous_seq: pairs of neighbouring stored seqs more than 1 apart.
  auto gaps = db_->prepare(
      "SELECT prev + 1, seq - 1 FROM (SELECT seq, LAG(seq, 1, ?2) OVER (ORDER BY seq) AS prev "
      "FROM events WHERE post = ?1 AND seq > ?2) WHERE seq - prev > 1 ORDER BY seq LIMIT ?3");
  if (!gaps) return gaps.status().withContext("central store: post status");
  std::vector<PostStatus> out;
  for (;;) {
    auto row = posts->step();
    if (!row) return row.status().withContext("central store: post status");
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
      if (!g) return g.status().withContext("central store: post status");
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

}  // namespace kordon::central
