// SPDX-License-Identifier: Apache-2.0
#include "edge/store/sqlite.hpp"

namespace kordon::store {

Status sqliteError(const std::string& context, int rc, sqlite3* db) {
  std::string detail = sqlite3_errstr(rc);
  if (db != nullptr && sqlite3_errcode(db) == rc) detail = sqlite3_errmsg(db);
  return Status::error(context + ": " + detail + " (sqlite " + std::to_string(rc) + ")");
}

Statement& Statement::bind(int index, std::int64_t value) {
  if (bind_rc_ == SQLITE_OK) bind_rc_ = sqlite3_bind_int64(stmt_.get(), index, value);
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  if (bind_rc_ == SQLITE_OK) {
    bind_rc_ = sqlite3_bind_text(stmt_.get(), index, value.data(), static_cast<int>(value.size()),
                                 SQLITE_TRANSIENT);
  }
  return *this;
}

Statement& Statement::bind(int index, std::nullopt_t) {
  if (bind_rc_ == SQLITE_OK) bind_rc_ = sqlite3_bind_null(stmt_.get(), index);
  return *this;
}

Statement& Statement::bindBlob(int index, std::string_view bytes) {
  if (bind_rc_ == SQLITE_OK) {
    bind_rc_ = sqlite3_bind_blob(stmt_.get(), index, bytes.data(), static_cast<int>(bytes.size()),
                                 SQLITE_TRANSIENT);
  }
  return *this;
}

Status Statement::bindStatus() const {
  if (bind_rc_ == SQLITE_OK) return Status::ok();
  return sqliteError(std::string("bind for \"") + sqlite3_sql(stmt_.get()) + "\"", bind_rc_, db_);
}

Result<bool> Statement::step() {
  if (Status s = bindStatus(); !s) {
    reset();
    return s;
  }
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status err = sqliteError(std::string("step \"") + sqlite3_sql(stmt_.get()) + "\"", rc, db_);
  reset();
  return err;
}

Status Statement::run() {
  for (;;) {
    auto row = step();
    if (!row.isOk()) return row.status();
    if (!*row) break;
  }
  reset();
  return Status::ok();
}

void Statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  bind_rc_ = SQLITE_OK;
}

std::int64_t Statement::columnInt(int col) const { return sqlite3_column_int64(stmt_.get(), col); }

std::string Statement::columnText(int col) const {
  const auto* text = sqlite3_column_text(stmt_.get(), col);
  const int size = sqlite3_column_bytes(stmt_.get(), col);
  return text ? std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size))
              : std::string();
}

bool Statement::columnIsNull(int col) const {
  return sqlite3_column_type(stmt_.get(), col) == SQLITE_NULL;
}

Result<std::unique_ptr<Database>> Database::open(const std::string& path, Durability durability,
                                                 bool read_only) {
  sqlite3* raw = nullptr;
  const int flags =
      (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_FULLMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status err = sqliteError("open " + path, rc, raw);
    sqlite3_close(raw);
    return err;
  }
  std::unique_ptr<Database> db(new Database(raw, path));
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  sqlite3_extended_result_codes(raw, 1);
  std::string pragmas = "PRAGMA foreign_keys=ON;";
  if (!read_only) {
    pragmas += "PRAGMA journal_mode=WAL;";
    pragmas +=
        durability == Durability::kFull ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;";
  }
  if (Status s = db->exec(pragmas); !s) return s.withContext("open " + path);
  return db;
}

Database::~Database() { sqlite3_close_v2(db_); }

Status Database::exec(const std::string& sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return Status::error(path_ + ": " + msg + " (sqlite " + std::to_string(rc) + ")");
  }
  return Status::ok();
}

Result<Statement> Database::prepare(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc =
      sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return sqliteError("prepare \"" + sql + "\"", rc, db_);
  return Statement(db_, stmt);
}

Result<std::int64_t> Database::queryInt(const std::string& sql) {
  auto stmt = prepare(sql);
  if (!stmt.isOk()) return stmt.status();
  auto row = stmt->step();
  if (!row.isOk()) return row.status();
  if (!*row || stmt->columnIsNull(0)) return std::int64_t{0};
  return stmt->columnInt(0);
}

Status Database::transaction(const std::function<Status()>& body) {
  if (Status s = exec("BEGIN IMMEDIATE"); !s) return s;
  Status result = body();
  if (result) result = exec("COMMIT");
  if (!result) {
    char* err = nullptr;
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, &err);  // fails harmlessly if none is open
    sqlite3_free(err);
  }
  return result;
}

}  // namespace kordon::store
