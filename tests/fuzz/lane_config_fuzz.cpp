// SPDX-License-Identifier: Apache-2.0
// Untrusted: kordon-lane's TOML configuration file.
#include <string>

#include "firmware/linux/lane_config.hpp"
#include "tests/fuzz/fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)kordon::firmware::parseLaneConfig(text, "fuzz.toml");
  return 0;
}
