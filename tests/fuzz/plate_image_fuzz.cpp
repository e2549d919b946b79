// SPDX-License-Identifier: Apache-2.0
// Untrusted: camera frames (JPEG/PNG/... bytes from a snapshot URL or a file) through the plate
// reader's image entry point: decode, locate, segment, classify.
#include <memory>
#include <string>

#include "drivers/plate_reader/plate_reader.hpp"
#include "tests/fuzz/fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::shared_ptr<const kordon::drivers::anpr::PlateReader> reader = [] {
    auto created = kordon::drivers::anpr::PlateReader::create({});
    if (!created) __builtin_trap();
    return *created;
  }();
  auto read = reader->readEncoded(std::string(fuzzText(data, size)));
  if (read && *read) {
    const auto& plate = **read;
    if (plate.alternatives.size() != plate.plate.size()) __builtin_trap();
    if (!(plate.confidence >= 0 && plate.confidence <= 1)) __builtin_trap();
  }
  return 0;
}
