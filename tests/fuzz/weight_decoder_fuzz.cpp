// SPDX-License-Identifier: Apache-2.0
// Untrusted: register blocks read from a weighing indicator, through every shipped map.
#include <vector>

#include "drivers/weighbridge/register_map.hpp"
#include "drivers/weighbridge/weight_decoder.hpp"
#include "tests/fuzz/fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint16_t> regs(size / 2);
  for (std::size_t i = 0; i < regs.size(); ++i) {
    regs[i] = static_cast<std::uint16_t>(data[2 * i] << 8 | data[2 * i + 1]);
  }
  for (const char* name : {"laumas", "flintec"}) {
    if (const auto* map = kordon::drivers::findRegisterMap(name)) {
      (void)kordon::drivers::decodeWeight(regs, *map);
    }
  }
  return 0;
}
