// SPDX-License-Identifier: Apache-2.0
#include "edge/msg/policy.hpp"

#include <cctype>
#include <set>

#include "edge/base/clock.hpp"
#include "edge/msg/command.hpp"
#include "edge/msg/plate.hpp"

namespace kordon::msg {
namespace {

using Json = nlohmann::json;

std::string at(const std::string& path, const char* key) {
  return path.empty() ? key : path + "." + key;
}

Status checkKeys(const Json& obj, const std::string& path, const std::set<std::string>& known) {
  for (const auto& item : obj.items()) {
    if (known.count(item.key()) == 0)
      return Status::error(at(path, item.key().c_str()) + ": unknown key");
  }
  return Status::ok();
}

// A list of short strings, each passed through `normalise`; empty results are refused, since an
// empty plate or company would match nothing or everything.
Status readList(const Json& obj, const char* key, const std::string& path,
                std::string (*normalise)(std::string_view), const char* expected,
                std::vector<std::string>* out) {
  const auto it = obj.find(key);
  if (it == obj.end()) return Status::ok();
  const std::string field = at(path, key);
  if (!it->is_array()) return Status::error(field + ": expected an array of strings");
  if (it->size() > kMaxPolicyEntries) {
    return Status::error(field + ": more than " + std::to_string(kMaxPolicyEntries) + " entries");
  }
  for (std::size_t i = 0; i < it->size(); ++i) {
    const Json& v = (*it)[i];
    const std::string item = field + "[" + std::to_string(i) + "]";
    if (!v.is_string()) return Status::error(item + ": expected a string");
    const auto& s = v.get_ref<const std::string&>();
    if (s.size() > kMaxPolicyStringBytes) return Status::error(item + ": too long");
    std::string n = normalise(s);
    if (n.empty()) return Status::error(item + ": expected " + expected);
    out->push_back(std::move(n));
  }
  return Status::ok();
}

constexpr const char* kPlate = "a plate";
constexpr const char* kCompany = "a company identifier";

std::string hsPrefix(std::string_view s) {
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return "";
  }
  return s.size() >= 2 && s.size() <= 10 ? std::string(s) : "";
}

std::string country(std::string_view s) {
  if (s.size() != 2) return "";
  std::string out;
  for (char c : s) {
    if (!std::isalpha(static_cast<unsigned char>(c))) return "";
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

Status readNumber(const Json& obj, const char* key, const std::string& path, double lo, double hi,
                  double* out) {
  const auto it = obj.find(key);
  if (it == obj.end()) return Status::ok();
  if (!it->is_number() || it->get<double>() < lo || it->get<double>() > hi) {
    return Status::error(at(path, key) + ": expected a number from " + std::to_string(lo) + " to " +
                         std::to_string(hi));
  }
  *out = it->get<double>();
  return Status::ok();
}

Status readInt(const Json& obj, const char* key, const std::string& path, std::int64_t lo,
               std::int64_t hi, std::int64_t* out) {
  const auto it = obj.find(key);
  if (it == obj.end()) return Status::ok();
  if (!it->is_number_integer() || it->get<std::int64_t>() < lo || it->get<std::int64_t>() > hi) {
    return Status::error(at(path, key) + ": expected an integer from " + std::to_string(lo) +
                         " to " + std::to_string(hi));
  }
  *out = it->get<std::int64_t>();
  return Status::ok();
}

Status parseRuleset(const Json& body, RulesetPolicy* out) {
  const std::string path = "body";
  if (Status s = checkKeys(body, path,
                           {"weight_tolerance_pct", "weight_tolerance_min_kg", "max_cache_age_s",
                            "require_synced_clock"});
      !s) {
    return s;
  }
  if (const auto it = body.find("require_synced_clock"); it != body.end()) {
    if (!it->is_boolean())
      return Status::error(at(path, "require_synced_clock") + ": expected true or false");
    out->require_synced_clock = it->get<bool>();
  }
  if (Status s =
          readNumber(body, "weight_tolerance_pct", path, 0.0, 100.0, &out->weight_tolerance_pct);
      !s) {
    return s;
  }
  if (Status s =
          readInt(body, "weight_tolerance_min_kg", path, 0, 100000, &out->weight_tolerance_min_kg);
      !s) {
    return s;
  }
  return readInt(body, "max_cache_age_s", path, 0, 365LL * 24 * 3600, &out->max_cache_age_s);
}

Status parseProfile(const Json& p, const std::string& path, RiskProfile* out) {
  if (!p.is_object()) return Status::error(path + ": expected an object");
  if (Status s = checkKeys(p, path, {"id", "corridor", "text", "match"}); !s) return s;
  const auto id = p.find("id");
  if (id == p.end() || !id->is_string() || id->get_ref<const std::string&>().empty() ||
      id->get_ref<const std::string&>().size() > kMaxPolicyStringBytes) {
    return Status::error(path + ".id: required non-empty string");
  }
  out->id = id->get<std::string>();
  const auto corridor = p.find("corridor");
  if (corridor == p.end() || !corridor->is_string() ||
      (*corridor != "yellow" && *corridor != "red")) {
    return Status::error(path + ".corridor: expected yellow or red");
  }
  out->corridor = corridor->get<std::string>();
  if (const auto text = p.find("text"); text != p.end()) {
    if (!text->is_string() || text->get_ref<const std::string&>().size() > 1024) {
      return Status::error(path + ".text: expected a string of at most 1024 bytes");
    }
    out->text = text->get<std::string>();
  }
  const auto match = p.find("match");
  const std::string mpath = path + ".match";
  if (match == p.end() || !match->is_object()) return Status::error(mpath + ": required object");
  if (Status s = checkKeys(*match, mpath,
                           {"hs_prefix", "consignor", "consignee", "origin_country", "plate"});
      !s) {
    return s;
  }
  const struct {
    const char* key;
    std::string (*normalise)(std::string_view);
    const char* expected;
    std::vector<std::string>* out;
  } criteria[] = {
      {"hs_prefix", hsPrefix, "2 to 10 digits", &out->hs_prefixes},
      {"consignor", normaliseParty, kCompany, &out->consignors},
      {"consignee", normaliseParty, kCompany, &out->consignees},
      {"origin_country", country, "an ISO 3166 alpha-2 code", &out->origin_countries},
      {"plate", normalisePlate, kPlate, &out->plates},
  };
  for (const auto& c : criteria) {
    if (Status s = readList(*match, c.key, mpath, c.normalise, c.expected, c.out); !s) return s;
  }
  if (out->hs_prefixes.empty() && out->consignors.empty() && out->consignees.empty() &&
      out->origin_countries.empty() && out->plates.empty()) {
    return Status::error(mpath + ": needs at least one criterion");
  }
  return Status::ok();
}

Status parseProfiles(const Json& body, std::vector<RiskProfile>* out) {
  if (Status s = checkKeys(body, "body", {"profiles"}); !s) return s;
  const auto profiles = body.find("profiles");
  if (profiles == body.end() || !profiles->is_array()) {
    return Status::error("body.profiles: required array");
  }
  if (profiles->size() > kMaxPolicyEntries) return Status::error("body.profiles: too many");
  std::set<std::string> ids;
  for (std::size_t i = 0; i < profiles->size(); ++i) {
    const std::string path = "body.profiles[" + std::to_string(i) + "]";
    RiskProfile p;
    if (Status s = parseProfile((*profiles)[i], path, &p); !s) return s;
    if (!ids.insert(p.id).second) return Status::error(path + ".id: duplicate " + p.id);
    out->push_back(std::move(p));
  }
  return Status::ok();
}

Status parseList(const Json& body, PartyList* out) {
  if (Status s = checkKeys(body, "body", {"plates", "companies"}); !s) return s;
  if (Status s = readList(body, "plates", "body", normalisePlate, kPlate, &out->plates); !s)
    return s;
  return readList(body, "companies", "body", normaliseParty, kCompany, &out->companies);
}

}  // namespace

const char* toString(PolicyKind kind) {
  switch (kind) {
    case PolicyKind::kRuleset:
      return "ruleset";
    case PolicyKind::kRiskProfiles:
      return "risk_profiles";
    case PolicyKind::kAllowList:
      return "allow_list";
    case PolicyKind::kDenyList:
      return "deny_list";
  }
  return "ruleset";
}

std::string normaliseParty(std::string_view party) {
  std::string out;
  for (char c : party) {
    if (c == ' ' || c == '\t') continue;
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

Result<Policy> parsePolicy(const Json& wire) {
  if (!wire.is_object()) return Status::error("policy: expected a JSON object");
  if (Status s = checkKeys(
          wire, "",
          {"schema", "kind", "version", "issued", "body", "sig", "issued_by", "issued_at"});
      !s) {
    return s;
  }
  const auto schema = wire.find("schema");
  if (schema == wire.end() || *schema != kPolicySchema) {
    return Status::error(std::string("schema: expected \"") + kPolicySchema + "\"");
  }
  Policy p;
  const auto kind = wire.find("kind");
  bool known = false;
  for (PolicyKind k : {PolicyKind::kRuleset, PolicyKind::kRiskProfiles, PolicyKind::kAllowList,
                       PolicyKind::kDenyList}) {
    if (kind != wire.end() && *kind == toString(k)) {
      p.kind = k;
      known = true;
    }
  }
  if (!known)
    return Status::error("kind: expected ruleset, risk_profiles, allow_list or deny_list");
  const auto version = wire.find("version");
  if (version == wire.end() || !version->is_number_integer() || version->get<std::int64_t>() < 1 ||
      version->get<std::int64_t>() > kMaxVersion) {
    return Status::error("version: required integer in 1.." + std::to_string(kMaxVersion));
  }
  p.version = version->get<std::int64_t>();
  const auto issued = wire.find("issued");
  WallMs issued_ms = 0;
  if (issued == wire.end() || !issued->is_string() ||
      !parseUtcMs(issued->get<std::string>(), &issued_ms)) {
    return Status::error("issued: required RFC 3339 UTC time");
  }
  p.issued = issued->get<std::string>();
  const auto body = wire.find("body");
  if (body == wire.end() || !body->is_object()) return Status::error("body: required object");
  Status s;
  switch (p.kind) {
    case PolicyKind::kRuleset:
      s = parseRuleset(*body, &p.ruleset);
      break;
    case PolicyKind::kRiskProfiles:
      s = parseProfiles(*body, &p.risk_profiles);
      break;
    case PolicyKind::kAllowList:
    case PolicyKind::kDenyList:
      s = parseList(*body, &p.list);
      break;
  }
  if (!s) return s;
  return p;
}

}  // namespace kordon::msg
