// SPDX-License-Identifier: Apache-2.0
#include "sync/downlink.hpp"

#include "edge/base/crypto.hpp"
#include "edge/base/log.hpp"
#include "edge/msg/backfill.hpp"
#include "edge/msg/command.hpp"
#include "edge/msg/declaration.hpp"
#include "edge/msg/event_types.hpp"
#include "edge/msg/plate.hpp"
#include "edge/msg/signed_json.hpp"
#include "edge/msg/topics.hpp"

namespace kordon::sync {

Downlink::Downlink(store::Store& store, const Clock& clock, std::optional<VerifyKey> central_key)
    : store_(store), clock_(clock), central_key_(std::move(central_key)) {}

bool Downlink::record(const std::function<Status(store::Transaction&)>& body) {
  auto events = store_.transact(body);
  if (!events.isOk()) {
    ++store_errors_;
    log::error("downlink store write failed", {{"error", events.status().message()}});
    return false;
  }
  return true;
}

void Downlink::reject(const std::string& topic, const std::string& payload,
                      const std::string& reason) {
  ++rejected_;
  log::warn("downlink message rejected", {{"topic", topic}, {"reason", reason}});
  record([&](store::Transaction& tx) {
    return tx.emit(msg::draft(msg::DownlinkRejected{topic, reason, sha256Hex(payload),
                                                    static_cast<std::int64_t>(payload.size())}));
  });
}

void Downlink::onMessage(const std::string& topic, const std::string& payload) {
  const bool is_declaration =
      topic == msg::commandTopic(store_.postId(), msg::kDeclarationsCommand);
  const bool is_policy = topic == msg::commandTopic(store_.postId(), msg::kPolicyCommand);
  const bool is_backfill = topic == msg::commandTopic(store_.postId(), msg::kBackfillCommand);
  if (!is_declaration && !is_policy && !is_backfill) {
    reject(topic, payload, "unknown command topic");
    return;
  }
  if (payload.size() > msg::kMaxPolicyBytes) {
    reject(topic, payload,
           "payload larger than " + std::to_string(msg::kMaxPolicyBytes) + " bytes");
    return;
  }
  const auto json = nlohmann::json::parse(payload, nullptr, false);
  if (json.is_discarded()) {
    reject(topic, payload, "payload is not valid JSON");
    return;
  }
  if (central_key_) {
    if (Status s = msg::verifyJson(json, *central_key_); !s) {
      reject(topic, payload, s.message());
      return;
    }
  }
  if (is_backfill) {
    onBackfillRequest(topic, payload, json);
  } else if (is_policy) {
    applyPolicy(topic, payload, json);
  } else {
    applyDeclaration(topic, payload, json);
  }
}

void Downlink::applyDeclaration(const std::string& topic, const std::string& payload,
                                const nlohmann::json& json) {
  auto declaration = msg::parseDeclaration(json);
  if (!declaration.isOk()) {
    reject(topic, payload, declaration.status().message());
    return;
  }
  auto origin = msg::parseCommandOrigin(json);
  if (!origin) {
    reject(topic, payload, origin.status().message());
    return;
  }
  const msg::Declaration& d = *declaration;
  const bool ok = record([&](store::Transaction& tx) -> Status {
    auto held = tx.declarationVersion(d.id);
    if (!held) return held.status();
    auto ignore = [&](const std::string& reason) {
      return tx.emit(msg::draft(msg::DeclarationIgnored{d.id, d.version, reason, *origin}));
    };
    if (Status step = msg::checkVersionStep(d.version, *held); !step) {
      ++version_jumps_;
      log::warn("declaration ignored", {{"declaration", d.id}, {"reason", step.message()}});
      return ignore(step.message());
    }
    auto result = tx.upsertDeclaration(d, msg::normalisePlate(d.tractor_plate), clock_.nowWallMs());
    if (!result.isOk()) return result.status();
    if (*result == store::UpsertResult::kStale) {
      ++stale_;
      return ignore("stale version");
    }
    ++applied_;
    const char* outcome = *result == store::UpsertResult::kInserted  ? "inserted"
                          : *result == store::UpsertResult::kUpdated ? "updated"
                                                                     : "cancelled";
    log::info("declaration applied",
              {{"declaration", d.id}, {"version", d.version}, {"outcome", outcome}});
    return tx.emit(msg::draft(
        msg::DeclarationApplied{d.id, d.version, outcome,
                                d.cancelled ? "" : msg::normalisePlate(d.tractor_plate), *origin}));
  });
  if (ok && on_accepted_) on_accepted_(clock_.nowWallMs());
}

void Downlink::applyPolicy(const std::string& topic, const std::string& payload,
                           const nlohmann::json& json) {
  auto policy = msg::parsePolicy(json);
  if (!policy.isOk()) {
    reject(topic, payload, policy.status().message());
    return;
  }
  auto origin = msg::parseCommandOrigin(json);
  if (!origin) {
    reject(topic, payload, origin.status().message());
    return;
  }
  const msg::Policy& p = *policy;
  const std::string kind = msg::toString(p.kind);
  bool applied = false;
  const bool ok = record([&](store::Transaction& tx) -> Status {
    applied = false;
    auto ignore = [&](const std::string& reason) {
      return tx.emit(msg::draft(msg::PolicyIgnored{kind, p.version, reason, *origin}));
    };
    auto held = tx.policyVersion(p.kind);
    if (!held) return held.status();
    if (Status step = msg::checkVersionStep(p.version, *held); !step) {
      ++version_jumps_;
      log::warn("policy ignored", {{"kind", kind}, {"reason", step.message()}});
      return ignore(step.message());
    }
    auto result = tx.upsertPolicy(p, json, clock_.nowWallMs());
    if (!result.isOk()) return result.status();
    if (*result == store::UpsertResult::kStale) return ignore("stale version");
    applied = true;
    msg::PolicyApplied event;
    event.kind = kind;
    event.version = p.version;
    event.issued = p.issued;
    event.payload_sha256 = sha256Hex(payload);
    event.issued_by = *origin;
    if (p.kind == msg::PolicyKind::kRiskProfiles) {
      event.profiles = static_cast<std::int64_t>(p.risk_profiles.size());
    }
    if (p.kind == msg::PolicyKind::kAllowList || p.kind == msg::PolicyKind::kDenyList) {
      event.plates = static_cast<std::int64_t>(p.list.plates.size());
      event.companies = static_cast<std::int64_t>(p.list.companies.size());
    }
    return tx.emit(msg::draft(event));
  });
  if (!ok) return;
  if (applied) {
    ++applied_;
    log::info("policy applied", {{"kind", kind}, {"version", p.version}});
    if (on_policy_) on_policy_(p);
  } else {
    ++stale_;
  }
  if (on_accepted_) on_accepted_(clock_.nowWallMs());
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
          {"version_jumps", version_jumps_},
          {"backfill_requests", backfill_requests_},
          {"rejected", rejected_},
          {"store_errors", store_errors_}};
}

}  // namespace kordon::sync
