// SPDX-License-Identifier: Apache-2.0
#pragma once

// The database under CentralStore: SQLite (sqlite_backend.cpp, the default) or PostgreSQL
// (postgres_backend.cpp, for a db given as "postgresql://..."). CentralStore holds the ingest
// rules (parse, verify, dedupe, chain, counters); a backend only reads and writes rows, so both
// databases keep the same semantics.
//
// Every write runs inside transaction(). Each backend serialises ingests of one post:
// SQLite's write lock covers the whole file (BEGIN IMMEDIATE); PostgreSQL's lockPost() locks the
// post's row for the rest of the transaction.
//
// Thread-safety: none; one backend belongs to one CentralStore.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "edge/base/status.hpp"
#include "edge/msg/event.hpp"
#include "sync/central/central_store.hpp"

namespace kordon::central {

struct PostDelta {
  std::int64_t events = 0, duplicates = 0, rejected = 0, conflicts = 0, chain_breaks = 0,
               unacceptable = 0;
};

class StoreBackend {
 public:
  virtual ~StoreBackend() = default;

  virtual Status transaction(const std::function<Status()>& body) = 0;
  // Creates the post's row if missing and, where the database needs it, locks it until the
  // transaction ends. Also raises last_seen_ms.
  virtual Status lockPost(const std::string& post, WallMs received_ms) = 0;
  // The stored (hash, prev_hash) of (post, seq), if stored.
  virtual Result<std::optional<std::pair<std::string, std::string>>> findEvent(
      const std::string& post, std::int64_t seq) = 0;
  virtual Status insertEvent(const msg::Event& ev, const std::string& wire, WallMs received_ms,
                             std::optional<bool> chain_ok, const char* sig_status) = 0;
  virtual Status setChainOk(const std::string& post, std::int64_t seq, bool ok) = 0;
  // A genuine event central can never store (kUnacceptable). False when (post, seq) was
  // already recorded as such.
  virtual Result<bool> insertUnacceptable(const std::string& post, std::int64_t seq,
                                          const std::string& hash, std::int64_t size_bytes,
                                          const std::string& reason, WallMs received_ms) = 0;
  // True when (post, seq) is stored, as an event or as unacceptable: no longer a gap.
  virtual Result<bool> seqSettled(const std::string& post, std::int64_t seq) = 0;
  // (highest_seq, contiguous_seq) of a post locked by lockPost().
  virtual Result<std::pair<std::int64_t, std::int64_t>> postProgress(const std::string& post) = 0;
  virtual Status updatePost(const std::string& post, std::int64_t highest, std::int64_t contiguous,
                            const PostDelta& delta) = 0;
  virtual Status insertReject(const std::optional<std::string>& post,
                              std::optional<std::int64_t> seq, const std::string& reason,
                              std::string_view bytes, WallMs received_ms) = 0;
  virtual Status insertConflict(const std::string& post, std::int64_t seq,
                                const std::string& stored_hash, const std::string& received_hash,
                                const std::string& wire, WallMs received_ms) = 0;

  // Query is already validated.
  virtual Result<std::vector<StoredEvent>> eventsAfter(const EventQuery& query) = 0;
  // Every post with its counters and up to kMaxGapsListed gaps above contiguous_seq (a seq
  // recorded as unacceptable is no gap).
  virtual Result<std::vector<PostStatus>> postStatus() = 0;

  virtual Status insertAudit(const AuditRecord& record) = 0;  // inside transaction()
  virtual Result<std::vector<AuditRecord>> auditAfter(std::int64_t after_id, int limit) = 0;
};

Result<std::unique_ptr<StoreBackend>> openSqliteBackend(const std::string& path, bool read_only);
Result<std::unique_ptr<StoreBackend>> openPostgresBackend(const std::string& conninfo,
                                                          bool read_only);
bool isPostgresUri(const std::string& db);
// Both backends are at this schema version (central_store.hpp "Storage").
int latestSqliteSchemaVersion();

}  // namespace kordon::central
