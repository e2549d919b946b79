// SPDX-License-Identifier: Apache-2.0
// Untrusted (by an operator's hand): kordond's TOML configuration.
#include <string>

#include "edge/kordond/config/config.hpp"
#include "tests/fuzz/fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)kordon::config::parseConfig(std::string(fuzzText(data, size)), "fuzz.toml");
  return 0;
}
