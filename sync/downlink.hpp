// SPDX-License-Identifier: Apache-2.0
#pragma once

// Applies commands from central (kordon/v1/{post}/cmd/...). Declarations are upserted by id and
// version, idempotently: a re-delivered or older version changes nothing. Every message leaves
// an event: declaration.applied, declaration.ignored (stale) or downlink.rejected (why), in the
// same transaction as the change, so central sees exactly what the post did with it. A valid
// backfill request goes to the BackfillHandler (the outbox pump) and leaves no event.
//
// Thread-safety: control loop thread only.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edge/base/clock.hpp"
#include "edge/msg/backfill.hpp"
#include "edge/msg/event.hpp"
#include "edge/store/store.hpp"

namespace kordon::sync {

class Downlink {
 public:
  using EventsCommitted = std::function<void(const std::vector<msg::Event>&)>;
  using BackfillHandler = std::function<void(const msg::BackfillRequest&)>;
  Downlink(store::Store& store, const Clock& clock, EventsCommitted on_events);
  void onBackfill(BackfillHandler handler) { on_backfill_ = std::move(handler); }

  void onMessage(const std::string& topic, const std::string& payload);
  nlohmann::json statusJson() const;

 private:
  void reject(const std::string& topic, const std::string& payload, const std::string& reason);
  void onBackfillRequest(const std::string& topic, const std::string& payload,
                         const nlohmann::json& json);
  void record(const std::function<Status(store::Transaction&)>& body);

  store::Store& store_;
  const Clock& clock_;
  EventsCommitted on_events_;
  BackfillHandler on_backfill_;
  std::uint64_t applied_ = 0;
  std::uint64_t stale_ = 0;
  std::uint64_t backfill_requests_ = 0;
  std::uint64_t rejected_ = 0;
  std::uint64_t store_errors_ = 0;
};

}  // namespace kordon::sync
