// SPDX-License-Identifier: Apache-2.0
#include "edge/msg/declaration.hpp"

#include <utility>

#include "edge/msg/command.hpp"

namespace kordon::msg {
namespace {

// json::value() throws when the key holds another type; wire input must never throw.
std::string stringOr(const nlohmann::json& obj, const char* key, const std::string& fallback) {
  const auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  return it->is_string() ? it->get<std::string>() : std::string("\x01not-a-string");
}

Status readTime(const nlohmann::json& obj, const char* key, const std::string& path,
                std::optional<WallMs>* out) {
  if (!obj.contains(key) || obj[key].is_null()) return Status::ok();
  WallMs t = 0;
  if (!obj[key].is_string() || !parseUtcMs(obj[key].get<std::string>(), &t)) {
    return Status::error(path + ": expected an RFC 3339 UTC time");
  }
  *out = t;
  return Status::ok();
}

Status readStrings(const nlohmann::json& obj, const char* key, std::vector<std::string>* out,
                   std::size_t max_items = kMaxDeclarationListItems,
                   std::size_t max_bytes = kMaxDeclarationTextBytes) {
  if (!obj.contains(key) || obj[key].is_null()) return Status::ok();
  if (!obj[key].is_array()) return Status::error(std::string(key) + ": expected an array");
  if (obj[key].size() > max_items) {
    return Status::error(std::string(key) + ": more than " + std::to_string(max_items) + " items");
  }
  for (const auto& item : obj[key]) {
    if (!item.is_string()) return Status::error(std::string(key) + ": expected strings");
    if (item.get_ref<const std::string&>().size() > max_bytes) {
      return Status::error(std::string(key) + ": an item longer than " + std::to_string(max_bytes) +
                           " bytes");
    }
    out->push_back(item.get<std::string>());
  }
  return Status::ok();
}

Status checkLength(const char* field, const std::string& value, std::size_t max_bytes) {
  if (value.size() <= max_bytes) return Status::ok();
  return Status::error(std::string(field) + ": longer than " + std::to_string(max_bytes) +
                       " bytes");
}

}  // namespace

Result<Declaration> parseDeclaration(const nlohmann::json& wire) {
  if (!wire.is_object()) return Status::error("declaration: expected a JSON object");
  if (stringOr(wire, "schema", "") != kDeclarationSchema) {
    return Status::error(std::string("schema: expected \"") + kDeclarationSchema + "\"");
  }
  Declaration d;
  if (!wire.contains("id") || !wire["id"].is_string() || wire["id"].get<std::string>().empty()) {
    return Status::error("id: required non-empty string");
  }
  d.id = wire["id"].get<std::string>();
  if (Status s = checkLength("id", d.id, kMaxDeclarationIdBytes); !s) return s;
  if (!wire.contains("version") || !wire["version"].is_number_integer() ||
      wire["version"].get<std::int64_t>() < 1 ||
      wire["version"].get<std::int64_t>() > kMaxVersion) {
    return Status::error("version: required integer in 1.." + std::to_string(kMaxVersion));
  }
  d.version = wire["version"].get<std::int64_t>();
  const std::string action = stringOr(wire, "action", "upsert");
  if (action == "cancel") {
    d.cancelled = true;
    return d;
  }
  if (action != "upsert") return Status::error("action: expected \"upsert\" or \"cancel\"");
  if (!wire.contains("tractor_plate") || !wire["tractor_plate"].is_string() ||
      wire["tractor_plate"].get<std::string>().empty()) {
    return Status::error("tractor_plate: required non-empty string");
  }
  d.tractor_plate = wire["tractor_plate"].get<std::string>();
  if (Status s = checkLength("tractor_plate", d.tractor_plate, kMaxPlateBytes); !s) return s;
  if (wire.contains("procedure")) {
    if (!wire["procedure"].is_string()) return Status::error("procedure: expected a string");
    d.procedure = wire["procedure"].get<std::string>();
    if (Status s = checkLength("procedure", d.procedure, kMaxDeclarationTextBytes); !s) return s;
  }
  if (Status s = readStrings(wire, "trailer_plates", &d.trailer_plates, 16, kMaxPlateBytes); !s) {
    return s;
  }
  if (Status s = readStrings(wire, "containers", &d.containers); !s) return s;
  if (wire.contains("gross_mass_kg") && !wire["gross_mass_kg"].is_null()) {
    if (!wire["gross_mass_kg"].is_number_integer() ||
        wire["gross_mass_kg"].get<std::int64_t>() < 0) {
      return Status::error("gross_mass_kg: expected a non-negative integer");
    }
    d.gross_mass_kg = wire["gross_mass_kg"].get<std::int64_t>();
  }
  for (auto [key, field] :
       {std::pair{"consignor", &d.consignor}, std::pair{"consignee", &d.consignee},
        std::pair{"origin_country", &d.origin_country}}) {
    if (!wire.contains(key) || wire[key].is_null()) continue;
    if (!wire[key].is_string()) return Status::error(std::string(key) + ": expected a string");
    *field = wire[key].get<std::string>();
    if (Status s = checkLength(key, *field, kMaxDeclarationTextBytes); !s) return s;
  }
  if (wire.contains("goods")) {
    if (!wire["goods"].is_array()) return Status::error("goods: expected an array");
    if (wire["goods"].size() > kMaxGoodsLines) {
      return Status::error("goods: more than " + std::to_string(kMaxGoodsLines) + " lines");
    }
    d.goods = wire["goods"];
  }
  if (wire.contains("risk")) {
    const auto& risk = wire["risk"];
    if (!risk.is_object()) return Status::error("risk: expected an object");
    d.risk_corridor = stringOr(risk, "corridor", "");
    if (!d.risk_corridor.empty() && d.risk_corridor != "green" && d.risk_corridor != "yellow" &&
        d.risk_corridor != "red") {
      return Status::error("risk.corridor: expected green, yellow or red");
    }
    if (Status s = readStrings(risk, "controls", &d.required_controls, 16, 32); !s) {
      return s.withContext("risk");
    }
  }
  if (wire.contains("aeo")) {
    if (!wire["aeo"].is_boolean()) return Status::error("aeo: expected true or false");
    d.aeo = wire["aeo"].get<bool>();
  }
  if (wire.contains("arrival")) {
    const auto& arrival = wire["arrival"];
    if (!arrival.is_object()) return Status::error("arrival: expected an object");
    if (Status s = readTime(arrival, "from", "arrival.from", &d.arrival_from); !s) return s;
    if (Status s = readTime(arrival, "to", "arrival.to", &d.arrival_to); !s) return s;
  }
  if (Status s = readTime(wire, "expires_at", "expires_at", &d.expires_at); !s) return s;
  return d;
}

nlohmann::json toWire(const Declaration& d) {
  nlohmann::json j;
  j["schema"] = kDeclarationSchema;
  j["id"] = d.id;
  j["version"] = d.version;
  if (d.cancelled) {
    j["action"] = "cancel";
    return j;
  }
  j["action"] = "upsert";
  j["procedure"] = d.procedure;
  j["tractor_plate"] = d.tractor_plate;
  j["trailer_plates"] = d.trailer_plates;
  j["containers"] = d.containers;
  j["gross_mass_kg"] = d.gross_mass_kg ? nlohmann::json(*d.gross_mass_kg) : nlohmann::json();
  j["goods"] = d.goods;
  j["risk"] = {{"corridor", d.risk_corridor}, {"controls", d.required_controls}};
  j["aeo"] = d.aeo;
  nlohmann::json arrival = nlohmann::json::object();
  if (d.arrival_from) arrival["from"] = formatUtcMs(*d.arrival_from);
  if (d.arrival_to) arrival["to"] = formatUtcMs(*d.arrival_to);
  j["arrival"] = arrival;
  if (d.expires_at) j["expires_at"] = formatUtcMs(*d.expires_at);
  // Optional since kordon.declaration/1 was first published: absent when unknown.
  if (!d.consignor.empty()) j["consignor"] = d.consignor;
  if (!d.consignee.empty()) j["consignee"] = d.consignee;
  if (!d.origin_country.empty()) j["origin_country"] = d.origin_country;
  return j;
}

}  // namespace kordon::msg
