// SPDX-License-Identifier: Apache-2.0
// Untrusted: multipart/form-data bodies pushed by cameras. The first line of the input is the
// Content-Type header, the rest is the body.
#include "drivers/anpr_camera/multipart.hpp"
#include "tests/fuzz/fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = fuzzText(data, size);
  const auto newline = input.find('\n');
  if (newline == std::string_view::npos) return 0;
  (void)kordon::drivers::parseMultipart(input.substr(0, newline), input.substr(newline + 1));
  return 0;
}
