// SPDX-License-Identifier: Apache-2.0
#pragma once

// Signed JSON objects, for commands from central (declarations, policies, backfill requests):
// "sig" holds the Ed25519 signature (128 hex digits) of the object's canonical JSON without
// "sig" (keys sorted, no whitespace, as for the event hash). A post that is given central's
// public key accepts only commands that verify (docs/CONTRACTS.md §2).

#include <nlohmann/json.hpp>

#include "edge/base/crypto.hpp"
#include "edge/base/status.hpp"

namespace kordon::msg {

// Adds or replaces object["sig"]. `object` must be a JSON object.
void signJson(nlohmann::json& object, const SigningKey& key);
// Ok when object["sig"] is a valid signature of the rest; otherwise says why.
Status verifyJson(const nlohmann::json& object, const VerifyKey& key);
// The canonical text that is hashed and signed: compact, keys sorted, invalid UTF-8 replaced.
std::string canonicalJson(const nlohmann::json& value);

}  // namespace kordon::msg
