// SPDX-License-Identifier: Apache-2.0
#include "edge/msg/event_types.hpp"

#include <array>

namespace kordon::msg {
namespace {

template <class E, std::size_t N, class ToText>
std::optional<E> parseAmong(std::string_view s, const std::array<E, N>& all, ToText text) {
  for (E e : all) {
    if (s == text(e)) return e;
  }
  return std::nullopt;
}

template <class T>
Status checkAs(const nlohmann::json& payload) {
  auto parsed = parsePayload<T>(payload, std::string(T::kType));
  return parsed ? Status::ok() : parsed.status();
}

template <std::size_t I = 0>
Status checkByType(std::string_view type, const nlohmann::json& payload) {
  if constexpr (I < std::tuple_size_v<EventTypes>) {
    using T = std::tuple_element_t<I, EventTypes>;
    if (type == T::kType) return checkAs<T>(payload);
    return checkByType<I + 1>(type, payload);
  } else {
    return Status::error("unknown event type \"" + std::string(type) + "\"");
  }
}

}  // namespace

std::optional<DeviceHealth> EnumText<DeviceHealth>::parse(std::string_view s) {
  constexpr std::array all = {DeviceHealth::kNotConnected, DeviceHealth::kNoData,
                              DeviceHealth::kDegraded, DeviceHealth::kGood};
  return parseAmong(s, all, [](DeviceHealth h) { return toString(h); });
}

std::optional<WeightState> EnumText<WeightState>::parse(std::string_view s) {
  constexpr std::array all = {WeightState::kStable, WeightState::kMotion, WeightState::kOverload,
                              WeightState::kUnderZero, WeightState::kError};
  return parseAmong(s, all, [](WeightState w) { return toString(w); });
}

std::optional<RadiationAlarm> EnumText<RadiationAlarm>::parse(std::string_view s) {
  constexpr std::array all = {RadiationAlarm::kNone, RadiationAlarm::kGamma,
                              RadiationAlarm::kNeutron, RadiationAlarm::kBoth};
  return parseAmong(s, all, [](RadiationAlarm a) { return toString(a); });
}

std::optional<XrayDecision> EnumText<XrayDecision>::parse(std::string_view s) {
  constexpr std::array all = {XrayDecision::kClear, XrayDecision::kAlarm, XrayDecision::kUnknown};
  return parseAmong(s, all, [](XrayDecision d) { return toString(d); });
}

std::vector<EvidenceRef> evidenceRefs(const std::vector<Evidence>& evidence) {
  std::vector<EvidenceRef> out;
  for (const Evidence& e : evidence) out.push_back({e.sha256, e.media_type, e.role});
  return out;
}

ClockState clockState(const ClockSync& sync) {
  ClockState state;
  state.synchronized = sync.synchronized;
  if (sync.max_error_ms >= 0) state.max_error_ms = sync.max_error_ms;
  return state;
}

RadiationMeasured radiationMeasured(const RadiationOccupancy& o, bool late) {
  RadiationMeasured m;
  m.device = o.device_id;
  m.occupancy = o.occupancy_id;
  m.alarm = o.alarm;
  m.gamma_counts = o.gamma_counts;
  m.gamma_background_cps = o.gamma_background_cps;
  m.neutron_counts = o.neutron_counts;
  m.neutron_background_cps = o.neutron_background_cps;
  m.duration_s = o.duration_s;
  m.speed_kmh = o.speed_kmh;
  m.faults = o.faults;
  m.evidence = evidenceRefs(o.evidence);
  m.late = late;
  return m;
}

XrayResultEvent xrayResultEvent(const XrayResult& r, bool late) {
  XrayResultEvent e;
  e.device = r.device_id;
  e.scan = r.scan_id;
  e.object = r.object_ref;
  e.object_type = r.object_type;
  e.decision = r.decision;
  e.tdr_type = r.tdr_type;
  e.operator_verdict = r.operator_verdict;
  e.total_objects = r.total_objects;
  e.alarm_objects = r.alarm_objects;
  e.threats = r.threats;
  e.evidence = evidenceRefs(r.evidence);
  e.late = late;
  return e;
}

Status checkPayload(std::string_view type, const nlohmann::json& payload) {
  return checkByType(type, payload);
}

}  // namespace kordon::msg
