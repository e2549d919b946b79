// SPDX-License-Identifier: Apache-2.0
#include "edge/lane/decision.hpp"

#include <algorithm>
#include <cmath>

namespace kordon::lane {

const char* toString(Corridor c) {
  switch (c) {
    case Corridor::kGreen:
      return "green";
    case Corridor::kYellow:
      return "yellow";
    case Corridor::kRed:
      return "red";
  }
  return "yellow";
}

nlohmann::json toJson(const Reason& r) {
  return {
      {"rule", r.rule}, {"corridor", toString(r.corridor)}, {"text", r.text}, {"values", r.values}};
}

nlohmann::json toJson(const std::vector<Reason>& reasons) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : reasons) out.push_back(toJson(r));
  return out;
}

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

Decision decide(const DecisionInput& input, const RuleSet& rules) {
  Decision decision;
  decision.ruleset = rules.version;
  auto& reasons = decision.reasons;

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

  decision.corridor = Corridor::kGreen;
  for (const auto& r : reasons) decision.corridor = std::max(decision.corridor, r.corridor);
  return decision;
}

}  // namespace kordon::lane
