// SPDX-License-Identifier: Apache-2.0
#include "sync/central/central_store.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "edge/msg/event.hpp"
#include "edge/msg/event_types.hpp"
#include "edge/msg/topics.hpp"
#include "sync/central/store_backend.hpp"

namespace kordon::central {
namespace {

using nlohmann::json;

// seq + 1 must never overflow.
constexpr std::int64_t kMaxSeq = std::int64_t{1} << 62;
constexpr int kMaxJsonDepth = 32;

std::string clip(const std::string& s, std::size_t n) {
  return s.size() <= n ? s : s.substr(0, n) + "...";
}

std::string oversizeReason(std::size_t size) {
  return "envelope: " + std::to_string(size) + " bytes exceeds the limit of " +
         std::to_string(kMaxEnvelopeBytes);
}

// Parses and validates one wire envelope. Rejects what nlohmann would silently accept but a
// reader downstream might see differently: duplicate keys, a byte-order mark, deep nesting,
// and top-level fields the hash does not cover. An envelope over kMaxEnvelopeBytes (up to
// kMaxInspectBytes) is parsed and checked all the same, so that the caller can tell a genuine
// oversized event from garbage; the caller refuses to store it.
Status parseWire(const std::string& wire, msg::Event* out) {
  if (wire.size() > kMaxInspectBytes) return Status::error(oversizeReason(wire.size()));
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
    case IngestOutcome::kUnacceptable:
      return "unacceptable";
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

CentralStore::CentralStore(std::unique_ptr<StoreBackend> backend, bool read_only)
    : backend_(std::move(backend)), read_only_(read_only) {}

CentralStore::~CentralStore() = default;

int CentralStore::latestSchemaVersion() { return latestSqliteSchemaVersion(); }

Result<std::unique_ptr<CentralStore>> CentralStore::open(const std::string& db) {
  auto backend = isPostgresUri(db) ? openPostgresBackend(db, false) : openSqliteBackend(db, false);
  if (!backend) return backend.status().withContext("central store");
  return std::unique_ptr<CentralStore>(new CentralStore(std::move(backend).value(), false));
}

Result<std::unique_ptr<CentralStore>> CentralStore::openReadOnly(const std::string& db) {
  auto backend = isPostgresUri(db) ? openPostgresBackend(db, true) : openSqliteBackend(db, true);
  if (!backend) return backend.status().withContext("central store");
  return std::unique_ptr<CentralStore>(new CentralStore(std::move(backend).value(), true));
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
    Status s = backend_->transaction([&]() -> Status {
      return backend_->insertReject(std::nullopt, std::nullopt, d.reason,
                                    std::string_view(wire_json).substr(0, kMaxEnvelopeBytes),
                                    received_ms);
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
  if (valid) {
    if (Status contract = msg::checkPayload(ev.type, ev.payload); !contract) {
      d.contract = contract.message();
    }
  }

  // Counters and progress, after lockPost(post): a newly stored seq may extend the contiguous
  // prefix over events that arrived early (one lookup per step).
  auto updatePost = [&](const std::string& post, const PostDelta& delta,
                        std::optional<std::int64_t> stored_seq) -> Status {
    auto progress = backend_->postProgress(post);
    if (!progress) return progress.status();
    auto [highest, contiguous] = *progress;
    if (stored_seq) {
      highest = std::max(highest, *stored_seq);
      if (*stored_seq == contiguous + 1) {
        for (;;) {
          auto next = backend_->seqSettled(post, contiguous + 1);
          if (!next) return next.status();
          if (!*next) break;
          ++contiguous;
        }
      }
    }
    return backend_->updatePost(post, highest, contiguous, delta);
  };

  IngestOutcome outcome = IngestOutcome::kRejected;
  Status written;
  const bool oversized = wire_json.size() > kMaxEnvelopeBytes;
  if (valid && oversized) {
    // Genuine (its hash, signature and topic check out) but too large to store: recorded as a
    // seq central can never accept, so it is counted and no longer a gap.
    d.reason = oversizeReason(wire_json.size());
    written = backend_->transaction([&]() -> Status {
      if (Status s = backend_->lockPost(ev.post, received_ms); !s) return s;
      auto existing = backend_->findEvent(ev.post, ev.seq);
      if (!existing) return existing.status();
      PostDelta delta;
      if (*existing) {
        outcome = IngestOutcome::kConflict;
        delta.conflicts = 1;
        return updatePost(ev.post, delta, std::nullopt);
      }
      auto inserted = backend_->insertUnacceptable(ev.post, ev.seq, ev.hash,
                                                   static_cast<std::int64_t>(wire_json.size()),
                                                   d.reason, received_ms);
      if (!inserted) return inserted.status();
      outcome = IngestOutcome::kUnacceptable;
      delta.unacceptable = *inserted ? 1 : 0;
      return updatePost(ev.post, delta, ev.seq);
    });
  } else if (!valid) {
    d.reason = valid.message();
    written = backend_->transaction([&]() -> Status {
      if (account) {
        if (Status s = backend_->lockPost(*account, received_ms); !s) return s;
      }
      Status s = backend_->insertReject(
          account, ev.seq > 0 ? std::optional<std::int64_t>(ev.seq) : std::nullopt, d.reason,
          std::string_view(wire_json).substr(0, kMaxEnvelopeBytes), received_ms);
      if (!s || !account) return s;
      PostDelta delta;
      delta.rejected = 1;
      return updatePost(*account, delta, std::nullopt);
    });
  } else {
    written = backend_->transaction([&]() -> Status {
      // First, so that ingests of one post never interleave (PostgreSQL row lock).
      if (Status s = backend_->lockPost(ev.post, received_ms); !s) return s;
      PostDelta delta;
      auto existing = backend_->findEvent(ev.post, ev.seq);
      if (!existing) return existing.status();
      if (*existing && (*existing)->first == ev.hash) {
        outcome = IngestOutcome::kDuplicate;
        delta.duplicates = 1;
        return updatePost(ev.post, delta, std::nullopt);
      }
      if (*existing) {
        const std::string& stored_hash = (*existing)->first;
        outcome = IngestOutcome::kConflict;
        d.reason = "seq " + std::to_string(ev.seq) + " is stored with hash " + stored_hash +
                   "; this one has " + ev.hash;
        delta.conflicts = 1;
        Status s =
            backend_->insertConflict(ev.post, ev.seq, stored_hash, ev.hash, wire_json, received_ms);
        if (!s) return s;
        return updatePost(ev.post, delta, std::nullopt);
      }

      // New event: check its link back, store it, then check the link forward.
      std::optional<bool> chain_ok;
      if (ev.seq == 1) {
        chain_ok = ev.prev_hash == msg::kGenesisHash;
      } else {
        auto prev = backend_->findEvent(ev.post, ev.seq - 1);
        if (!prev) return prev.status();
        if (*prev) chain_ok = (*prev)->first == ev.prev_hash;
      }
      if (chain_ok == false) ++delta.chain_breaks;
      Status s = backend_->insertEvent(ev, wire_json, received_ms, chain_ok,
                                       post_keys_ ? kSigVerified : kSigUnverified);
      if (!s) return s;
      std::optional<bool> next_ok;
      auto next = backend_->findEvent(ev.post, ev.seq + 1);
      if (!next) return next.status();
      if (*next) next_ok = (*next)->second == ev.hash;
      if (next_ok) {
        if (!*next_ok) ++delta.chain_breaks;
        s = backend_->setChainOk(ev.post, ev.seq + 1, *next_ok);
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
  if (outcome == IngestOutcome::kStored && !d.contract.empty()) ++contract_mismatches_;
  return outcome;
}

Status CentralStore::recordAudit(const AuditRecord& record) {
  if (read_only_) return Status::error("central store: audit on a read-only store");
  Status s = backend_->transaction([&] { return backend_->insertAudit(record); });
  return s.withContext("central store: audit");
}

Result<std::vector<AuditRecord>> CentralStore::auditAfter(std::int64_t after_id, int limit) {
  if (limit < 1 || limit > kMaxQueryLimit) {
    return Status::error("limit: expected 1.." + std::to_string(kMaxQueryLimit));
  }
  return backend_->auditAfter(after_id, limit);
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
  auto events = backend_->eventsAfter(query);
  if (!events) return events.status().withContext("central store: query");
  return events;
}

Result<std::vector<PostStatus>> CentralStore::postStatus() {
  auto posts = backend_->postStatus();
  if (!posts) return posts.status().withContext("central store: post status");
  return posts;
}

}  // namespace kordon::central
