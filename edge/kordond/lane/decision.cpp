// SPDX-License-Identifier: Apache-2.0
#include "edge/kordond/lane/decision.hpp"

#include <algorithm>
#include <cmath>

#include "edge/msg/plate.hpp"

namespace kordon::lane {

Match matchDeclaration(const std::vector<msg::Declaration>& candidates, WallMs now) {
  Match match;
  match.candidates = static_cast<int>(candidates.size());
  const msg::Declaration* best = nullptr;
  bool best_in_window = false;
  for (const auto& d : candidates) {
    if (d.cancelled) continue;
    if (d.expires_at && *d.expires_at <= now) {
      ++match.expired;
      continue;
    }
    const bool in_window =
        (!d.arrival_from || *d.arrival_from <= now) && (!d.arrival_to || now <= *d.arrival_to);
    if (best == nullptr || (in_window && !best_in_window) ||
        (in_window == best_in_window && d.version > best->version)) {
      best = &d;
      best_in_window = in_window;
    }
  }
  if (best != nullptr) match.declaration = *best;
  return match;
}

namespace {

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return !value.empty() && std::find(list.begin(), list.end(), value) != list.end();
}

// The identities a list or profile can name: the plate read, the declared plates and parties.
struct Subject {
  std::vector<std::string> plates;  // normalised; the read first
  std::string consignor;            // normaliseParty
  std::string consignee;
  std::string origin_country;
  std::vector<std::string> hs_codes;
};

Subject subjectOf(const DecisionInput& input) {
  Subject s;
  if (!input.plate_norm.empty()) s.plates.push_back(input.plate_norm);
  if (const auto& d = input.match.declaration) {
    s.plates.push_back(msg::normalisePlate(d->tractor_plate));
    for (const auto& t : d->trailer_plates) s.plates.push_back(msg::normalisePlate(t));
    s.consignor = msg::normaliseParty(d->consignor);
    s.consignee = msg::normaliseParty(d->consignee);
    s.origin_country = msg::normaliseParty(d->origin_country);
    for (const auto& line : d->goods) {
      const auto hs = line.is_object() ? line.find("hs") : line.end();
      if (line.is_object() && hs != line.end() && hs->is_string()) {
        s.hs_codes.push_back(hs->get<std::string>());
      }
    }
  }
  return s;
}

// What of `subject` is on `list`: {"plate": ...} or {"company": ...}; null when nothing is.
nlohmann::json listHit(const msg::PartyList& list, const Subject& subject) {
  for (const auto& p : subject.plates) {
    if (contains(list.plates, p)) return {{"plate", p}};
  }
  for (const auto* c : {&subject.consignor, &subject.consignee}) {
    if (contains(list.companies, *c)) return {{"company", *c}};
  }
  return nullptr;
}

// The criteria values that matched, or null when the profile does not match: every criterion
// the profile lists must match.
nlohmann::json profileHit(const msg::RiskProfile& p, const Subject& s) {
  nlohmann::json hit = nlohmann::json::object();
  if (!p.hs_prefixes.empty()) {
    for (const auto& code : s.hs_codes) {
      for (const auto& prefix : p.hs_prefixes) {
        if (code.rfind(prefix, 0) == 0 && !hit.contains("hs")) hit["hs"] = code;
      }
    }
    if (!hit.contains("hs")) return nullptr;
  }
  const struct {
    const char* key;
    const std::vector<std::string>& wanted;
    const std::string& value;
  } singles[] = {{"consignor", p.consignors, s.consignor},
                 {"consignee", p.consignees, s.consignee},
                 {"origin_country", p.origin_countries, s.origin_country}};
  for (const auto& c : singles) {
    if (c.wanted.empty()) continue;
    if (!contains(c.wanted, c.value)) return nullptr;
    hit[c.key] = c.value;
  }
  if (!p.plates.empty()) {
    for (const auto& plate : s.plates) {
      if (contains(p.plates, plate) && !hit.contains("plate")) hit["plate"] = plate;
    }
    if (!hit.contains("plate")) return nullptr;
  }
  return hit;
}

Corridor severest(const std::vector<Reason>& reasons) {
  Corridor c = Corridor::kGreen;
  for (const auto& r : reasons) c = std::max(c, r.corridor);
  return c;
}

void applyPolicies(const DecisionInput& input, const Policies& policies,
                   std::vector<Reason>& reasons) {
  const Subject subject = subjectOf(input);
  const nlohmann::json denied = listHit(policies.deny_list, subject);
  if (!denied.is_null()) {
    nlohmann::json values = denied;
    values["version"] = policies.deny_list_version;
    reasons.push_back({"DENY-LIST", Corridor::kRed,
                       "the vehicle or a party to its declaration is on central's deny list",
                       values});
  }
  std::vector<std::size_t> profile_reasons;
  for (const auto& p : policies.risk_profiles) {
    nlohmann::json hit = profileHit(p, subject);
    if (hit.is_null()) continue;
    const Corridor corridor = p.corridor == "red" ? Corridor::kRed : Corridor::kYellow;
    profile_reasons.push_back(reasons.size());
    reasons.push_back({"RISK-PROFILE",
                       corridor,
                       "risk profile " + p.id + (p.text.empty() ? "" : ": " + p.text),
                       {{"profile", p.id},
                        {"corridor", p.corridor},
                        {"matched", hit},
                        {"version", policies.risk_profiles_version}}});
  }
  const nlohmann::json allowed = listHit(policies.allow_list, subject);
  if (allowed.is_null() || !denied.is_null()) return;
  // A trusted trader skips the documentary check a profile alone would cause: the waived
  // reasons stay on record, turned green, and red of any origin is never touched.
  nlohmann::json waived = nlohmann::json::array();
  for (std::size_t i : profile_reasons) {
    if (reasons[i].corridor != Corridor::kYellow) continue;
    reasons[i].corridor = Corridor::kGreen;
    reasons[i].values["waived_by"] = "ALLOW-LIST";
    waived.push_back(reasons[i].values["profile"]);
  }
  nlohmann::json values = allowed;
  values["version"] = policies.allow_list_version;
  values["waived_profiles"] = waived;
  reasons.push_back(
      {"ALLOW-LIST", Corridor::kGreen, "on central's allow list of trusted traders", values});
}

// Conditions of the post that only ever take green away.
void limitGreen(const DecisionInput& input, const RuleSet& rules, std::vector<Reason>& reasons) {
  if (severest(reasons) != Corridor::kGreen) return;
  const auto& c = input.condition;
  if (rules.max_cache_age_s > 0) {
    const bool never = !c.last_command_ms.has_value();
    const std::int64_t age_ms = never ? 0 : input.now_ms - *c.last_command_ms;
    // A negative age is a wall clock behind the one that recorded the command: nothing can be
    // said of the cache's age, so it is not fresh.
    const bool behind = !never && age_ms < 0;
    if (never || behind || age_ms / 1000 > rules.max_cache_age_s) {
      reasons.push_back(
          {"CACHE-STALE",
           Corridor::kYellow,
           behind ? "the clock is behind central's last command: the cache's age is unknown"
                  : "no word from central for longer than the rule set allows for green",
           {{"age_s", never ? nlohmann::json() : nlohmann::json(age_ms / 1000)},
            {"max_cache_age_s", rules.max_cache_age_s}}});
    }
  }
  if (rules.require_synced_clock && !c.clock.synchronized) {
    reasons.push_back({"CLOCK-UNTRUSTED", Corridor::kYellow,
                       "the post's clock is not synchronised, and the rule set needs it for green",
                       toJson(c.clock)});
  }
  if (c.storage_full) {
    reasons.push_back({"STORAGE-FULL",
                       Corridor::kYellow,
                       "the post's disk is at its bound: no automatic release until it drains",
                       {{"used_bytes", c.storage_used_bytes}, {"max_bytes", c.storage_max_bytes}}});
  }
}

}  // namespace

void Policies::apply(const msg::Policy& policy) {
  switch (policy.kind) {
    case msg::PolicyKind::kRuleset:
      rules.version = "central-v" + std::to_string(policy.version);
      rules.weight_tolerance_pct = policy.ruleset.weight_tolerance_pct;
      rules.weight_tolerance_min_kg = policy.ruleset.weight_tolerance_min_kg;
      rules.max_cache_age_s = policy.ruleset.max_cache_age_s;
      rules.require_synced_clock = policy.ruleset.require_synced_clock;
      ruleset_version = policy.version;
      break;
    case msg::PolicyKind::kRiskProfiles:
      risk_profiles = policy.risk_profiles;
      risk_profiles_version = policy.version;
      break;
    case msg::PolicyKind::kAllowList:
      allow_list = policy.list;
      allow_list_version = policy.version;
      break;
    case msg::PolicyKind::kDenyList:
      deny_list = policy.list;
      deny_list_version = policy.version;
      break;
  }
}

nlohmann::json Policies::versionsJson() const {
  return {{"ruleset", rules.version},
          {"risk_profiles", risk_profiles_version},
          {"allow_list", allow_list_version},
          {"deny_list", deny_list_version}};
}

Decision decide(const DecisionInput& input, const RuleSet& rules) {
  Policies policies;
  policies.rules = rules;
  return decide(input, policies);
}

Decision decide(const DecisionInput& input, const Policies& policies) {
  const RuleSet& rules = policies.rules;
  Decision decision;
  decision.ruleset = rules.version;
  decision.policies = policies.versionsJson();
  auto& reasons = decision.reasons;

  if (input.plate_reads.size() > 1) {
    nlohmann::json reads = nlohmann::json::array();
    std::string plates;
    for (const auto& r : input.plate_reads) {
      reads.push_back({{"plate", r.plate_norm},
                       {"raw", r.plate_raw},
                       {"confidence_pct", r.confidence_pct},
                       {"camera", r.camera}});
      plates += (plates.empty() ? "" : " and ") + r.plate_norm;
    }
    reasons.push_back({"PLATE-CONFLICT",
                       Corridor::kYellow,
                       "different plates were read for this vehicle: " + plates +
                           "; an officer must say which is right",
                       {{"reads", reads}}});
  }
  if (input.plate_norm.empty()) {
    reasons.push_back({"PLATE-UNREAD", Corridor::kYellow,
                       "no licence plate was read for this vehicle", nlohmann::json::object()});
  } else if (!input.match.declaration) {
    reasons.push_back({"DECL-MISSING",
                       Corridor::kYellow,
                       "no valid pre-arrival declaration for plate " + input.plate_norm,
                       {{"plate", input.plate_norm},
                        {"candidates", input.match.candidates},
                        {"expired", input.match.expired}}});
  }

  if (const auto& d = input.match.declaration) {
    reasons.push_back(
        {"DECL-MATCHED",
         Corridor::kGreen,
         "declaration " + d->id + " v" + std::to_string(d->version) + " matches plate " +
             input.plate_norm,
         {{"declaration", d->id}, {"version", d->version}, {"plate", input.plate_norm}}});
    if (d->risk_corridor == "yellow" || d->risk_corridor == "red") {
      reasons.push_back(
          {"RISK-PRESELECTED",
           d->risk_corridor == "red" ? Corridor::kRed : Corridor::kYellow,
           "central risk management pre-selected the " + d->risk_corridor + " corridor",
           {{"corridor", d->risk_corridor}, {"controls", d->required_controls}}});
    }
    if (!input.measured_gross_kg) {
      reasons.push_back({"WEIGHT-MISSING", Corridor::kYellow, "no stable weight was measured",
                         nlohmann::json::object()});
    } else if (!d->gross_mass_kg) {
      reasons.push_back({"WEIGHT-UNDECLARED",
                         Corridor::kYellow,
                         "the declaration states no gross mass to check the weight against",
                         {{"measured_kg", *input.measured_gross_kg}}});
    } else {
      const std::int64_t declared = *d->gross_mass_kg;
      const std::int64_t measured = *input.measured_gross_kg;
      const std::int64_t diff = measured - declared;
      const auto tolerance = std::max<std::int64_t>(
          rules.weight_tolerance_min_kg,
          static_cast<std::int64_t>(
              std::llround(static_cast<double>(declared) * rules.weight_tolerance_pct / 100.0)));
      const nlohmann::json values = {{"measured_kg", measured},
                                     {"declared_kg", declared},
                                     {"difference_kg", diff},
                                     {"tolerance_kg", tolerance}};
      if (std::llabs(diff) > tolerance) {
        reasons.push_back({"WEIGHT-TOLERANCE", Corridor::kYellow,
                           "measured " + std::to_string(measured) + " kg differs from declared " +
                               std::to_string(declared) + " kg by " + std::to_string(diff) +
                               " kg, beyond the " + std::to_string(tolerance) + " kg tolerance",
                           values});
      } else {
        reasons.push_back({"WEIGHT-OK", Corridor::kGreen,
                           "measured weight is within tolerance of the declared gross mass",
                           values});
      }
    }
  }

  if (const auto& rad = input.radiation) {
    const nlohmann::json values = {{"alarm", std::string(msg::toString(rad->alarm))},
                                   {"gamma_counts", rad->gamma_counts},
                                   {"gamma_background_cps", rad->gamma_background_cps},
                                   {"neutron_counts", rad->neutron_counts},
                                   {"neutron_background_cps", rad->neutron_background_cps},
                                   {"occupancy", rad->occupancy_id},
                                   {"device", rad->device_id}};
    if (rad->alarm != msg::RadiationAlarm::kNone) {
      reasons.push_back(
          {"RAD-ALARM", Corridor::kRed,
           "the radiation portal raised a " + std::string(msg::toString(rad->alarm)) + " alarm",
           values});
    }
    for (const auto& fault : rad->faults) {
      reasons.push_back(
          {"RAD-FAULT",
           Corridor::kYellow,
           "radiation screening is not valid: " +
               (fault.description.empty() ? fault.code : fault.description),
           {{"fault", fault.code}, {"severity", fault.severity}, {"device", rad->device_id}}});
    }
    if (rad->alarm == msg::RadiationAlarm::kNone && rad->faults.empty()) {
      reasons.push_back(
          {"RAD-OK", Corridor::kGreen, "radiation screening passed without alarm", values});
    }
  } else if (input.radiation_required) {
    reasons.push_back({"RAD-MISSING", Corridor::kYellow,
                       "the radiation portal reported no completed occupancy for this vehicle",
                       nlohmann::json::object()});
  }

  if (const auto& xray = input.xray) {
    // An operator's verdict on the images overrides the machine's.
    const msg::XrayDecision verdict = xray->operator_verdict.value_or(xray->decision);
    nlohmann::json threats = nlohmann::json::array();
    for (const auto& t : xray->threats) {
      threats.push_back(
          {{"category", t.category}, {"description", t.description}, {"assessment", t.assessment}});
    }
    const nlohmann::json values = {
        {"scan", xray->scan_id},
        {"object", xray->object_ref},
        {"decision", std::string(msg::toString(xray->decision))},
        {"operator_verdict", xray->operator_verdict ? nlohmann::json(std::string(
                                                          msg::toString(*xray->operator_verdict)))
                                                    : nlohmann::json()},
        {"alarm_objects", xray->alarm_objects},
        {"threats", threats}};
    if (verdict == msg::XrayDecision::kAlarm) {
      reasons.push_back({"XRAY-ALARM", Corridor::kRed,
                         "the X-ray scan found " + std::to_string(xray->alarm_objects) +
                             " potential threat object(s)",
                         values});
    } else if (verdict == msg::XrayDecision::kClear && !xray->operator_verdict &&
               xray->alarm_objects > 0) {
      // A machine "clear" that still lists alarm objects contradicts itself: a person looks.
      reasons.push_back({"XRAY-INCONSISTENT", Corridor::kYellow,
                         "the X-ray report says clear but lists " +
                             std::to_string(xray->alarm_objects) + " alarm object(s)",
                         values});
    } else if (verdict == msg::XrayDecision::kClear) {
      reasons.push_back({"XRAY-OK", Corridor::kGreen, "the X-ray scan is clear", values});
    } else {
      reasons.push_back(
          {"XRAY-UNDECIDED", Corridor::kYellow, "the X-ray scan gave no decision", values});
    }
  } else if (input.xray_required) {
    reasons.push_back({"XRAY-MISSING", Corridor::kYellow,
                       "no X-ray result arrived for this vehicle", nlohmann::json::object()});
  }

  applyPolicies(input, policies, reasons);
  limitGreen(input, rules, reasons);
  decision.corridor = severest(reasons);
  return decision;
}

}  // namespace kordon::lane
