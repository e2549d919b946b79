// SPDX-License-Identifier: Apache-2.0
#include "sync/outbox_pump.hpp"

#include <boost/asio/post.hpp>

#include "edge/base/log.hpp"
#include "edge/msg/topics.hpp"

namespace kordon::sync {

OutboxPump::OutboxPump(boost::asio::io_context& io, store::Store& store, MqttClient& mqtt,
                       const Clock& clock, int window)
    : io_(io), store_(store), mqtt_(mqtt), clock_(clock), window_(window) {}

void OutboxPump::onConnected() {
  flushAcks();
  ++generation_;
  in_flight_.clear();
  published_up_to_ = 0;  // resume from the first undelivered event
  pump();
}

void OutboxPump::onConnectionLost() {
  ++generation_;
  in_flight_.clear();
}

void OutboxPump::poke() { pump(); }

void OutboxPump::pump() {
  const std::string topic = msg::eventsTopic(store_.postId());
  while (mqtt_.isConnected() && static_cast<int>(in_flight_.size()) < window_) {
    auto batch =
        store_.undelivered(published_up_to_, window_ - static_cast<int>(in_flight_.size()));
    if (!batch.isOk()) {
      ++store_errors_;
      log::error("outbox read failed", {{"error", batch.status().message()}});
      return;
    }
    if (batch->empty()) return;
    for (const msg::Event& e : *batch) {
      const std::uint64_t generation = generation_;
      const std::int64_t seq = e.seq;
      Status s = mqtt_.publish(
          topic, msg::toWireString(e), 1, false,
          [this, generation, seq](const Status& result) { onPuback(generation, seq, result); });
      if (!s) {
        ++publish_errors_;
        log::debug("outbox publish deferred", {{"seq", seq}, {"error", s.message()}});
        return;  // the next onConnected() resumes from the first undelivered event
      }
      ++published_;
      in_flight_.insert(seq);
      published_up_to_ = seq;
    }
  }
}

void OutboxPump::onPuback(std::uint64_t generation, std::int64_t seq, const Status& result) {
  if (generation != generation_) return;
  in_flight_.erase(seq);
  if (!result) {
    ++publish_errors_;
    return;  // stays undelivered; re-sent after the next reconnect
  }
  acked_.push_back(seq);
  if (!flush_scheduled_) {
    // Batch the marks of one burst of PUBACKs into one transaction.
    flush_scheduled_ = true;
    boost::asio::post(io_, [this] { flushAcks(); });
  }
  // Refill in batches rather than one outbox query per PUBACK.
  if (static_cast<int>(in_flight_.size()) <= window_ / 2) pump();
}

void OutboxPump::flushAcks() {
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
          {"in_flight", in_flight_.size()},
          {"undelivered", pending.isOk() ? nlohmann::json(*pending) : nlohmann::json()},
          {"last_seq", store_.lastSeq()},
          {"published", published_},
          {"delivered", delivered_},
          {"publish_errors", publish_errors_},
          {"store_errors", store_errors_}};
}

}  // namespace kordon::sync
