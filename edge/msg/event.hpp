// SPDX-License-Identifier: Apache-2.0
#pragma once

// The event envelope: the contract between a post and central (docs/CONTRACTS.md).
//
//   {"schema":"kordon.event/1","post":"KZ-KHORGOS","seq":42,"id":"<uuid>",
//    "type":"passage.decided","time":"2026-11-21T10:25:00.123Z","lane":"L1",
//    "passage":"<uuid>","prev_hash":"<64 hex>","hash":"<64 hex>","payload":{...}}
//
// seq is gap-free per post, starting at 1. prev_hash of seq 1 is 64 zeros. hash is the
// SHA-256 of the canonical JSON of every field except "hash" and "sig": keys sorted, no
// whitespace, UTF-8 as is. Central recomputes it, so the chain proves order and integrity.
// lane and passage are "" when the event belongs to the post as a whole.
//
// sig, present when the post has a signing key, is the Ed25519 signature (128 hex digits) of
// the ASCII text of "hash" by the post's key. Since hash covers every other field, the
// signature proves which post wrote the whole event; central holds each post's public key.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "edge/base/clock.hpp"
#include "edge/base/crypto.hpp"
#include "edge/base/status.hpp"

namespace kordon::msg {

inline constexpr const char* kEventSchema = "kordon.event/1";
inline const std::string kGenesisHash(64, '0');

struct Event {
  std::string post;
  std::int64_t seq = 0;
  std::string id;
  std::string type;
  WallMs time_ms = 0;
  std::string lane;
  std::string passage;
  std::string prev_hash;
  std::string hash;
  std::string sig;  // "" = unsigned
  nlohmann::json payload = nlohmann::json::object();
};

// What a component asks to record; the journal assigns post, seq, id, time and hashes.
struct EventDraft {
  std::string type;
  std::string lane;
  std::string passage;
  nlohmann::json payload = nlohmann::json::object();
};

nlohmann::json toJson(const Event& e);
std::string toWireString(const Event& e);  // compact JSON, as published
Result<Event> parseEvent(const nlohmann::json& j);
// SHA-256 of the canonical form of e without its hash and signature.
std::string computeEventHash(const Event& e);
// Computes e.hash, and e.sig when `key` is given, and returns the wire form: what the journal
// stores. Builds the JSON once, which is why the journal uses it instead of the three calls.
std::string sealEvent(Event& e, const SigningKey* key);
// Sets e.sig from e.hash, which must already be computed.
void signEvent(Event& e, const SigningKey& key);
// True when e.sig is a valid signature of e.hash by `key`. Check the hash first.
bool verifyEventSignature(const Event& e, const VerifyKey& key);

}  // namespace kordon::msg
