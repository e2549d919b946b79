// SPDX-License-Identifier: Apache-2.0
#pragma once

// A thin RAII layer over sqlite3 that checks every return code (the part of Mosquitto's
// persist-sqlite not to copy) and maps it once, in sqliteError(), into a Status.
//
// Thread-safety: a Database and its statements belong to one thread (the single writer).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sqlite3.h>

#include "edge/base/status.hpp"

namespace kordon::store {

Status sqliteError(const std::string& context, int rc, sqlite3* db);

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt, &sqlite3_finalize) {}

  // Binds are 1-based, like sqlite3_bind_*.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, std::nullopt_t);
  Statement& bindBlob(int index, std::string_view bytes);
  template <typename T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind(index, std::nullopt);
  }

  // Steps once: true when a row is ready, false when done. Resets bindings state on errors.
  Result<bool> step();
  // Runs to completion, ignoring rows; then resets for reuse.
  Status run();
  void reset();

  std::int64_t columnInt(int col) const;
  std::string columnText(int col) const;
  bool columnIsNull(int col) const;

 private:
  Status bindStatus() const;
  sqlite3* db_ = nullptr;
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> stmt_{nullptr, &sqlite3_finalize};
  int bind_rc_ = SQLITE_OK;
};

enum class Durability { kNormal, kFull };

// How long a statement waits for another connection's lock (kordonctl reading) before SQLITE_BUSY.
inline constexpr int kBusyTimeoutMs = 5000;

class Database {
 public:
  // Opens (creating if needed) in WAL mode with foreign keys on and a busy timeout.
  static Result<std::unique_ptr<Database>> open(const std::string& path, Durability durability,
                                                bool read_only = false);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Status exec(const std::string& sql);
  Result<Statement> prepare(const std::string& sql);
  // The first column of the first row as an integer; 0 when there is no row or it is NULL.
  Result<std::int64_t> queryInt(const std::string& sql);
  // BEGIN IMMEDIATE ... COMMIT; rolls back when `body` fails.
  Status transaction(const std::function<Status()>& body);
  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
};

}  // namespace kordon::store
