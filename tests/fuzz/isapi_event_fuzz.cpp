// SPDX-License-Identifier: Apache-2.0
// Untrusted: EventNotificationAlert XML pushed by cameras.
#include "drivers/anpr_camera/isapi_event.hpp"
#include "tests/fuzz/fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)kordon::drivers::parseIsapiAlert(fuzzText(data, size));
  return 0;
}
