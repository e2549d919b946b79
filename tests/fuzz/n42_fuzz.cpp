// SPDX-License-Identifier: Apache-2.0
// Untrusted: ANSI N42.42-2012 documents dropped into the n42-folder by portal software.
#include "drivers/radiation_portal/n42_parser.hpp"
#include "tests/fuzz/fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto doc = kordon::drivers::parseN42(fuzzText(data, size));
  if (doc) {
    (void)kordon::drivers::toRadiationOccupancy(*doc);
    (void)kordon::drivers::toJson(*doc).dump(-1, ' ', false,
                                             nlohmann::json::error_handler_t::replace);
  }
  return 0;
}
