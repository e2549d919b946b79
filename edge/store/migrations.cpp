// SPDX-License-Identifier: Apache-2.0
#include "edge/store/migrations.hpp"

namespace kordon::store {

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "declarations cache, passages, event journal and outbox", R"sql(
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version (version) VALUES (0);
CREATE TABLE declarations (
  id          TEXT PRIMARY KEY,
  version     INTEGER NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('active', 'cancelled')),
  plate_norm  TEXT NOT NULL,
  body        TEXT NOT NULL,
  expires_ms  INTEGER,
  received_ms INTEGER NOT NULL
);
CREATE INDEX declarations_by_plate ON declarations (plate_norm);
CREATE TABLE passages (
  id               TEXT PRIMARY KEY,
  lane             TEXT NOT NULL,
  state            TEXT NOT NULL,
  plate_raw        TEXT,
  plate_norm       TEXT,
  plate_confidence INTEGER,
  gross_kg         INTEGER,
  declaration_id   TEXT,
  corridor         TEXT,
  reasons          TEXT,
  ruleset          TEXT,
  arrived_ms       INTEGER,
  identified_ms    INTEGER,
  weighed_ms       INTEGER,
  decided_ms       INTEGER,
  released_ms      INTEGER,
  departed_ms      INTEGER
);
CREATE TABLE journal (
  seq       INTEGER PRIMARY KEY,
  id        TEXT NOT NULL UNIQUE,
  type      TEXT NOT NULL,
  time_ms   INTEGER NOT NULL,
  lane      TEXT NOT NULL,
  passage   TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL,
  envelope  TEXT NOT NULL
);
CREATE TABLE outbox (
  seq          INTEGER PRIMARY KEY REFERENCES journal (seq),
  delivered_ms INTEGER
);
CREATE INDEX outbox_pending ON outbox (seq) WHERE delivered_ms IS NULL;
)sql"},
      {2, "evidence index; passages by lane and state", R"sql(
CREATE TABLE evidence (
  sha256     TEXT PRIMARY KEY,
  media_type TEXT NOT NULL,
  role       TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE INDEX passages_by_lane_state ON passages (lane, state);
)sql"},
  };
  return kMigrations;
}

namespace {

Result<int> currentVersion(Database& db) {
  auto has_table =
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
  if (!has_table.isOk()) return has_table.status();
  auto found = has_table->step();
  if (!found.isOk()) return found.status();
  if (!*found) {
    auto any = db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table'");
    if (!any.isOk()) return any.status();
    auto row = any->step();
    if (!row.isOk()) return row.status();
    if (any->columnInt(0) != 0) {
      return Status::error(db.path() + " has tables but no schema_version: not a Kordon database");
    }
    return 0;
  }
  auto version = db.prepare("SELECT version FROM schema_version");
  if (!version.isOk()) return version.status();
  auto row = version->step();
  if (!row.isOk()) return row.status();
  if (!*row) return Status::error(db.path() + ": schema_version is empty");
  return static_cast<int>(version->columnInt(0));
}

}  // namespace

Result<int> migrate(Database& db, int target) {
  const int latest = migrations().back().version;
  if (target < 0) target = latest;
  auto current = currentVersion(db);
  if (!current.isOk()) return current.status();
  if (*current > latest) {
    return Status::error(db.path() + " has schema version " + std::to_string(*current) +
                         ", newer than the " + std::to_string(latest) +
                         " this Kordon supports; refusing to open it (upgrade Kordon, or restore a "
                         "backup made by this version)");
  }
  int version = *current;
  for (const Migration& m : migrations()) {
    if (m.version <= version || m.version > target) continue;
    Status s = db.transaction([&]() -> Status {
      if (Status e = db.exec(m.sql); !e) return e;
      return db.exec("UPDATE schema_version SET version = " + std::to_string(m.version));
    });
    if (!s)
      return s.withContext("migration " + std::to_string(m.version) + " (" + m.description + ")");
    version = m.version;
  }
  return version;
}

}  // namespace kordon::store
