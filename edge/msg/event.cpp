// SPDX-License-Identifier: Apache-2.0
#include "edge/msg/event.hpp"

#include "edge/base/crypto.hpp"
#include "edge/msg/signed_json.hpp"

namespace kordon::msg {
namespace {

nlohmann::json withoutHash(const Event& e) {
  return nlohmann::json{{"schema", kEventSchema},
                        {"post", e.post},
                        {"seq", e.seq},
                        {"id", e.id},
                        {"type", e.type},
                        {"time", formatUtcMs(e.time_ms)},
                        {"lane", e.lane},
                        {"passage", e.passage},
                        {"prev_hash", e.prev_hash},
                        {"payload", e.payload}};
}

bool isLowerHex(const std::string& s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool isHex64(const std::string& s) { return s.size() == 64 && isLowerHex(s); }

}  // namespace

std::string computeEventHash(const Event& e) { return sha256Hex(canonicalJson(withoutHash(e))); }

std::string sealEvent(Event& e, const SigningKey* key) {
  nlohmann::json j = withoutHash(e);
  e.hash = sha256Hex(canonicalJson(j));
  j["hash"] = e.hash;
  if (key != nullptr) {
    signEvent(e, *key);
    j["sig"] = e.sig;
  }
  return canonicalJson(j);
}

void signEvent(Event& e, const SigningKey& key) { e.sig = key.sign(e.hash); }

bool verifyEventSignature(const Event& e, const VerifyKey& key) {
  return !e.sig.empty() && key.verify(e.hash, e.sig);
}

nlohmann::json toJson(const Event& e) {
  nlohmann::json j = withoutHash(e);
  j["hash"] = e.hash;
  if (!e.sig.empty()) j["sig"] = e.sig;
  return j;
}

std::string toWireString(const Event& e) { return canonicalJson(toJson(e)); }

Result<Event> parseEvent(const nlohmann::json& j) {
  if (!j.is_object()) return Status::error("event: expected a JSON object");
  if (!j.contains("schema") || !j["schema"].is_string() || j["schema"] != kEventSchema) {
    return Status::error(std::string("schema: expected \"") + kEventSchema + "\"");
  }
  Event e;
  auto str = [&](const char* key, std::string* out) -> Status {
    if (!j.contains(key) || !j[key].is_string()) {
      return Status::error(std::string(key) + ": required string");
    }
    *out = j[key].get<std::string>();
    return Status::ok();
  };
  std::string time;
  for (auto [key, out] :
       {std::pair{"post", &e.post}, std::pair{"id", &e.id}, std::pair{"type", &e.type},
        std::pair{"time", &time}, std::pair{"lane", &e.lane}, std::pair{"passage", &e.passage},
        std::pair{"prev_hash", &e.prev_hash}, std::pair{"hash", &e.hash}}) {
    if (Status s = str(key, out); !s) return s;
  }
  if (!j.contains("seq") || !j["seq"].is_number_integer() || j["seq"].get<std::int64_t>() < 1) {
    return Status::error("seq: required integer >= 1");
  }
  e.seq = j["seq"].get<std::int64_t>();
  if (!parseUtcMs(time, &e.time_ms)) return Status::error("time: expected RFC 3339 UTC time");
  if (!isHex64(e.prev_hash)) return Status::error("prev_hash: expected 64 hex digits");
  if (!isHex64(e.hash)) return Status::error("hash: expected 64 hex digits");
  if (!j.contains("payload") || !j["payload"].is_object()) {
    return Status::error("payload: required object");
  }
  e.payload = j["payload"];
  if (j.contains("sig")) {
    const auto& sig = j["sig"];
    if (!sig.is_string() || sig.get_ref<const std::string&>().size() != 128 ||
        !isLowerHex(sig.get_ref<const std::string&>())) {
      return Status::error("sig: expected 128 hex digits");
    }
    e.sig = sig.get<std::string>();
  }
  return e;
}

}  // namespace kordon::msg
