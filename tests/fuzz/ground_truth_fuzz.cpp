// SPDX-License-Identifier: Apache-2.0
// Untrusted: openalpr-style ground-truth lines beside the images `kordon-anpr eval` reads.
#include "simulators/anpr_tools/ground_truth.hpp"
#include "tests/fuzz/fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto truth = kordon::anpr_tools::parseGroundTruth(fuzzText(data, size));
  if (!truth) return 0;
  // What parses formats back to a line that parses to the same truth.
  auto again = kordon::anpr_tools::parseGroundTruth(formatGroundTruth(*truth));
  if (!again || again->file != truth->file || again->box != truth->box ||
      again->plate != truth->plate) {
    __builtin_trap();
  }
  return 0;
}
