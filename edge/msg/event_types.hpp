// SPDX-License-Identifier: Apache-2.0
#pragma once

// One type per event of the journal (docs/CONTRACTS.md §1, the event table): its payload's
// fields, written and read by the same field list (event_fields.hpp). The lane, the sync
// layer, the post's own watchers and (next) the kiosk build their events from these; readers
// parse them back with parsePayload<T>(). contract_test checks this list against the table:
// every type the table names exists here with exactly the keys the table gives, and every type
// here is in the table, and each round-trips.
//
//   tx.emit(msg::draft(msg::WeightMeasured{38420, "wb-1", msg::WeightState::kStable}, lane, id));

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "edge/base/clock_watch.hpp"
#include "edge/msg/command.hpp"
#include "edge/msg/corridor.hpp"
#include "edge/msg/device_health.hpp"
#include "edge/msg/event.hpp"
#include "edge/msg/event_fields.hpp"
#include "edge/msg/radiation_occupancy.hpp"
#include "edge/msg/weight_reading.hpp"
#include "edge/msg/xray_result.hpp"

namespace kordon::msg {

// Enums carried as text in payloads.
template <>
struct EnumText<DeviceHealth> {
  static std::string text(DeviceHealth h) { return std::string(toString(h)); }
  static std::optional<DeviceHealth> parse(std::string_view s);
};
template <>
struct EnumText<WeightState> {
  static std::string text(WeightState w) { return std::string(toString(w)); }
  static std::optional<WeightState> parse(std::string_view s);
};
template <>
struct EnumText<RadiationAlarm> {
  static std::string text(RadiationAlarm a) { return std::string(toString(a)); }
  static std::optional<RadiationAlarm> parse(std::string_view s);
};
template <>
struct EnumText<XrayDecision> {
  static std::string text(XrayDecision d) { return std::string(toString(d)); }
  static std::optional<XrayDecision> parse(std::string_view s);
};

// Parts several payloads share.

struct EvidenceRef {
  std::string sha256;
  std::string media_type;
  std::string role;
  template <class V, class S>
  static void fields(V& v, S& s) {
    v.req("sha256", s.sha256);
    v.req("media_type", s.media_type);
    v.req("role", s.role);
  }
};
std::vector<EvidenceRef> evidenceRefs(const std::vector<Evidence>& evidence);

// The clock's sync state as the kernel says (edge/base/clock_watch.hpp's ClockSync).
struct ClockState {
  bool synchronized = false;
  std::optional<std::int64_t> max_error_ms;  // null when the kernel does not say
  template <class V, class S>
  static void fields(V& v, S& s) {
    v.req("synchronized", s.synchronized);
    v.nullable("max_error_ms", s.max_error_ms);
  }
};

ClockState clockState(const ClockSync& sync);

// ---- the post ----

struct DeclarationApplied {
  static constexpr std::string_view kType = "declaration.applied";
  std::string declaration;
  std::int64_t version = 0;
  std::string outcome;                     // "inserted" | "updated" | "cancelled"
  std::string plate;                       // normalised tractor plate; "" when cancelled
  std::optional<CommandOrigin> issued_by;  // who at central; null when nobody is named
  template <class V, class S>
  static void fields(V& v, S& s) {
    v.req("declaration", s.declaration);
    v.req("version", s.version);
    v.req("outcome", s.outcome);
    v.req("plate", s.plate);
    v.nullable("issued_by", s.issued_by);
  }
};

struct DeclarationIgnored {
  static constexpr std::string_view kType = "declaration.ignored";
  std::string declaration;
  std::int64_t version = 0;
  std::string reason;
  std::optional<CommandOrigin> issued_by;  // who at central; null when nobody is named
  template <class V, class S>
  static void fields(V& v, S& s) {
    v.req("declaration", s.declaration);
    v.req("version", s.version);
    v.req("reason", s.reason);
    v.nullable("issued_by", s.issued_by);
  }
};

struct DownlinkRejected {
  static constexpr std::string_view kType = "downlink.rejected";
  std::string topic;
  std::string reason;
  std::string payload_sha256;
  std::int64_t payload_bytes = 0;
  template <class V, class S>
  static void fields(V& v, S& s) {
    v.req("topic", s.topic);
    v.req("reason", s.reason);
    v.req("payload_sha256", s.payload_sha256);
    v.req("payload_bytes", s.payload_bytes);
  }
};

struct PolicyApplied {
  static constexpr std::string_view kType = "policy.applied";
  std::string kind;  // msg::PolicyKind as text
  std::int64_t version = 0;
  std::string issued;
  std::string payload_sha256;
  std::optional<CommandOrigin> issued_by;  // who at central; null when nobody is named
  std::optional<std::int64_t> profiles;    // risk_profiles
  std::optional<std::int64_t> plates;      // allow_list, deny_list
  std::optional<std::int64_t> companies;   // allow_list, deny_list
  template <class V, class S>
  static void fields(V& v, S& s) {
    v.req("kind", s.kind);
    v.req("version", s.version);
    v.req("issued", s.issued);
    v.req("payload_sha256", s.payload_sha256);
    v.nullable("issued_by", s.issued_by);
    v.opt("profiles", s.profiles);
    v.opt("plates", s.plates);
    v.opt("companies", s.companies);
  }
};

struct PolicyIgnored {
  static constexpr std::string_view kType = "policy.ignored";
  std::string kind;
  std::int64_t version = 0;
  std::string reason;
  std::optional<CommandOrigin> issued_by;  // who at central; null when nobody is named
  template <class V, class S>
  static void fields(V& v, S& s) {
    v.req("kind", s.kind);
    v.req("version", s.version);
    v.req("reason", s.reason);
    v.nullable("issued_by", s.issued_by);
  }
};

// storage.alarm and storage.ok carry the same reading.
struct StorageReading {
  std::string level;  // "ok" | "warn" | "full"
  std::string reason;
  std::int64_t used_bytes = 0;
  std::int64_t max_bytes = 0;
  std::int64_t warn_bytes = 0;
  std::optional<std::int64_t> free_bytes;  // null when the filesystem could not be asked
  std::int64_t min_free_bytes = 0;
  template <class V, class S>
  static void fields(V& v, S& s) {
    v.req("level", s.level);
    v.req("reason", s.reason);
    v.req("used_bytes", s.used_bytes);
    v.req("max_bytes", s.max_bytes);
    v.req("warn_bytes", s.warn_bytes);
    v.nullable("free_bytes", s.free_bytes);
    v.req("min_free_bytes", s.min_free_bytes);
  }
};
struct StorageAlarm : StorageReading {
  static constexpr std::string_view kType = "storage.alarm";
};
struct StorageOk : StorageReading {
  static constexpr std::string_view kType = "storage.ok";
};

struct DeviceHealthChanged {
  static constexpr std::string_view kType = "device.health";
  std::string device;
  std::string device_class;  // "weighbridge", "camera", ...
  DeviceHealth health = DeviceHealth::kNotConnected;
  std::string reason;
  template <class V, class S>
  static void fields(V& v, S& s) {
    v.req("device", s.device);
    v.req("class", s.device_class);
    v.req("health", s.health);
    v.req("reason", s.reason);
  }
};

struct ClockStepped {
  static constexpr std::string_view kType = "clock.stepped";
  std::int64_t step_ms = 0;  // negative: backwards
  std::string from;          // where the wall clock should have been (UTC, ms)
  std::string to;            // where it is
  ClockState clock;
  template <class V, class S>
  static void fields(V& v, S& s) {
    v.req("step_ms", s.step_ms);
    v.req("from", s.from);
    v.req("to", s.to);
    v.req("clock", s.clock);
  }
};

// ---- a passage ----

struct PassageArrived {
  static constexpr std::string_view kType = "passage.arrived";
  std::string trigger;  // "weighbridge" | "radiation_portal"
  std::string direction;
  std::int64_t held_reads = 0;
  template <class V, class S>
  static void fields(V& v, S& s) {
    v.req("trigger", s.trigger);
    v.req("direction", s.direction);
    v.req("held_reads", s.held_reads);
  }
};

struct WeightMeasured {
  static constexpr std::string_view kType = "weight.measured";
  std::int64_t gross_kg = 0;
  std::string device;
  WeightState state = WeightState::kStable;
  template <class V, class S>
  static void fields(V& v, S& s) {
    v.req("gross_kg", s.gross_kg);
    v.req("device", s.device);
    v.req("state", s.state);
  }
};

struct PlateReadEvent {
  static constexpr std::string_view kType = "plate.read";
  std::string raw;
  std::string plate;  // normalised
  std::int64_t confidence_pct = 0;
  std::string camera;
  std::string direction;
  std::string camera_event;
  std::string camera_time;
  std::vector<EvidenceRef> evidence;
  bool vehicle_present = false;
  std::optional<std::int64_t> held_ms;        // no vehicle was on the lane
  std::optional<std::string> conflicts_with;  // the passage has this other plate
  std::optional<bool> late;                   // after the decision
  template <class V, class S>
  static void fields(V& v, S& s) {
    v.req("raw", s.raw);
    v.req("plate", s.plate);
    v.req("confidence_pct", s.confidence_pct);
    v.req("camera", s.camera);
    v.req("direction", s.direction);
    v.req("camera_event", s.camera_event);
    v.req("camera_time", s.camera_time);
    v.req("evidence", s.evidence);
    v.req("vehicle_present", s.vehicle_present);
    v.opt("held_ms", s.held_ms);
    v.opt("conflicts_with", s.conflicts_with);
    v.opt("late", s.late);
  }
};

struct PlateDropped {
  static constexpr std::string_view kType = "plate.dropped";
  std::string plate;
  std::string camera;
  std::string read_event;
  std::string reason;
  template <class V, class S>
  static void fields(V& v, S& s) {
    v.req("plate", s.plate);
    v.req("camera", s.camera);
    v.req("read_event", s.read_event);
    v.req("reason", s.reason);
  }
};

struct PassageIdentified {
  static constexpr std::string_view kType = "passage.identified";
  std::string plate;
  std::optional<std::string> declaration;  // null: none matched
  std::int64_t candidates = 0;
  std::int64_t expired = 0;
  std::string read;  // "camera" | "held"
  std::optional<std::string> read_event;
  template <class V, class S>
  static void fields(V& v, S& s) {
    v.req("plate", s.plate);
    v.nullable("declaration", s.declaration);
    v.req("candidates", s.candidates);
    v.req("expired", s.expired);
    v.req("read", s.read);
    v.opt("read_event", s.read_event);
  }
};

struct RadiationOccupancyStarted {
  static constexpr std::string_view kType = "radiation.occupancy_started";
  std::string device;
  std::string occupancy;
  template <class V, class S>
  static void fields(V& v, S& s) {
    v.req("device", s.device);
    v.req("occupancy", s.occupancy);
  }
};

struct RadiationMeasured {
  static constexpr std::string_view kType = "radiation.measured";
  std::string device;
  std::string occupancy;
  RadiationAlarm alarm = RadiationAlarm::kNone;
  std::int64_t gamma_counts = 0;
  double gamma_background_cps = 0;
  std::int64_t neutron_counts = 0;
  double neutron_background_cps = 0;
  double duration_s = 0;
  double speed_kmh = 0;
  std::vector<RadiationFault> faults;
  std::vector<EvidenceRef> evidence;
  bool late = false;
  template <class V, class S>
  static void fields(V& v, S& s) {
    v.req("device", s.device);
    v.req("occupancy", s.occupancy);
    v.req("alarm", s.alarm);
    v.req("gamma_counts", s.gamma_counts);
    v.req("gamma_background_cps", s.gamma_background_cps);
    v.req("neutron_counts", s.neutron_counts);
    v.req("neutron_background_cps", s.neutron_background_cps);
    v.req("duration_s", s.duration_s);
    v.req("speed_kmh", s.speed_kmh);
    v.req("faults", s.faults);
    v.req("evidence", s.evidence);
    v.req("late", s.late);
  }
};
RadiationMeasured radiationMeasured(const RadiationOccupancy& occupancy, bool late);

struct XrayResultEvent {
  static constexpr std::string_view kType = "xray.result";
  std::string device;
  std::string scan;
  std::string object;
  std::string object_type;
  XrayDecision decision = XrayDecision::kUnknown;
  std::string tdr_type;
  std::optional<XrayDecision> operator_verdict;
  std::int64_t total_objects = 0;
  std::int64_t alarm_objects = 0;
  std::vector<XrayThreat> threats;
  std::vector<EvidenceRef> evidence;
  bool late = false;
  template <class V, class S>
  static void fields(V& v, S& s) {
    v.req("device", s.device);
    v.req("scan", s.scan);
    v.req("object", s.object);
    v.req("object_type", s.object_type);
    v.req("decision", s.decision);
    v.req("tdr_type", s.tdr_type);
    v.nullable("operator_verdict", s.operator_verdict);
    v.req("total_objects", s.total_objects);
    v.req("alarm_objects", s.alarm_objects);
    v.req("threats", s.threats);
    v.req("evidence", s.evidence);
    v.req("late", s.late);
  }
};
XrayResultEvent xrayResultEvent(const XrayResult& result, bool late);

struct PassageDecided {
  static constexpr std::string_view kType = "passage.decided";
  Corridor corridor = Corridor::kYellow;
  std::vector<Reason> reasons;
  std::string ruleset;
  nlohmann::json policies = nlohmann::json::object();  // the versions in force
  std::string plate;
  std::string declaration;  // "" when none
  std::optional<std::int64_t> gross_kg;
  bool timed_out = false;
  std::int64_t since_arrival_ms = 0;
  ClockState clock;
  template <class V, class S>
  static void fields(V& v, S& s) {
    v.req("corridor", s.corridor);
    v.req("reasons", s.reasons);
    v.req("ruleset", s.ruleset);
    v.req("policies", s.policies);
    v.req("plate", s.plate);
    v.req("declaration", s.declaration);
    v.nullable("gross_kg", s.gross_kg);
    v.req("timed_out", s.timed_out);
    v.req("since_arrival_ms", s.since_arrival_ms);
    v.req("clock", s.clock);
  }
};

struct BarrierCommand {
  std::string command;
  std::string reason;  // "green", "departed", ...
  template <class V, class S>
  static void fields(V& v, S& s) {
    v.req("command", s.command);
    v.req("reason", s.reason);
  }
};
struct BarrierOpenRequested : BarrierCommand {
  static constexpr std::string_view kType = "barrier.open_requested";
};
struct BarrierCloseRequested : BarrierCommand {
  static constexpr std::string_view kType = "barrier.close_requested";
};

struct BarrierPositionReached {
  std::string command;
  std::string device;
  template <class V, class S>
  static void fields(V& v, S& s) {
    v.req("command", s.command);
    v.req("device", s.device);
  }
};
struct BarrierOpened : BarrierPositionReached {
  static constexpr std::string_view kType = "barrier.opened";
};
struct BarrierClosed : BarrierPositionReached {
  static constexpr std::string_view kType = "barrier.closed";
};

struct PassageReleased {
  static constexpr std::string_view kType = "passage.released";
  Corridor corridor = Corridor::kGreen;
  std::int64_t since_arrival_ms = 0;
  template <class V, class S>
  static void fields(V& v, S& s) {
    v.req("corridor", s.corridor);
    v.req("since_arrival_ms", s.since_arrival_ms);
  }
};

struct PassageDeparted {
  static constexpr std::string_view kType = "passage.departed";
  bool released = false;
  std::string corridor;  // "" when it left undecided
  std::int64_t since_arrival_ms = 0;
  template <class V, class S>
  static void fields(V& v, S& s) {
    v.req("released", s.released);
    v.req("corridor", s.corridor);
    v.req("since_arrival_ms", s.since_arrival_ms);
  }
};

// Every event type, for the contract test and for readers that dispatch on the type.
using EventTypes =
    std::tuple<DeclarationApplied, DeclarationIgnored, DownlinkRejected, PolicyApplied,
               PolicyIgnored, StorageAlarm, StorageOk, DeviceHealthChanged, ClockStepped,
               PassageArrived, WeightMeasured, PlateReadEvent, PlateDropped, PassageIdentified,
               RadiationOccupancyStarted, RadiationMeasured, XrayResultEvent, PassageDecided,
               BarrierOpenRequested, BarrierCloseRequested, BarrierOpened, BarrierClosed,
               PassageReleased, PassageDeparted>;

// An event draft of a typed payload.
template <class T>
EventDraft draft(const T& payload, std::string lane = "", std::string passage = "") {
  return {std::string(T::kType), std::move(lane), std::move(passage), toJson(payload)};
}

// Checks a payload against its type's contract; an unknown type is an error too.
Status checkPayload(std::string_view type, const nlohmann::json& payload);

}  // namespace kordon::msg
