// SPDX-License-Identifier: Apache-2.0
#pragma once

// Weighing-indicator Modbus register maps as data (ArduPilot serial_rangefinder_definitions[]):
// adding an indicator means adding a table row, not code. decodeWeight() (weight_decoder.hpp)
// interprets one FC03 block with a map; the byte-by-byte layouts are documented there.
//
// Addresses are 0-based wire addresses (device-protocols.md §8). Immutable; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

namespace kordon::drivers {

enum class WordOrder {
  kHighLow,  // most significant word in the lower register ("ABCD"; Laumas, Flintec High-Low)
  kLowHigh,  // least significant word first ("CDAB"; Flintec Low-High)
};

enum class WeightEncoding {
  kSigned32,              // two's complement across both words (Flintec)
  kMagnitudeWithSignBit,  // unsigned magnitude; a status bit carries the sign (Laumas)
};

inline constexpr int kNoRegister = -1;
inline constexpr int kNoBit = -1;

struct RegisterMap {
  std::string_view name;
  std::string_view description;

  // One FC03 request reads [block_start, block_start + block_count).
  int block_start = 0;
  int block_count = 0;

  // Gross weight: two registers at gross_addr, gross_addr + 1; integer kg (the indicator must be
  // set to kg with no decimals).
  int gross_addr = 0;
  WordOrder word_order = WordOrder::kHighLow;
  WeightEncoding encoding = WeightEncoding::kSigned32;

  int status_addr = 0;
  int negative_bit = kNoBit;  // kMagnitudeWithSignBit: set when the gross weight is negative
  int stability_bit = kNoBit;
  bool stability_bit_set_means_stable = true;  // Laumas bit 11 = 1 stable; Flintec D2 = 1 motion
  int data_ok_bit = kNoBit;                    // must read 1 or the value is invalid (Flintec D1)
  std::uint16_t error_mask = 0;                // any set -> WeightState::kError
  std::uint16_t overload_mask = 0;             // any set -> WeightState::kOverload

  // An error-code field inside the status register (Flintec D13..D15); 0 means no error.
  std::uint16_t error_code_mask = 0;
  int error_code_shift = 0;
  std::uint16_t overload_codes = 0;  // bit n set: code n is an over/out-of-range, not a fault

  // A second status register (FT-111 40009 error status, low word); kNoRegister if none.
  int status2_addr = kNoRegister;
  std::uint16_t status2_error_mask = 0;     // any set -> WeightState::kError
  std::uint16_t status2_overload_mask = 0;  // any set -> WeightState::kOverload

  // Decimal-point field (FT-111 status B27..B31 = bits 11..15 of the high word). The driver
  // needs integer kg: a non-zero decimal position is kError. kNoRegister if the map has none.
  int decimal_addr = kNoRegister;
  std::uint16_t decimal_mask = 0;

  // Two registers the indicator increments on its own (FT-111 40011: every 100 ms), compared
  // as a raw pair. The driver treats no change for stale_after_ms as a frozen indicator.
  int heartbeat_addr = kNoRegister;
};

// The map named `name` ("laumas", "flintec", "flintec-ft111"), or nullptr.
const RegisterMap* findRegisterMap(std::string_view name);

// "laumas, flintec": for error messages naming what is accepted.
std::string knownRegisterMapNames();

}  // namespace kordon::drivers
