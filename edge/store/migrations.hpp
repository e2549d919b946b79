// SPDX-License-Identifier: Apache-2.0
#pragma once

// Forward-only schema migrations, shared by kordond's store and kordon-central's. A database
// is stamped with its product's PRAGMA application_id and keeps its version in a
// schema_version table. Migration N takes version N-1 to N in one transaction. A database of
// another product, or of a newer version, is refused with an error that says which. Never edit
// a released migration: add a new one.

#include <cstdint>
#include <string>
#include <vector>

#include "edge/base/status.hpp"
#include "edge/store/sqlite.hpp"

namespace kordon::store {

struct Migration {
  int version;
  const char* description;
  const char* sql;
};

struct Schema {
  std::string product;                // "kordond", "kordon-central": named in errors
  std::int32_t application_id;        // stamped by the first migration
  std::vector<Migration> migrations;  // versions 1..N, in order
  int latest() const { return migrations.empty() ? 0 : migrations.back().version; }
};

// The database's version: 0 when it is empty, an error when it belongs to another product or
// is newer than `schema`.
Result<int> schemaVersion(Database& db, const Schema& schema);
// Applies the missing migrations up to `target` (the latest by default); returns the version.
Result<int> migrate(Database& db, const Schema& schema, int target = -1);

}  // namespace kordon::store
