// SPDX-License-Identifier: Apache-2.0
#pragma once

// MQTT topic tree, one subtree per post so broker ACLs can keep posts apart:
//   kordon/v1/{post}/events             up:   event envelopes, QoS1, in seq order
//   kordon/v1/{post}/cmd/declarations   down: declaration upserts and cancels, QoS1
//   kordon/v1/{post}/cmd/{other}        down: rule sets, backfill requests (later issues)
//   kordon/v1/{post}/status             up:   retained {"state":"online"|"offline",...};
//                                              the last will says offline
//   kordon/v1/{post}/sim/truth          test benches only: what kordon-scenario is about to do

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

}  // namespace kordon::msg
