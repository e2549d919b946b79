// SPDX-License-Identifier: Apache-2.0
#include "sync/central/backfill.hpp"

#include <algorithm>

#include "edge/msg/backfill.hpp"
#include "edge/msg/signed_json.hpp"
#include "edge/msg/topics.hpp"

namespace kordon::central {

using nlohmann::json;

Result<PostAnnouncement> parsePostStatusMessage(const std::string& topic,
                                                const std::string& payload) {
  static const std::string kPrefix = "kordon/v1/";
  static const std::string kSuffix = "/status";
  if (topic.size() <= kPrefix.size() + kSuffix.size() || topic.rfind(kPrefix, 0) != 0 ||
      topic.compare(topic.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
    return Status::error("topic: not kordon/v1/{post}/status");
  }
  PostAnnouncement out;
  out.post = topic.substr(kPrefix.size(), topic.size() - kPrefix.size() - kSuffix.size());
  if (!isValidPostId(out.post)) return Status::error("topic: bad post id");
  if (payload.size() > kMaxStatusBytes) return Status::error("status: too large");
  const json j = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return Status::error("status: expected a JSON object");
  if (auto it = j.find("post"); it != j.end()) {
    if (!it->is_string() || it->get_ref<const std::string&>() != out.post) {
      return Status::error("status: post does not match the topic");
    }
  }
  if (auto it = j.find("last_seq"); it != j.end() && !it->is_null()) {
    // Bounded like a stored seq, so sums of ranges cannot overflow.
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0 ||
        it->get<std::int64_t>() > kMaxAnnouncedSeq) {
      return Status::error("status: last_seq: expected an integer in 0..2^62");
    }
    out.last_seq = it->get<std::int64_t>();
  }
  return out;
}

namespace {

// Every missing range, lowest first: the gaps, then the tail.
std::vector<SeqRange> missingRanges(const PostStatus& stored,
                                    std::optional<std::int64_t> announced_last_seq) {
  std::vector<SeqRange> ranges;
  for (const auto& [from, to] : stored.gaps) ranges.push_back({from, to});
  // With a truncated gap list the highest stored seq is still right; gaps past the listed ones
  // show up in later rounds as earlier ones fill.
  if (announced_last_seq && *announced_last_seq > stored.highest_seq) {
    ranges.push_back({stored.highest_seq + 1, *announced_last_seq});
  }
  return ranges;
}

}  // namespace

std::vector<SeqRange> planBackfill(const PostStatus& stored,
                                   std::optional<std::int64_t> announced_last_seq,
                                   std::int64_t max_seqs) {
  std::vector<SeqRange> plan;
  std::int64_t budget = max_seqs;
  for (SeqRange range : missingRanges(stored, announced_last_seq)) {
    if (budget <= 0) break;
    range.to = std::min(range.to, range.from + budget - 1);
    budget -= range.to - range.from + 1;
    plan.push_back(range);
  }
  return plan;
}

std::int64_t missingSeqs(const PostStatus& stored, std::optional<std::int64_t> announced_last_seq) {
  std::int64_t n = 0;
  for (const SeqRange& r : missingRanges(stored, announced_last_seq)) n += r.to - r.from + 1;
  return n;
}

std::string backfillRequestJson(const SeqRange& range, const SigningKey* key) {
  json request = msg::toJson(msg::BackfillRequest{range.from, range.to});
  if (key) msg::signJson(request, *key);
  return request.dump();
}

void BackfillScheduler::announce(const PostAnnouncement& announcement) {
  if (announcement.last_seq)
    counters_[announcement.post].announced_last_seq = announcement.last_seq;
}

std::vector<BackfillScheduler::Request> BackfillScheduler::due(
    const std::vector<PostStatus>& stored, WallMs now_ms) {
  std::map<std::string, PostStatus> by_post;
  for (const PostStatus& p : stored) by_post[p.post] = p;
  for (const auto& [post, c] : counters_) by_post[post].post = post;  // announced, none stored

  std::vector<Request> out;
  for (const auto& [post, status] : by_post) {
    BackfillCounters& c = counters_[post];
    const std::int64_t missing = missingSeqs(status, c.announced_last_seq);
    c.missing = missing;
    if (missing == 0) {
      pacing_.erase(post);
      continue;
    }
    auto [it, first_seen] = pacing_.try_emplace(post);
    Pacing& p = it->second;
    if (first_seen || missing < p.missing) {
      // New, or progress since the last request: wait a full retry period from now.
      p.next_due_ms = now_ms + retry_ms_;
      p.attempts = 0;
      p.missing = missing;
      continue;
    }
    p.missing = missing;
    if (now_ms < p.next_due_ms) continue;
    for (const SeqRange& range : planBackfill(status, c.announced_last_seq, max_seqs_)) {
      out.push_back({post, range});
      ++c.requests;
      c.requested_seqs += range.to - range.from + 1;
    }
    c.last_request_ms = now_ms;
    const int factor = 1 << std::min(p.attempts, 5);  // 1, 2, 4 ... kMaxBackoffFactor
    p.next_due_ms = now_ms + retry_ms_ * std::min(factor, kMaxBackoffFactor);
    ++p.attempts;
  }
  return out;
}

}  // namespace kordon::central
