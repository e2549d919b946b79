// SPDX-License-Identifier: Apache-2.0
#include "edge/msg/signed_json.hpp"

namespace kordon::msg {

std::string canonicalJson(const nlohmann::json& value) {
  // nlohmann::json keeps object keys in a std::map, so dump() is already key-sorted.
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void signJson(nlohmann::json& object, const SigningKey& key) {
  object.erase("sig");
  const std::string sig = key.sign(canonicalJson(object));
  object["sig"] = sig;
}

Status verifyJson(const nlohmann::json& object, const VerifyKey& key) {
  if (!object.is_object()) return Status::error("expected a JSON object");
  const auto it = object.find("sig");
  if (it == object.end()) return Status::error("sig: missing (central's signature is required)");
  if (!it->is_string()) return Status::error("sig: expected 128 hex digits");
  nlohmann::json unsigned_part = object;
  unsigned_part.erase("sig");
  if (!key.verify(canonicalJson(unsigned_part), it->get_ref<const std::string&>())) {
    return Status::error("sig: not a valid signature by central's key");
  }
  return Status::ok();
}

}  // namespace kordon::msg
