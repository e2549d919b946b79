// SPDX-License-Identifier: Apache-2.0
#include "sync/outbox_pump.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>

#include "edge/base/log.hpp"
#include "edge/msg/topics.hpp"

namespace kordon::sync {

OutboxPump::OutboxPump(boost::asio::io_context& io, store::Store& store, MqttClient& mqtt,
                       const Clock& clock, int window)
    : store_(store), mqtt_(mqtt), clock_(clock), window_(window), flush_timer_(io) {}

void OutboxPump::onConnected() {
  flushAcks();
  ++generation_;
  in_flight_.clear();
  replay_in_flight_ = 0;
  published_up_to_ = 0;  // resume from the first undelivered event
  pump();
}

void OutboxPump::onConnectionLost() {
  ++generation_;
  in_flight_.clear();
  replay_in_flight_ = 0;
}

void OutboxPump::poke() { pump(); }

void OutboxPump::replay(std::int64_t from, std::int64_t to) {
  from = std::max<std::int64_t>(from, 1);
  to = std::min(to, store_.lastSeq());
  if (from > to) return;
  // Merge with the queued ranges it touches, so a repeated request costs nothing.
  auto it = replay_ranges_.upper_bound(from);
  if (it != replay_ranges_.begin() && std::prev(it)->second >= from - 1) --it;
  while (it != replay_ranges_.end() && it->first <= to + 1) {
    from = std::min(from, it->first);
    to = std::max(to, it->second);
    replay_pending_ -= it->second - it->first + 1;
    it = replay_ranges_.erase(it);
  }
  if (replay_pending_ + (to - from + 1) > kMaxPendingReplaySeqs) {
    ++replay_refused_;
    log::warn("backfill refused: too much already queued",
              {{"from", from}, {"to", to}, {"pending", replay_pending_}});
    return;
  }
  replay_ranges_[from] = to;
  replay_pending_ += to - from + 1;
  pump();
}

void OutboxPump::pump() {
  const std::string topic = msg::eventsTopic(store_.postId());
  while (mqtt_.isConnected() && freeSlots() > 0) {
    if (pumpOutbox(topic)) continue;
    if (!pumpReplays(topic)) return;
  }
}

// Publishes the next undelivered events; false when there were none or publishing failed.
bool OutboxPump::pumpOutbox(const std::string& topic) {
  auto batch = store_.undeliveredEntries(published_up_to_, freeSlots());
  if (!batch.isOk()) {
    ++store_errors_;
    log::error("outbox read failed", {{"error", batch.status().message()}});
    return false;
  }
  if (batch->empty()) return false;
  for (store::JournalEntry& e : *batch) {
    const std::uint64_t generation = generation_;
    const std::int64_t seq = e.seq;
    Status s = mqtt_.publish(
        topic, e.envelope, 1, false,
        [this, generation, seq](const Status& result) { onPuback(generation, seq, result); });
    if (!s) {
      ++publish_errors_;
      log::debug("outbox publish deferred", {{"seq", seq}, {"error", s.message()}});
      return false;  // the next onConnected() resumes from the first undelivered event
    }
    ++published_;
    in_flight_.insert(seq);
    published_up_to_ = seq;
  }
  return true;
}

// Publishes the next rows of the first queued replay range; false when it made no progress.
bool OutboxPump::pumpReplays(const std::string& topic) {
  if (replay_ranges_.empty()) return false;
  const auto [from, to] = *replay_ranges_.begin();
  const int want = static_cast<int>(std::min<std::int64_t>(freeSlots(), to - from + 1));
  const std::int64_t batch_to = from + want - 1;
  auto batch = store_.journalRange(from, batch_to, want);
  if (!batch.isOk()) {
    ++store_errors_;
    log::error("journal read for backfill failed", {{"error", batch.status().message()}});
    return false;
  }
  std::int64_t next = from;
  bool publish_failed = false;
  for (store::JournalEntry& e : batch->entries) {
    if (e.seq > next) {
      replay_pruned_ += static_cast<std::uint64_t>(e.seq - next);
      log::warn("backfill: journal rows already pruned", {{"from", next}, {"to", e.seq - 1}});
    }
    const std::uint64_t generation = generation_;
    if (Status s = mqtt_.publish(
            topic, e.envelope, 1, false,
            [this, generation](const Status& result) { onReplayPuback(generation, result); });
        !s) {
      ++publish_errors_;
      publish_failed = true;
      break;  // keep the rest queued for the next connection
    }
    ++replay_in_flight_;
    ++replayed_;
    next = e.seq + 1;
  }
  if (!publish_failed && next <= batch_to) {
    replay_pruned_ += static_cast<std::uint64_t>(batch_to - next + 1);
    log::warn("backfill: journal rows already pruned", {{"from", next}, {"to", batch_to}});
    next = batch_to + 1;
  }
  replay_ranges_.erase(replay_ranges_.begin());
  replay_pending_ -= next - from;
  if (next <= to) replay_ranges_[next] = to;
  return next > from;  // progress: sent, or skipped rows that are gone
}

void OutboxPump::onPuback(std::uint64_t generation, std::int64_t seq, const Status& result) {
  if (generation != generation_) return;
  in_flight_.erase(seq);
  if (!result) {
    ++publish_errors_;
    return;  // stays undelivered; re-sent after the next reconnect
  }
  acked_.push_back(seq);
  // Marks go to SQLite in batches: one transaction per PUBACK would write a few pages each
  // and force a WAL checkpoint (with its fsyncs) every few hundred events.
  if (static_cast<int>(acked_.size()) >= window_ / 2) {
    flushAcks();
  } else if (!flush_scheduled_) {
    flush_scheduled_ = true;
    flush_timer_.expires_after(kAckFlushDelay);
    flush_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) flushAcks();
    });
  }
  // Refill once an eighth of the window is free: one outbox query per few PUBACKs, while the
  // window stays nearly full (refilling only at half a window left the link idle between
  // bursts and drained about eight times slower; kordon-bench-sync).
  if (static_cast<int>(inFlight()) <= window_ - window_ / 8) pump();
}

void OutboxPump::onReplayPuback(std::uint64_t generation, const Status& result) {
  if (generation != generation_) return;
  --replay_in_flight_;
  if (!result) ++publish_errors_;  // central will ask again if it still misses the event
  if (static_cast<int>(inFlight()) <= window_ / 2) pump();
}

void OutboxPump::flushAcks() {
  if (flush_scheduled_) flush_timer_.cancel();
  flush_scheduled_ = false;
  if (acked_.empty()) return;
  if (Status s = store_.markDelivered(acked_, clock_.nowWallMs()); !s) {
    ++store_errors_;
    log::error("outbox mark delivered failed", {{"error", s.message()}});
    return;  // the events stay undelivered and are sent again: a duplicate, never a loss
  }
  delivered_ += acked_.size();
  acked_.clear();
}

nlohmann::json OutboxPump::statusJson() {
  auto pending = store_.undeliveredCount();
  return {{"connected", mqtt_.isConnected()},
          {"in_flight", inFlight()},
          {"undelivered", pending.isOk() ? nlohmann::json(*pending) : nlohmann::json()},
          {"last_seq", store_.lastSeq()},
          {"published", published_},
          {"delivered", delivered_},
          {"publish_errors", publish_errors_},
          {"store_errors", store_errors_},
          {"backfill",
           {{"pending", replay_pending_},
            {"replayed", replayed_},
            {"pruned", replay_pruned_},
            {"refused", replay_refused_}}}};
}

}  // namespace kordon::sync
