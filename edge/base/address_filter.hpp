// SPDX-License-Identifier: Apache-2.0
#pragma once

// An allow-list of source addresses for a device listener: single addresses and CIDR blocks,
// IPv4 and IPv6 ("10.10.1.40", "10.10.1.0/24", "::1", "fd00:10::/64"). An IPv4-mapped IPv6
// source (::ffff:10.10.1.40) is matched as the IPv4 address. An empty filter allows nothing.
//
// Thread-safety: immutable after parse(); safe from any thread.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "edge/base/status.hpp"

namespace kordon {

class AddressFilter {
 public:
  AddressFilter() = default;
  // Errors name the entry: "allow_from[1]: \"10.0.0.0/33\": prefix longer than 32 bits".
  static Result<AddressFilter> parse(const std::vector<std::string>& entries);

  bool allows(const std::string& address) const;
  bool empty() const { return blocks_.empty(); }
  const std::vector<std::string>& entries() const { return entries_; }

 private:
  struct Block {
    std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4
    bool v4 = true;
    int prefix_bits = 32;
  };
  std::vector<Block> blocks_;
  std::vector<std::string> entries_;
};

}  // namespace kordon
