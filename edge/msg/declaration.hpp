// SPDX-License-Identifier: Apache-2.0
#pragma once

// An EAEU pre-arrival declaration as cached on the post, and its wire form.
//
// Wire form (downlink payload on kordon/v1/{post}/cmd/declarations, schema
// "kordon.declaration/1"; see docs/CONTRACTS.md):
//   {"schema":"kordon.declaration/1","action":"upsert"|"cancel","id":"KZ-TD-0001","version":3,
//    "procedure":"TIR","tractor_plate":"123 ABC 02","trailer_plates":["45 AB 02"],
//    "containers":["MSCU1234565"],"gross_mass_kg":38420,
//    "goods":[{"hs":"870323","mass_kg":36000,"description":"cars"}],
//    "arrival":{"from":"2026-11-21T00:00:00Z","to":"2026-11-22T00:00:00Z"},
//    "risk":{"corridor":"green","controls":[]},"aeo":false,"expires_at":"2026-12-01T00:00:00Z",
//    "consignor":"123456789012","consignee":"987654321098","origin_country":"CN"}
// Required: schema, id, version (1..kMaxVersion, edge/msg/command.hpp), tractor_plate. "cancel"
// needs only id and version. Sizes are bounded (kMaxDeclaration*), so a declaration and every
// event that quotes it stay small: an id of at most 64 characters, plates of at most 32, at most
// 16 trailer plates and 64 containers, texts of at most 256 bytes, at most 1000 goods lines.
// consignor, consignee (BIN/TIN) and origin_country (ISO 3166 alpha-2) are optional: risk
// profiles and allow/deny lists (edge/msg/policy.hpp) match on them.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edge/base/clock.hpp"
#include "edge/base/status.hpp"
#include "edge/msg/limits.hpp"

namespace kordon::msg {

inline constexpr const char* kDeclarationSchema = "kordon.declaration/1";
inline constexpr std::size_t kMaxDeclarationIdBytes = 64;
inline constexpr std::size_t kMaxDeclarationListItems = 64;
inline constexpr std::size_t kMaxDeclarationTextBytes = 256;
inline constexpr std::size_t kMaxGoodsLines = 1000;

struct Declaration {
  std::string id;
  std::int64_t version = 0;
  bool cancelled = false;
  std::string procedure;
  std::string tractor_plate;  // as declared; the store indexes its normalised form
  std::vector<std::string> trailer_plates;
  std::vector<std::string> containers;
  std::optional<std::int64_t> gross_mass_kg;
  std::string risk_corridor;  // "", "green", "yellow" or "red": central's pre-selection
  std::vector<std::string> required_controls;
  bool aeo = false;
  std::optional<WallMs> arrival_from;
  std::optional<WallMs> arrival_to;
  std::optional<WallMs> expires_at;
  nlohmann::json goods = nlohmann::json::array();
  std::string consignor;
  std::string consignee;
  std::string origin_country;
};

// Parses and validates the wire form. Errors name the offending field.
Result<Declaration> parseDeclaration(const nlohmann::json& wire);
nlohmann::json toWire(const Declaration& d);

}  // namespace kordon::msg
