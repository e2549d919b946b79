// SPDX-License-Identifier: Apache-2.0
#pragma once

// Applies commands from central (kordon/v1/{post}/cmd/...). Declarations are upserted by id and
// version, policies (cmd/policy: rule set, risk profiles, allow and deny lists) by kind and
// version, idempotently: a re-delivered or older version changes nothing. Every message leaves
// an event: declaration.applied / declaration.ignored, policy.applied / policy.ignored (stale)
// or downlink.rejected (why), in the same transaction as the change, so central sees exactly
// what the post did with it, naming who at central issued it ("issued_by", edge/msg/command.hpp).
// A version more than msg::kMaxVersionStep above the one held is ignored (declaration.ignored /
// policy.ignored with the reason). A valid backfill request goes to the BackfillHandler (the
// outbox pump) and leaves no event.
//
// With central's public key, every command must carry central's signature (msg::verifyJson);
// an unsigned or wrongly signed one is rejected like a malformed one. Without a key, commands
// are accepted unsigned (the daemon warns once at start).
//
// Thread-safety: control loop thread only.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edge/base/clock.hpp"
#include "edge/base/crypto.hpp"
#include "edge/msg/backfill.hpp"
#include "edge/msg/event.hpp"
#include "edge/msg/policy.hpp"
#include "edge/store/store.hpp"

namespace kordon::sync {

class Downlink {
 public:
  using BackfillHandler = std::function<void(const msg::BackfillRequest&)>;
  // Its events reach the outbox through the store's commit feed (Store::onCommitted).
  Downlink(store::Store& store, const Clock& clock,
           std::optional<VerifyKey> central_key = std::nullopt);

  void onMessage(const std::string& topic, const std::string& payload);
  nlohmann::json statusJson() const;

  // Called with every valid, verified backfill request (the outbox pump answers it).
  void onBackfill(BackfillHandler handler) { on_backfill_ = std::move(handler); }
  // Called once a policy is stored, to put it in force.
  void onPolicyApplied(std::function<void(const msg::Policy&)> fn) { on_policy_ = std::move(fn); }
  // Called with the time of every accepted command (applied or stale): central is in touch.
  void onCommandAccepted(std::function<void(WallMs)> fn) { on_accepted_ = std::move(fn); }

 private:
  void applyDeclaration(const std::string& topic, const std::string& payload,
                        const nlohmann::json& json);
  void applyPolicy(const std::string& topic, const std::string& payload,
                   const nlohmann::json& json);
  void reject(const std::string& topic, const std::string& payload, const std::string& reason);
  void onBackfillRequest(const std::string& topic, const std::string& payload,
                         const nlohmann::json& json);
  bool record(const std::function<Status(store::Transaction&)>& body);  // false: not stored

  store::Store& store_;
  const Clock& clock_;
  BackfillHandler on_backfill_;
  std::optional<VerifyKey> central_key_;
  std::function<void(const msg::Policy&)> on_policy_;
  std::function<void(WallMs)> on_accepted_;
  std::uint64_t applied_ = 0;
  std::uint64_t stale_ = 0;
  std::uint64_t version_jumps_ = 0;  // ignored: too far above the version held
  std::uint64_t backfill_requests_ = 0;
  std::uint64_t rejected_ = 0;
  std::uint64_t store_errors_ = 0;
};

}  // namespace kordon::sync
