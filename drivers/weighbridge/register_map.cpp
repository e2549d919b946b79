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
    .status2_addr = kNoRegister,
    .status2_error_mask = 0,
    .status2_overload_mask = 0,
    .decimal_addr = kNoRegister,
    .decimal_mask = 0,
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
    .status2_addr = kNoRegister,
    .status2_error_mask = 0,
    .status2_overload_mask = 0,
    .decimal_addr = kNoRegister,
    .decimal_mask = 0,
    .heartbeat_addr = kNoRegister,
};

// device-protocols.md §1.2, Flintec FT-111/FT-112 (FT-112 technical manual §13.2.1, FT-111
// user manual §11.7), word order "Modbus RTU High-Low". Reads 40001..40012 (wire 0..11) in one
// request: actual weight (0-1), tare (2-3), gross (4-5), status 32 bits (6 high, 7 low), error
// status (8 high, 9 low), heartbeat (10-11, +1 every 100 ms).
constexpr RegisterMap kFlintecFt111{
    .name = "flintec-ft111",
    .description = "Flintec FT-111/FT-112 indicator (32-bit status, heartbeat)",
    .block_start = 0,
    .block_count = 12,
    .gross_addr = 4,
    .word_order = WordOrder::kHighLow,
    .encoding = WeightEncoding::kSigned32,
    .status_addr = 7,  // status B0..B15
    .negative_bit = kNoBit,
    .stability_bit = 2,  // B2 unstable
    .stability_bit_set_means_stable = false,
    .data_ok_bit = kNoBit,
    .error_mask = 0,
    .overload_mask = 0,
    .error_code_mask = 0,
    .error_code_shift = 0,
    .overload_codes = 0,
    .status2_addr = 9,  // error status B0..B15
    // B0 low voltage, B1 programming mode, B2 system error, B3 ADC under range, B6 tilt switch
    .status2_error_mask = bit(0) | bit(1) | bit(2) | bit(3) | bit(6),
    .status2_overload_mask = bit(4) | bit(5),  // ADC over range, ADC out of range
    .decimal_addr = 6,                         // status B27..B31 = high word bits 11..15
    .decimal_mask = 0xF800,
    .heartbeat_addr = 10,
};

constexpr std::array<const RegisterMap*, 3> kRegisterMaps{&kLaumas, &kFlintec, &kFlintecFt111};

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
