// SPDX-License-Identifier: Apache-2.0
// Untrusted: declaration commands as a post receives them from the broker.
#include "edge/msg/declaration.hpp"
#include "edge/msg/plate.hpp"
#include "tests/fuzz/fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto json = nlohmann::json::parse(fuzzText(data, size), nullptr, false);
  if (json.is_discarded()) return 0;
  auto declaration = kordon::msg::parseDeclaration(json);
  if (declaration.isOk()) {
    (void)kordon::msg::normalisePlate(declaration->tractor_plate);
    (void)kordon::msg::toWire(*declaration).dump();
  }
  return 0;
}
