// SPDX-License-Identifier: Apache-2.0
#include "edge/base/address_filter.hpp"

#include <boost/asio/ip/address.hpp>

namespace kordon {
namespace {

namespace ip = boost::asio::ip;

// Parses an address, folding IPv4-mapped IPv6 to IPv4.
bool toBytes(const std::string& text, std::array<std::uint8_t, 16>* bytes, bool* v4) {
  boost::system::error_code ec;
  ip::address address = ip::make_address(text, ec);
  if (ec) return false;
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = ip::make_address_v4(ip::v4_mapped, address.to_v6());
  }
  bytes->fill(0);
  if (address.is_v4()) {
    const auto b = address.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), bytes->begin());
    *v4 = true;
  } else {
    const auto b = address.to_v6().to_bytes();
    std::copy(b.begin(), b.end(), bytes->begin());
    *v4 = false;
  }
  return true;
}

bool prefixMatches(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b,
                   int bits) {
  int i = 0;
  for (; bits >= 8; bits -= 8, ++i) {
    if (a[static_cast<std::size_t>(i)] != b[static_cast<std::size_t>(i)]) return false;
  }
  if (bits == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFF << (8 - bits));
  return (a[static_cast<std::size_t>(i)] & mask) == (b[static_cast<std::size_t>(i)] & mask);
}

}  // namespace

Result<AddressFilter> AddressFilter::parse(const std::vector<std::string>& entries) {
  AddressFilter filter;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::string& entry = entries[i];
    const std::string where =
        "allow_from[" + std::to_string(i) + "]: \"" + entry.substr(0, 64) + "\": ";
    Block block;
    const auto slash = entry.find('/');
    const std::string address = entry.substr(0, slash);
    if (!toBytes(address, &block.bytes, &block.v4)) {
      return Status::error(where + "expected an IPv4 or IPv6 address, optionally /prefix");
    }
    const int max_bits = block.v4 ? 32 : 128;
    block.prefix_bits = max_bits;
    if (slash != std::string::npos) {
      const std::string bits = entry.substr(slash + 1);
      if (bits.empty() || bits.size() > 3 || bits.find_first_not_of("0123456789") != bits.npos) {
        return Status::error(where + "expected a prefix length after '/'");
      }
      block.prefix_bits = std::stoi(bits);
      if (block.prefix_bits > max_bits) {
        return Status::error(where + "prefix longer than " + std::to_string(max_bits) + " bits");
      }
    }
    filter.blocks_.push_back(block);
    filter.entries_.push_back(entry);
  }
  return filter;
}

bool AddressFilter::allows(const std::string& address) const {
  std::array<std::uint8_t, 16> bytes{};
  bool v4 = true;
  if (!toBytes(address, &bytes, &v4)) return false;
  for (const Block& block : blocks_) {
    if (block.v4 == v4 && prefixMatches(block.bytes, bytes, block.prefix_bits)) return true;
  }
  return false;
}

}  // namespace kordon
