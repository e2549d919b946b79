// SPDX-License-Identifier: Apache-2.0
#pragma once

// Drains the store's outbox to MQTT: QoS1, in seq order, with a bounded in-flight window. An
// event is marked delivered only when its PUBACK arrives. After a reconnect (or a restart) it
// starts again from the first undelivered event, so a lost connection can cause duplicates at
// central, never a loss; central deduplicates by (post, seq).
//
// It also answers central's backfill requests: replay(from, to) re-publishes those journal rows
// (delivered or not) on the events topic, sharing the window with the outbox; the outbox goes
// first, since its events are owed anyway. A PUBACK of a replayed event changes nothing here.
// Rows already removed by retention are counted as "pruned" and logged; central keeps the gap.
//
// Thread-safety: control loop thread only (MqttClient posts its completions there).

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "edge/base/clock.hpp"
#include "edge/store/store.hpp"
#include "sync/mqtt_client.hpp"

namespace kordon::sync {

// PUBACKs are marked delivered at most this long after they arrive, or at once when half a
// window has accumulated.
inline constexpr std::chrono::milliseconds kAckFlushDelay{10};

// Replay ranges waiting beyond this many seqs are refused; central asks again later.
inline constexpr std::int64_t kMaxPendingReplaySeqs = 100'000;

class OutboxPump {
 public:
  OutboxPump(boost::asio::io_context& io, store::Store& store, MqttClient& mqtt, const Clock& clock,
             int window = 64);

  void onConnected();
  void onConnectionLost();
  void poke();  // new events were committed
  // Queues seq from..to (clamped to the journal) for re-publishing.
  void replay(std::int64_t from, std::int64_t to);

  std::size_t inFlight() const { return in_flight_.size() + replay_in_flight_; }
  std::uint64_t deliveredCount() const { return delivered_; }  // marked delivered since start
  nlohmann::json statusJson();

 private:
  void pump();
  bool pumpOutbox(const std::string& topic);
  bool pumpReplays(const std::string& topic);
  int freeSlots() const { return window_ - static_cast<int>(inFlight()); }
  void onPuback(std::uint64_t generation, std::int64_t seq, const Status& result);
  void onReplayPuback(std::uint64_t generation, const Status& result);
  void flushAcks();

  store::Store& store_;
  MqttClient& mqtt_;
  const Clock& clock_;
  const int window_;
  std::uint64_t generation_ = 0;  // bumped per connection; stale PUBACKs are ignored
  std::int64_t published_up_to_ = 0;
  std::set<std::int64_t> in_flight_;
  std::vector<std::int64_t> acked_;
  boost::asio::steady_timer flush_timer_;
  bool flush_scheduled_ = false;
  std::map<std::int64_t, std::int64_t> replay_ranges_;  // from -> to, disjoint
  std::int64_t replay_pending_ = 0;                     // seqs in replay_ranges_
  std::size_t replay_in_flight_ = 0;
  std::uint64_t published_ = 0;
  std::uint64_t delivered_ = 0;
  std::uint64_t publish_errors_ = 0;
  std::uint64_t store_errors_ = 0;
  std::uint64_t replayed_ = 0;
  std::uint64_t replay_pruned_ = 0;
  std::uint64_t replay_refused_ = 0;
};

}  // namespace kordon::sync
