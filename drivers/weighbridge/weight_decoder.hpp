// SPDX-License-Identifier: Apache-2.0
#pragma once

// Pure decoder for one FC03 register block of a weighing indicator (PX4 tfmini_parser.h): no
// I/O, no clock, no state, so it is unit-tested with golden blocks and is safe to fuzz.
// Thread-safe.
//
// `block` holds the registers [map.block_start, map.block_start + map.block_count) as host
// uint16_t values; Modbus sends each register big-endian (high byte first) and libmodbus has
// already swapped them. Byte offsets below are into the FC03 reply's data field.
//
// Laumas TLU/TLB/TLM8, map "laumas" (device-protocols.md §1.1): read wire 6..8 (40007..40009)
//   bytes 0-1  wire 6  STATUS     bit 0 load-cell error, bit 1 A/D malfunction  -> kError
//                                 bit 2 max weight + 9 divisions, bit 3 gross > 110 % full
//                                 scale, bit 4 gross beyond ±999999             -> kOverload
//                                 bit 7 gross weight negative sign
//                                 bit 11 weight stability (1 = stable)
//   bytes 2-3  wire 7  GROSS high word  } unsigned magnitude, high word first:
//   bytes 4-5  wire 8  GROSS low word   } gross = ±(high << 16 | low), sign from bit 7
//   e.g. 123456 kg stable: 08 00 | 00 01 | E2 40;  -40 kg in motion: 00 80 | 00 00 | 00 28
//
// Flintec FT-11/12/13/16, map "flintec" (device-protocols.md §1.2): read 0x0000..0x0006
//   bytes  0-3   0x0000-1  current display value (gross or net), not used
//   bytes  4-5   0x0002    STATUS  D0 busy, D1 data OK (0 -> kError), D2 motion (1 = not
//                                  stable), D3 net mode, D5-D7 outputs, D8-D10 inputs,
//                                  D13-D15 error code: 0 none, 1 ADC out of range and 2 ADC
//                                  over-range -> kOverload; 3 ADC under-range, 4 system fault,
//                                  5 not in weighing mode -> kError
//   bytes  6-9   0x0003-4  tare, not used
//   bytes 10-13  0x0005-6  GROSS, signed 32-bit two's complement, high word first
//   e.g. 123456 kg stable: status 00 02, gross 00 01 | E2 40;  -40 kg: FF FF | FF D8
//
// Flintec FT-111/FT-112, map "flintec-ft111" (device-protocols.md §1.2), High-Low word order,
// read 40001..40012 (wire 0..11):
//   bytes  0-3   wire 0-1   actual weight, not used
//   bytes  4-7   wire 2-3   tare, not used
//   bytes  8-11  wire 4-5   GROSS, signed 32-bit, high word first
//   bytes 12-15  wire 6-7   STATUS 32 bits: wire 7 = B0..B15 (B2 unstable, B3 net mode, B12
//                           centre of zero), wire 6 = B16..B31 (B27..B31 decimal point
//                           position = wire 6 bits 11..15; non-zero -> kError, kg only)
//   bytes 16-19  wire 8-9   ERROR STATUS: wire 9 B0 low voltage, B1 programming mode, B2 system
//                           error, B3 ADC under range, B6 tilt switch -> kError; B4 ADC over
//                           range, B5 ADC out of range -> kOverload
//   bytes 20-23  wire 10-11 HEARTBEAT, +1 every 100 ms (the driver's frozen-indicator check)
//   e.g. 38420 kg stable: 00 00 96 14 | 00 00 00 00 | 00 00 96 14 | 00 00 00 00 | 00 00 00 00 |
//        00 00 00 2A
//
// Precedence: a fault (kError) beats an overload, which beats any number. Overload and fault
// carry gross_kg = 0, never a number. A negative gross is kUnderZero and keeps its value for
// diagnostics (the bus message drops it). Otherwise kStable or kMotion from the indicator flag;
// the driver's StabilityFilter adds the band/time check on top.

#include <cstdint>
#include <span>

#include "drivers/weighbridge/register_map.hpp"
#include "edge/base/status.hpp"
#include "edge/msg/weight_reading.hpp"

namespace kordon::drivers {

struct WeightSample {
  std::int64_t gross_kg = 0;
  bool indicator_stable = false;  // the indicator's own stability flag, whatever the state
  msg::WeightState state = msg::WeightState::kError;
};

// Errors (a block too short for the map) are values; any register content decodes to a sample.
[[nodiscard]] Result<WeightSample> decodeWeight(std::span<const std::uint16_t> block,
                                                const RegisterMap& map);

}  // namespace kordon::drivers
