// SPDX-License-Identifier: Apache-2.0
#include "edge/store/migrations.hpp"

namespace kordon::store {

Result<int> schemaVersion(Database& db, const Schema& schema) {
  auto app_id = db.queryInt("PRAGMA application_id");
  if (!app_id.isOk()) return app_id.status();
  auto tables = db.queryInt("SELECT count(*) FROM sqlite_master");
  if (!tables.isOk()) return tables.status();
  if (*app_id != schema.application_id) {
    if (*app_id == 0 && *tables == 0) return 0;  // a new, empty file
    return Status::error(db.path() + ": not a " + schema.product + " database");
  }
  auto version = db.queryInt("SELECT max(version) FROM schema_version");
  if (!version.isOk()) return version.status().withContext(db.path());
  if (*version > schema.latest()) {
    return Status::error(db.path() + ": schema version " + std::to_string(*version) +
                         " is newer than this " + schema.product + " supports (" +
                         std::to_string(schema.latest()) + "); refusing to open it: upgrade " +
                         schema.product + " or restore a backup made by this version");
  }
  return static_cast<int>(*version);
}

Result<int> migrate(Database& db, const Schema& schema, int target) {
  if (target < 0) target = schema.latest();
  auto current = schemaVersion(db, schema);
  if (!current.isOk()) return current.status();
  int version = *current;
  for (const Migration& m : schema.migrations) {
    if (m.version <= version || m.version > target) continue;
    Status s = db.transaction([&]() -> Status {
      if (m.version == 1) {
        Status stamp = db.exec("PRAGMA application_id = " + std::to_string(schema.application_id) +
                               "; CREATE TABLE schema_version (version INTEGER NOT NULL);"
                               " INSERT INTO schema_version (version) VALUES (0);");
        if (!stamp) return stamp;
      }
      if (Status e = db.exec(m.sql); !e) return e;
      return db.exec("UPDATE schema_version SET version = " + std::to_string(m.version));
    });
    if (!s) {
      return s.withContext("migration " + std::to_string(m.version) + " (" + m.description + ")");
    }
    version = m.version;
  }
  return version;
}

}  // namespace kordon::store
