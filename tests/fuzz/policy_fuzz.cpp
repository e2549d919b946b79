// SPDX-License-Identifier: Apache-2.0
// Untrusted: policy commands (rule sets, risk profiles, allow and deny lists) from the broker.
#include "edge/msg/policy.hpp"
#include "tests/fuzz/fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > kordon::msg::kMaxPolicyBytes) return 0;  // the downlink refuses these unparsed
  const auto json = nlohmann::json::parse(fuzzText(data, size), nullptr, false);
  if (json.is_discarded()) return 0;
  auto policy = kordon::msg::parsePolicy(json);
  if (policy.isOk()) (void)kordon::msg::toString(policy->kind);
  return 0;
}
