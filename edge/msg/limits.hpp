// SPDX-License-Identifier: Apache-2.0
#pragma once

// Bounds on what comes from outside (cameras, portals, scanners, central, files). Every field
// that reaches an event is bounded, so every event stays under kMaxEventBytes, far below what
// central stores (sync/central: 1 MiB); the journal refuses anything larger as a bug
// (store::Transaction::emit). docs/CONTRACTS.md §1 documents the bound.

#include <cstddef>
#include <string>
#include <string_view>

namespace kordon::msg {

inline constexpr std::size_t kMaxEventBytes = 64 * 1024;  // a whole envelope, as journalled
inline constexpr std::size_t kMaxPlateBytes = 32;         // a plate as declared or read, raw
inline constexpr std::size_t kMaxTextBytes = 256;         // a reason, a description, a name
inline constexpr std::size_t kMaxIdBytes = 128;           // a device's event, scan or object id
inline constexpr std::size_t kMaxListItems = 32;  // faults, threats, pictures of one reading

// `text` cut to at most max_bytes at a UTF-8 character boundary, ending in "..." when cut.
std::string clipText(std::string_view text, std::size_t max_bytes = kMaxTextBytes);

}  // namespace kordon::msg
