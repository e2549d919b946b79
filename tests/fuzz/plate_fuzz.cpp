// SPDX-License-Identifier: Apache-2.0
// Untrusted: plate text from cameras (any bytes, not always valid UTF-8).
#include "edge/msg/plate.hpp"
#include "tests/fuzz/fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string once = kordon::msg::normalisePlate(fuzzText(data, size));
  // Normalising is idempotent: a normalised plate is its own key.
  if (kordon::msg::normalisePlate(once) != once) __builtin_trap();
  return 0;
}
