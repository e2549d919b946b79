// SPDX-License-Identifier: Apache-2.0
#include "drivers/weighbridge/register_map.hpp"

#include <array>

namespace kordon::drivers {
namespace {

constexpr std::uint16_t bit(int n) { return static_cast<std::uint16_t>(1U << n); }

// device-protocols.md §1.1, Laumas TLU/TLB "List of available registers" and the LCB status
// table. Reads STATUS (wire 6) and GROSS high/low (wire 7, 8) in one request.
constexpr RegisterMap kLaumas{
    .name = "laumas",
    .description = "Laumas TLU/TLB/TLM8 weight transmitter",
    .block_start = 6,
    .block_count = 3,
    .gross_addr = 7,
    .word_order = WordOrder::kHighLow,
    .encoding = WeightEncoding::kMagnitudeWithSignBit,
    .status_addr = 6,
    .negative_bit = 7,
    .stability_bit = 11,
    .stability_bit_set_means_stable = true,
    .data_ok_bit = kNoBit,
    .error_mask = bit(0) | bit(1),              // load-cell error, A/D malfunction
    .overload_mask = bit(2) | bit(3) | bit(4),  // max + 9 div, > 110 % FS, beyond ±999999
    .error_code_mask = 0,
    .error_code_shift = 0,
    .overload_codes = 0,
    .heartbeat_addr = kNoRegister,
};

// device-protocols.md §1.2, Flintec FT-11/12/13/16 (rev 1.35-1.40). Reads display value
// (0x0000-1), status (0x0002), tare (0x0003-4) and gross (0x0005-6) in one request.
constexpr RegisterMap kFlintec{
    .name = "flintec",
    .description = "Flintec FT-11/FT-12/FT-13/FT-16 indicator",
    .block_start = 0x0000,
    .block_count = 7,
    .gross_addr = 0x0005,
    .word_order = WordOrder::kHighLow,
    .encoding = WeightEncoding::kSigned32,
    .status_addr = 0x0002,
    .negative_bit = kNoBit,
    .stability_bit = 2,  // D2 motion
    .stability_bit_set_means_stable = false,
    .data_ok_bit = 1,  // D1 data OK
    .error_mask = 0,
    .overload_mask = 0,
    .error_code_mask = 0xE000,  // D13..D15
    .error_code_shift = 13,
    .overload_codes = bit(1) | bit(2),  // 1 ADC out of range, 2 ADC over-range
    .heartbeat_addr = kNoRegister,
};

constexpr std::array<const RegisterMap*, 2> kRegisterMaps{&kLaumas, &kFlintec};

}  // namespace

const RegisterMap* findRegisterMap(std::string_view name) {
  for (const RegisterMap* map : kRegisterMaps) {
    if (map->name == name) return map;
  }
  return nullptr;
}

std::string knownRegisterMapNames() {
  std::string names;
  for (const RegisterMap* map : kRegisterMaps) {
    if (!names.empty()) names += ", ";
    names += map->name;
  }
  return names;
}

}  // namespace kordon::drivers
