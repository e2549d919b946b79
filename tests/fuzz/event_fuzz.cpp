// SPDX-License-Identifier: Apache-2.0
// Untrusted: event envelopes as central receives them from the broker.
#include "edge/msg/event.hpp"
#include "tests/fuzz/fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto json = nlohmann::json::parse(fuzzText(data, size), nullptr, false);
  if (json.is_discarded()) return 0;
  auto event = kordon::msg::parseEvent(json);
  if (event.isOk()) (void)kordon::msg::computeEventHash(*event);
  return 0;
}
