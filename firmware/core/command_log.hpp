// SPDX-License-Identifier: Apache-2.0
#pragma once

// A fixed-size ring of the last kCapacity log records (S7): no heap, the oldest record is
// overwritten. Readable over Modbus (register map) and printed by the Linux build.
//
// Thread-safety: none; the owner serialises access.

#include <cstdint>

#include "firmware/core/lane_core.hpp"

namespace kordon::firmware {

class CommandLog {
 public:
  static constexpr std::uint32_t kCapacity = 64;

  void append(LogRecord record) {
    record.seq = ++total_;
    ring_[(total_ - 1) % kCapacity] = record;
  }
  std::uint32_t total() const { return total_; }  // records ever appended
  std::uint32_t size() const { return total_ < kCapacity ? total_ : kCapacity; }
  // age 0 is the newest; age < size().
  const LogRecord& newest(std::uint32_t age) const { return ring_[(total_ - 1 - age) % kCapacity]; }

 private:
  LogRecord ring_[kCapacity];
  std::uint32_t total_ = 0;
};

}  // namespace kordon::firmware
