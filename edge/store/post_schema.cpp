// SPDX-License-Identifier: Apache-2.0
#include "edge/store/post_schema.hpp"

namespace kordon::store {

const Schema& postSchema() {
  static const Schema kSchema{
      "kordond",
      0x4B52444E,  // "KRDN"
      {
          {1, "declarations cache, passages, event journal and outbox", R"sql(
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
          {3, "policies from central, one in force per kind", R"sql(
CREATE TABLE policies (
  kind        TEXT PRIMARY KEY,
  version     INTEGER NOT NULL,
  issued      TEXT NOT NULL,
  body        TEXT NOT NULL,
  received_ms INTEGER NOT NULL
);
)sql"},
          {4, "evidence by age, for retention", R"sql(
CREATE INDEX evidence_by_created ON evidence (created_ms);
)sql"},
      }};
  return kSchema;
}

}  // namespace kordon::store
