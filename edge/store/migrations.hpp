// SPDX-License-Identifier: Apache-2.0
#pragma once

// Forward-only schema migrations. Migration N takes a version N-1 database to version N; they
// run in order inside one transaction each. Never edit a released migration: add a new one.

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

const std::vector<Migration>& migrations();

// Reads schema_version (0 for an empty database), refuses a newer one, and applies the missing
// migrations up to `target` (the latest by default). Returns the resulting version.
Result<int> migrate(Database& db, int target = -1);

}  // namespace kordon::store
