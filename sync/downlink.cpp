// SPDX-License-Identifier: Apache-2.0
#include "sync/downlink.hpp"

#include "edge/base/crypto.hpp"
#include "edge/base/log.hpp"
#include "edge/msg/backfill.hpp"
#include "edge/msg/declaration.hpp"
#include "edge/msg/plate.hpp"
#include "edge/msg/topics.hpp"

namespace kordon::sync {

Downlink::Downlink(store::Store& store, const Clock& clock, EventsCommitted on_events)
    : store_(store), clock_(clock), on_events_(std::move(on_events)) {}

void Downlink::record(const std::function<Status(store::Transaction&)>& body) {
  auto events = store_.transact(body);
  if (!events.isOk()) {
    ++store_errors_;
    log::error("downlink store write failed", {{"error", events.status().message()}});
    return;
  }
  if (on_events_) on_events_(*events);
}

void Downlink::reject(const std::string& topic, const std::string& payload,
                      const std::string& reason) {
  ++rejected_;
  log::warn("downlink message rejected", {{"topic", topic}, {"reason", reason}});
  record([&](store::Transaction& tx) {
    return tx.emit({"downlink.rejected",
                    "",
                    "",
                    {{"topic", topic},
                     {"reason", reason},
                     {"payload_sha256", sha256Hex(payload)},
                     {"payload_bytes", payload.size()}}});
  });
}

void Downlink::onMessage(const std::string& topic, const std::string& payload) {
  const bool is_declaration =
      topic == msg::commandTopic(store_.postId(), msg::kDeclarationsCommand);
  const bool is_backfill = topic == msg::commandTopic(store_.postId(), msg::kBackfillCommand);
  if (!is_declaration && !is_backfill) {
    reject(topic, payload, "unknown command topic");
    return;
  }
  const auto json = nlohmann::json::parse(payload, nullptr, false);
  if (json.is_discarded()) {
    reject(topic, payload, "payload is not valid JSON");
    return;
  }
  if (is_backfill) {
    onBackfillRequest(topic, payload, json);
    return;
  }
  auto declaration = msg::parseDeclaration(json);
  if (!declaration.isOk()) {
    reject(topic, payload, declaration.status().message());
    return;
  }
  const msg::Declaration& d = *declaration;
  record([&](store::Transaction& tx) -> Status {
    auto result = tx.upsertDeclaration(d, msg::normalisePlate(d.tractor_plate), clock_.nowWallMs());
    if (!result.isOk()) return result.status();
    if (*result == store::UpsertResult::kStale) {
      ++stale_;
      return tx.emit(
          {"declaration.ignored",
           "",
           "",
           {{"declaration", d.id}, {"version", d.version}, {"reason", "stale version"}}});
    }
    ++applied_;
    const char* outcome = *result == store::UpsertResult::kInserted  ? "inserted"
                          : *result == store::UpsertResult::kUpdated ? "updated"
                                                                     : "cancelled";
    log::info("declaration applied",
              {{"declaration", d.id}, {"version", d.version}, {"outcome", outcome}});
    return tx.emit({"declaration.applied",
                    "",
                    "",
                    {{"declaration", d.id},
                     {"version", d.version},
                     {"outcome", outcome},
                     {"plate", d.cancelled ? "" : msg::normalisePlate(d.tractor_plate)}}});
  });
}

void Downlink::onBackfillRequest(const std::string& topic, const std::string& payload,
                                 const nlohmann::json& json) {
  auto request = msg::parseBackfillRequest(json);
  if (!request.isOk()) {
    reject(topic, payload, request.status().message());
    return;
  }
  ++backfill_requests_;
  // Not an event: a backfill changes no state, and answering it re-sends events central lacks.
  log::info("backfill requested", {{"from", request->from}, {"to", request->to}});
  if (on_backfill_) on_backfill_(*request);
}

nlohmann::json Downlink::statusJson() const {
  return {{"applied", applied_},
          {"stale", stale_},
          {"backfill_requests", backfill_requests_},
          {"rejected", rejected_},
          {"store_errors", store_errors_}};
}

}  // namespace kordon::sync
