// SPDX-License-Identifier: Apache-2.0
#pragma once

// MQTT topic tree, one subtree per post so broker ACLs can keep posts apart:
//   kordon/v1/{post}/events             up:   event envelopes, QoS1, in seq order; backfilled
//                                              events are re-sent here too
//   kordon/v1/{post}/cmd/declarations   down: declaration upserts and cancels, QoS1
//   kordon/v1/{post}/cmd/policy         down: rule sets, risk profiles, allow and deny lists
//   kordon/v1/{post}/cmd/backfill       down: {"schema":"kordon.backfill/1","from":N,"to":M}
//                                              asks the post to re-send seq N..M from its journal
//   kordon/v1/{post}/status             up:   retained {"post","state":"online"|"offline",
//                                              "time","last_seq"}; re-published periodically so
//                                              central sees a missing tail; the will says offline
//   kordon/v1/{post}/sim/truth          test benches only: what kordon-scenario is about to do
//
// Every command from central is a JSON object signed with msg::signJson when central has a key
// (edge/msg/signed_json.hpp); a post configured with central's public key refuses the rest.

#include <string>

namespace kordon::msg {

inline std::string eventsTopic(const std::string& post) { return "kordon/v1/" + post + "/events"; }
inline std::string statusTopic(const std::string& post) { return "kordon/v1/" + post + "/status"; }
inline std::string commandTopic(const std::string& post, const std::string& command) {
  return "kordon/v1/" + post + "/cmd/" + command;
}
inline std::string simTruthTopic(const std::string& post) {
  return "kordon/v1/" + post + "/sim/truth";
}
inline constexpr const char* kAllEventsFilter = "kordon/v1/+/events";
inline constexpr const char* kAllStatusFilter = "kordon/v1/+/status";
inline constexpr const char* kDeclarationsCommand = "declarations";
inline constexpr const char* kPolicyCommand = "policy";
inline constexpr const char* kBackfillCommand = "backfill";
inline constexpr const char* kBackfillSchema = "kordon.backfill/1";

}  // namespace kordon::msg
