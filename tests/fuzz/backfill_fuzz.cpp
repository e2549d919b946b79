// SPDX-License-Identifier: Apache-2.0
// Untrusted: backfill requests and signed commands as a post receives them from the broker.
#include "edge/msg/backfill.hpp"
#include "edge/msg/signed_json.hpp"
#include "tests/fuzz/fuzz_target.hpp"

namespace {

// A fixed key: the target checks that verification of arbitrary input never misbehaves.
const kordon::VerifyKey& centralKey() {
  static const kordon::VerifyKey key = kordon::VerifyKey::of(kordon::SigningKey::generate());
  return key;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto json = nlohmann::json::parse(fuzzText(data, size), nullptr, false);
  if (json.is_discarded()) return 0;
  (void)kordon::msg::verifyJson(json, centralKey());
  auto request = kordon::msg::parseBackfillRequest(json);
  if (request.isOk()) (void)kordon::msg::toJson(*request).dump();
  return 0;
}
