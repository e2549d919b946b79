// SPDX-License-Identifier: Apache-2.0
// Untrusted: the status block read from a lane controller (or a PLC claiming to be one).
#include <vector>

#include "drivers/barrier/lane_registers.hpp"
#include "tests/fuzz/fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint16_t> regs(size / 2);
  for (std::size_t i = 0; i < regs.size(); ++i) {
    regs[i] = static_cast<std::uint16_t>(data[2 * i] << 8 | data[2 * i + 1]);
  }
  (void)kordon::drivers::lane::decodeLaneStatus(regs);
  return 0;
}
