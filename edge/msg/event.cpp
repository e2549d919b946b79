// SPDX-License-Identifier: Apache-2.0
#include "edge/msg/event.hpp"

#include "edge/base/crypto.hpp"

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

bool isHex64(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string computeEventHash(const Event& e) {
  // nlohmann::json keeps object keys in a std::map, so dump() is already key-sorted.
  return sha256Hex(withoutHash(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

nlohmann::json toJson(const Event& e) {
  nlohmann::json j = withoutHash(e);
  j["hash"] = e.hash;
  return j;
}

std::string toWireString(const Event& e) {
  return toJson(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

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
  return e;
}

}  // namespace kordon::msg
