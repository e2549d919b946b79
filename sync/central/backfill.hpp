// SPDX-License-Identifier: Apache-2.0
#pragma once

// Backfill: central asks a post to re-send events it is missing (docs/CONTRACTS.md §2, §6).
//
// What is missing comes from two places:
//   - gaps between stored seqs (PostStatus::gaps, from the store);
//   - a missing tail: the post's retained status on kordon/v1/{post}/status says
//     "last_seq": N, and central's highest stored seq is below N.
//
// Requests go to kordon/v1/{post}/cmd/backfill at QoS1:
//   {"schema":"kordon.backfill/1","from":N,"to":M[,"sig":"<128 hex>"]}
// signed with msg::signJson when central has a key. The post re-publishes seq N..M from its
// journal on its events topic, where they are ingested like any other event.
//
// Pacing (BackfillScheduler): a gap must persist for retry_s before the first request, since
// events may still be in flight (a post draining its outbox announces last_seq first). While
// it persists it is asked for again after retry_s, 2*retry_s, 4*retry_s ... (at most
// kMaxBackoffFactor * retry_s); the backoff restarts whenever the post's missing count shrinks.
// One round asks for at most max_seqs seqs per post, lowest first, so a long outage is
// backfilled in bounded slices rather than one huge re-send.
//
// Thread-safety: none; the owner serialises access.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edge/base/clock.hpp"
#include "edge/base/crypto.hpp"
#include "edge/base/status.hpp"
#include "sync/central/central_store.hpp"

namespace kordon::central {

inline constexpr std::int64_t kDefaultBackfillMaxSeqs = 5000;
inline constexpr int kMaxBackoffFactor = 32;
// A status message is a few hundred bytes; anything much larger is refused unparsed.
inline constexpr std::size_t kMaxStatusBytes = 64 * 1024;
inline constexpr std::int64_t kMaxAnnouncedSeq = std::int64_t{1} << 62;

// What a post's status message says that central uses.
struct PostAnnouncement {
  std::string post;
  std::optional<std::int64_t> last_seq;  // absent in a will or an older post's status
};

// Parses a status message that came on `topic` ("kordon/v1/{post}/status"). The body's "post",
// when present, must match the topic; "last_seq", when present, a non-negative integer.
Result<PostAnnouncement> parsePostStatusMessage(const std::string& topic,
                                                const std::string& payload);

struct SeqRange {
  std::int64_t from = 0;
  std::int64_t to = 0;  // inclusive
  bool operator==(const SeqRange&) const = default;
};

// The ranges to request for one post, lowest first, covering at most `max_seqs` seqs: the
// stored gaps, then the tail up to `announced_last_seq`. Pure.
std::vector<SeqRange> planBackfill(const PostStatus& stored,
                                   std::optional<std::int64_t> announced_last_seq,
                                   std::int64_t max_seqs);

// How many seqs the post is missing in all (not bounded by max_seqs).
std::int64_t missingSeqs(const PostStatus& stored, std::optional<std::int64_t> announced_last_seq);

// The request's wire JSON, signed when `key` is given.
std::string backfillRequestJson(const SeqRange& range, const SigningKey* key);

struct BackfillCounters {
  std::optional<std::int64_t> announced_last_seq;
  std::int64_t missing = 0;         // seqs missing at the last round
  std::int64_t requests = 0;        // requests sent
  std::int64_t requested_seqs = 0;  // seqs asked for, over all requests
  WallMs last_request_ms = 0;
};

class BackfillScheduler {
 public:
  BackfillScheduler(std::int64_t retry_ms, std::int64_t max_seqs)
      : retry_ms_(retry_ms), max_seqs_(max_seqs) {}

  void announce(const PostAnnouncement& announcement);

  struct Request {
    std::string post;
    SeqRange range;
  };
  // One round at `now_ms` over the stored state of every post: the requests that are due.
  std::vector<Request> due(const std::vector<PostStatus>& stored, WallMs now_ms);

  const std::map<std::string, BackfillCounters>& counters() const { return counters_; }

 private:
  struct Pacing {
    WallMs next_due_ms = 0;
    int attempts = 0;
    std::int64_t missing = 0;
  };
  std::int64_t retry_ms_;
  std::int64_t max_seqs_;
  std::map<std::string, Pacing> pacing_;
  std::map<std::string, BackfillCounters> counters_;
};

}  // namespace kordon::central
