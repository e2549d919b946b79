// SPDX-License-Identifier: Apache-2.0
#include "drivers/weighbridge/weight_decoder.hpp"

#include <string>

namespace kordon::drivers {
namespace {

bool bitSet(std::uint16_t word, int bit) { return bit != kNoBit && ((word >> bit) & 1U) != 0; }

// Offset of wire address `addr` in the block, or -1 when a `words`-register field at `addr`
// does not lie inside it.
int offsetOf(const RegisterMap& map, int addr, int words, std::size_t block_size) {
  const int offset = addr - map.block_start;
  if (offset < 0 || static_cast<std::size_t>(offset + words) > block_size) return -1;
  return offset;
}

std::uint32_t joinWords(std::uint16_t first, std::uint16_t second, WordOrder order) {
  const std::uint16_t high = order == WordOrder::kHighLow ? first : second;
  const std::uint16_t low = order == WordOrder::kHighLow ? second : first;
  return (static_cast<std::uint32_t>(high) << 16) | low;
}

}  // namespace

Result<WeightSample> decodeWeight(std::span<const std::uint16_t> block, const RegisterMap& map) {
  const int status_offset = offsetOf(map, map.status_addr, 1, block.size());
  const int gross_offset = offsetOf(map, map.gross_addr, 2, block.size());
  if (status_offset < 0 || gross_offset < 0) {
    return Status::error("register block too short for map '" + std::string(map.name) + "': got " +
                         std::to_string(block.size()) + " registers from " +
                         std::to_string(map.block_start) + ", need status at " +
                         std::to_string(map.status_addr) + " and gross at " +
                         std::to_string(map.gross_addr) + "+2");
  }

  const int status2_offset =
      map.status2_addr == kNoRegister ? -1 : offsetOf(map, map.status2_addr, 1, block.size());
  const int decimal_offset =
      map.decimal_addr == kNoRegister ? -1 : offsetOf(map, map.decimal_addr, 1, block.size());
  if ((map.status2_addr != kNoRegister && status2_offset < 0) ||
      (map.decimal_addr != kNoRegister && decimal_offset < 0)) {
    return Status::error("register block too short for map '" + std::string(map.name) + "': got " +
                         std::to_string(block.size()) + " registers");
  }

  const std::uint16_t status = block[static_cast<std::size_t>(status_offset)];
  const std::uint16_t status2 =
      status2_offset < 0 ? 0 : block[static_cast<std::size_t>(status2_offset)];
  const std::uint16_t decimal =
      decimal_offset < 0 ? 0 : block[static_cast<std::size_t>(decimal_offset)] & map.decimal_mask;
  WeightSample sample;
  sample.indicator_stable = bitSet(status, map.stability_bit) == map.stability_bit_set_means_stable;

  const int error_code = (status & map.error_code_mask) >> map.error_code_shift;
  const bool data_invalid = map.data_ok_bit != kNoBit && !bitSet(status, map.data_ok_bit);
  const bool code_is_overload = error_code != 0 && ((map.overload_codes >> error_code) & 1U) != 0;
  if (data_invalid || (status & map.error_mask) != 0 || (error_code != 0 && !code_is_overload) ||
      (status2 & map.status2_error_mask) != 0 || decimal != 0) {
    sample.state = msg::WeightState::kError;
    return sample;
  }
  if ((status & map.overload_mask) != 0 || code_is_overload ||
      (status2 & map.status2_overload_mask) != 0) {
    sample.state = msg::WeightState::kOverload;
    return sample;
  }

  const auto gross_index = static_cast<std::size_t>(gross_offset);
  const std::uint32_t raw = joinWords(block[gross_index], block[gross_index + 1], map.word_order);
  switch (map.encoding) {
    case WeightEncoding::kSigned32:
      sample.gross_kg = static_cast<std::int32_t>(raw);  // two's complement (C++20 defines it)
      break;
    case WeightEncoding::kMagnitudeWithSignBit:
      sample.gross_kg = bitSet(status, map.negative_bit) ? -static_cast<std::int64_t>(raw)
                                                         : static_cast<std::int64_t>(raw);
      break;
  }
  if (sample.gross_kg < 0) {
    sample.state = msg::WeightState::kUnderZero;
  } else {
    sample.state = sample.indicator_stable ? msg::WeightState::kStable : msg::WeightState::kMotion;
  }
  return sample;
}

}  // namespace kordon::drivers
