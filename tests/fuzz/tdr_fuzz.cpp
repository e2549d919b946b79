// SPDX-License-Identifier: Apache-2.0
// Untrusted: DICOS TDR files dropped by scanner workstations (DCMTK decodes, we map).
#include "drivers/xray_scanner/tdr_parser.hpp"
#include "tests/fuzz/fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)kordon::drivers::parseTdr(fuzzText(data, size));
  return 0;
}
