// SPDX-License-Identifier: Apache-2.0
#pragma once

// Central's event store: every post's event journal as received over MQTT, deduplicated by
// (post, seq), hash-verified and chain-checked (DESIGN.md "Contracts worth fixing early",
// "Offline semantics", "Security").
//
// Ingest outcomes, decided in this order:
//   kUnacceptable  a genuine event that central can never store: larger than
//               kMaxEnvelopeBytes (up to kMaxInspectBytes), yet its hash and, with post keys,
//               its signature verify, and it came on its post's topic. Its (post, seq) is kept
//               in `unacceptable` with the reason and counted (posts.unacceptable): the seq is
//               no gap, so backfill never asks for it again.
//   kRejected   the message is not a valid envelope (bad JSON, missing field, bad post name,
//               post differs from the topic it came on) or its hash is not computeEventHash()
//               of its content: tampered or corrupt. Or, when post keys are set
//               (setPostKeys), its post has no key, it is unsigned, or its sig does not verify.
//               The raw bytes and reason go to `rejects`; posts.rejected counts them.
//   kDuplicate  (post, seq) is stored with the same hash: an at-least-once re-send. Ignored.
//   kConflict   (post, seq) is stored with a different (but self-consistent) hash: a forked
//               journal or tampering. The first one stays; the newcomer goes to `conflicts`.
//   kStored     new. Its link to seq-1 (or kGenesisHash for seq 1) is checked if seq-1 is
//               stored, and seq+1's link to it if seq+1 arrived first.
//
// events.sig_status is "verified" (sig checked against the post's registered key) or
// "unverified" (central runs without post keys, as in the demo; it warns at start).
//
// events.chain_ok is per event: 1 = its prev_hash matches the stored hash of seq-1 (or the
// genesis hash), 0 = it does not (counted in posts.chain_breaks), NULL = seq-1 not received
// yet (verified when it arrives).
//
// Storage: SQLite (WAL, synchronous=FULL) or PostgreSQL, one transaction per ingest, with the
// same rules on both (sync/central/store_backend.hpp). The schema version is checked at open;
// migrations are applied forward; a database newer than this binary is refused.
//
// Thread-safety: none. One CentralStore belongs to one thread (kordon-central's io thread).
// Separate processes may read the same file with openReadOnly() (WAL allows it).

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "edge/base/clock.hpp"
#include "edge/base/crypto.hpp"
#include "edge/base/status.hpp"
#include "edge/msg/event.hpp"

namespace kordon::central {

inline constexpr int kDefaultQueryLimit = 100;
inline constexpr int kMaxQueryLimit = 1000;
// An event envelope is a few KiB (a post keeps every event under msg::kMaxEventBytes); anything
// larger than kMaxEnvelopeBytes is not stored. Up to kMaxInspectBytes it is still parsed, to
// tell a genuine oversized event (kUnacceptable) from garbage (kRejected); beyond, rejected
// unparsed.
inline constexpr std::size_t kMaxEnvelopeBytes = std::size_t{1024} * 1024;
inline constexpr std::size_t kMaxInspectBytes = std::size_t{16} * 1024 * 1024;
// GET /v1/events stops adding events once its body is this large (at least one is always sent).
inline constexpr std::size_t kMaxResponseBytes = std::size_t{8} * 1024 * 1024;

enum class IngestOutcome { kStored, kDuplicate, kConflict, kRejected, kUnacceptable };
const char* toString(IngestOutcome outcome);

// What ingest() found, for logs. Fields are filled as far as parsing got.
struct IngestDetail {
  std::string post;
  std::int64_t seq = 0;
  std::string hash;
  std::string reason;            // kRejected / kConflict: why
  std::optional<bool> chain_ok;  // kStored: link to seq-1 (nullopt: seq-1 not yet received)
  std::optional<bool> next_ok;   // kStored: link from seq+1, if seq+1 was already stored
  // Genuine events whose payload does not match its type's contract (edge/msg/event_types.hpp):
  // why. They are stored all the same (the post's journal is the record); this is counted and
  // logged, since it means a post speaks another version of the contract.
  std::string contract;
};

struct StoredEvent {
  std::int64_t cursor = 0;  // central's ingest order, for "after" without a post
  std::string post;
  std::int64_t seq = 0;
  std::string id;
  std::string type;
  WallMs time_ms = 0;
  std::string lane;
  std::string passage;
  std::string prev_hash;
  std::string hash;
  std::string envelope;  // wire JSON exactly as received
  WallMs received_ms = 0;
  std::optional<bool> chain_ok;
  std::string sig_status;  // "verified" or "unverified"
};

inline constexpr const char* kSigVerified = "verified";
inline constexpr const char* kSigUnverified = "unverified";

// Each post's public key, by post id.
using PostKeys = std::map<std::string, VerifyKey>;
// Reads every `<post-id>.pub` (SubjectPublicKeyInfo PEM, Ed25519) in `dir`; other files are
// ignored. An unreadable or invalid key file is an error naming it.
Result<PostKeys> loadPostKeys(const std::string& dir);

struct EventQuery {
  std::optional<std::string> post;
  // With `post`: return seq > after. Without: return cursor > after.
  std::int64_t after = 0;
  std::optional<std::string> type;
  std::optional<std::string> lane;
  std::optional<WallMs> from_ms;   // event time >= from_ms
  std::optional<WallMs> to_ms;     // event time <  to_ms
  int limit = kDefaultQueryLimit;  // 1..kMaxQueryLimit
};

struct PostStatus {
  std::string post;
  std::int64_t highest_seq = 0;
  std::int64_t contiguous_seq = 0;                          // 1..contiguous_seq are all stored
  std::vector<std::pair<std::int64_t, std::int64_t>> gaps;  // missing [from, to], ascending
  bool gaps_truncated = false;  // more than kMaxGapsListed gaps; the first ones are listed
  WallMs last_seen_ms = 0;
  std::int64_t events = 0;
  std::int64_t duplicates = 0;
  std::int64_t rejected = 0;
  std::int64_t conflicts = 0;
  std::int64_t chain_breaks = 0;
  std::int64_t unacceptable = 0;                // seqs central can never store (kUnacceptable)
  std::vector<std::int64_t> unacceptable_seqs;  // the first kMaxGapsListed of them
};

inline constexpr int kMaxGapsListed = 1000;

// One write to central's API (or an attempt at one), kept for the record: who, from where,
// what, and what central answered.
struct AuditRecord {
  std::int64_t id = 0;  // assigned by the store, ascending
  WallMs time_ms = 0;
  std::string credential;  // the token's name; "" when none was valid
  std::string roles;       // "declarant,viewer"
  std::string remote;      // "10.1.2.3:51234"
  std::string method;
  std::string path;
  std::string post;
  int status = 0;
  std::string body_sha256;
  std::string detail;  // e.g. "declaration KZ-TD-0001 v3", or why it was refused
};

// A post id as it may appear in a topic, a URL path and the envelope: 1..64 of [A-Za-z0-9._-].
bool isValidPostId(const std::string& post);
// "kordon/v1/{post}/events" -> post; nullopt when the topic has another shape.
std::optional<std::string> postFromEventsTopic(const std::string& topic);

class StoreBackend;  // sync/central/store_backend.hpp

class CentralStore {
 public:
  // Opens or creates the database and migrates it forward to the latest schema. `db` is a
  // SQLite file path, or a PostgreSQL URI ("postgresql://user@host:port/dbname?...").
  static Result<std::unique_ptr<CentralStore>> open(const std::string& db);
  // Opens an existing database for queries only: no migrations, but the version must match.
  static Result<std::unique_ptr<CentralStore>> openReadOnly(const std::string& db);

  ~CentralStore();
  CentralStore(const CentralStore&) = delete;
  CentralStore& operator=(const CentralStore&) = delete;

  // Ingests one wire envelope. An error Result means the database failed (disk full, I/O);
  // every problem with the message itself is an outcome, never an error.
  Result<IngestOutcome> ingest(const std::string& wire_json, WallMs received_ms,
                               IngestDetail* detail = nullptr);
  // As ingest(), for a message that arrived on `topic`: the envelope's post must be the topic's
  // {post}, because broker ACLs vouch for the topic only. Rejects are counted against the
  // topic's post.
  Result<IngestOutcome> ingestFromTopic(const std::string& topic, const std::string& wire_json,
                                        WallMs received_ms, IngestDetail* detail = nullptr);

  // With keys, every event must carry a valid signature by its post's key; without (nullopt,
  // the default), events are stored with sig_status "unverified".
  void setPostKeys(std::optional<PostKeys> keys) { post_keys_ = std::move(keys); }

  Result<std::vector<StoredEvent>> eventsAfter(const EventQuery& query);
  // Events stored whose payload broke its contract (IngestDetail::contract), since start.
  std::uint64_t contractMismatches() const { return contract_mismatches_.load(); }
  Result<std::vector<PostStatus>> postStatus();

  // The API's audit trail: append one record (its own transaction), read in id order.
  Status recordAudit(const AuditRecord& record);
  Result<std::vector<AuditRecord>> auditAfter(std::int64_t after_id, int limit);

  static int latestSchemaVersion();

 private:
  CentralStore(std::unique_ptr<StoreBackend> backend, bool read_only);
  Status checkSignature(const msg::Event& ev) const;
  Result<IngestOutcome> ingestImpl(const std::string& wire_json, WallMs received_ms,
                                   const std::optional<std::string>& topic_post,
                                   IngestDetail* detail);

  std::unique_ptr<StoreBackend> backend_;
  bool read_only_;
  std::optional<PostKeys> post_keys_;
  std::atomic<std::uint64_t> contract_mismatches_{0};
};

}  // namespace kordon::central
