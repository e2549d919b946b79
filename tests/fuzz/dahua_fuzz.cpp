// SPDX-License-Identifier: Apache-2.0
// Untrusted: Dahua ITSAPI TollgateInfo JSON pushed by cameras (base64 pictures included).
#include <nlohmann/json.hpp>

#include "drivers/anpr_camera/dahua_event.hpp"
#include "tests/fuzz/fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto event = kordon::drivers::parseDahuaTollgate(fuzzText(data, size));
  if (event) {
    // The inspect view must not throw either.
    (void)kordon::drivers::toJson(*event).dump(-1, ' ', false,
                                               nlohmann::json::error_handler_t::replace);
  }
  (void)kordon::drivers::decodeBase64(fuzzText(data, size));
  return 0;
}
