// SPDX-License-Identifier: Apache-2.0
#include "edge/lane/lane.hpp"

#include <algorithm>

#include "edge/base/crypto.hpp"
#include "edge/base/log.hpp"
#include "edge/msg/plate.hpp"

namespace kordon::lane {

Lane::Lane(LaneConfig config, store::Store& store, drivers::Barrier* barrier, const Clock& clock,
           const Policies& policies, const PostCondition& condition, EventsCommitted on_events)
    : config_(std::move(config)),
      store_(store),
      barrier_(barrier),
      clock_(clock),
      policies_(policies),
      condition_(condition),
      on_events_(std::move(on_events)) {}

msg::EventDraft Lane::draft(std::string type, nlohmann::json payload) const {
  return {std::move(type), config_.id, passage_ ? passage_->id : std::string(), std::move(payload)};
}

bool Lane::commit(std::vector<msg::EventDraft> drafts, const std::vector<msg::Evidence>& evidence) {
  auto events = store_.transact([&](store::Transaction& tx) -> Status {
    // Evidence index rows ride in the same transaction as the read that references them.
    for (const auto& e : evidence) {
      if (Status s = tx.recordEvidence(e, clock_.nowWallMs()); !s) return s;
    }
    if (passage_) {
      if (Status s = tx.savePassage(*passage_); !s) return s;
    }
    for (auto& d : drafts) {
      if (Status s = tx.emit(std::move(d)); !s) return s;
    }
    return Status::ok();
  });
  if (!events.isOk()) {
    ++store_errors_;
    log::error("lane store write failed",
               {{"lane", config_.id}, {"error", events.status().message()}});
    return false;
  }
  if (on_events_) on_events_(*events);
  return true;
}

void Lane::openPassage(const char* trigger) {
  store::PassageRecord p;
  p.id = newUuid();
  p.lane = config_.id;
  p.state = "open";
  p.arrived_ms = clock_.nowWallMs();
  passage_ = std::move(p);
  passage_opened_at_ = clock_.nowSteady();
  radiation_.reset();
  xray_.reset();
  log::info("passage arrived",
            {{"lane", config_.id}, {"passage", passage_->id}, {"trigger", trigger}});
  commit({draft("passage.arrived", {{"trigger", trigger}, {"direction", config_.direction}})});
}

void Lane::recordHealth(const std::string& device, const std::string& device_class,
                        msg::DeviceHealth health, const std::string& reason) {
  auto [it, inserted] = device_health_.emplace(device, health);
  if (!inserted && it->second == health) return;
  it->second = health;
  commit({{"device.health",
           config_.id,
           "",
           {{"device", device},
            {"class", device_class},
            {"health", std::string(msg::toString(health))},
            {"reason", reason}}}});
}

void Lane::onDeviceStatus(const msg::DeviceStatus& status) {
  recordHealth(status.device_id, status.device_class, status.health, status.reason);
}

void Lane::onWeight(const msg::WeightReading& reading) {
  recordHealth(reading.device_id, "weighbridge", reading.health, "");
  if (reading.health != msg::DeviceHealth::kGood &&
      reading.health != msg::DeviceHealth::kDegraded) {
    return;
  }
  const bool has_weight =
      reading.state == msg::WeightState::kStable || reading.state == msg::WeightState::kMotion;
  if (!has_weight) return;
  last_gross_kg_ = reading.gross_kg;
  const bool occupied = reading.gross_kg >= config_.occupied_threshold_kg;

  if (!passage_) {
    if (!occupied) return;
    openPassage("weighbridge");  // and let this same reading weigh the vehicle
  }
  if (reading.state != msg::WeightState::kStable) return;
  if (!occupied) {
    // A stable empty deck after a vehicle was on it: the vehicle has left.
    if (passage_->gross_kg || passage_->state != "open") depart();
    return;
  }
  if (passage_->decided_ms != 0) return;  // the decision stands on the weight it used
  if (passage_->gross_kg == reading.gross_kg) return;
  passage_->gross_kg = reading.gross_kg;
  passage_->weighed_ms = clock_.nowWallMs();
  commit({draft("weight.measured", {{"gross_kg", reading.gross_kg},
                                    {"device", reading.device_id},
                                    {"state", std::string(msg::toString(reading.state))}})});
  tryDecide(false);
}

Match Lane::lookup(const std::string& plate_norm) {
  auto candidates = store_.declarationsForPlate(plate_norm);
  std::vector<msg::Declaration> declarations;
  if (candidates.isOk()) {
    for (auto& c : *candidates) declarations.push_back(std::move(c.declaration));
  } else {
    // Treated as "no declaration": the vehicle goes yellow, never green on a failed read.
    ++store_errors_;
    log::error("declaration lookup failed",
               {{"lane", config_.id}, {"error", candidates.status().message()}});
  }
  return matchDeclaration(declarations, clock_.nowWallMs());
}

void Lane::onPlate(const msg::PlateRead& read) {
  if (!passage_) openPassage("camera");
  const std::string norm = msg::normalisePlate(read.plate_raw);
  nlohmann::json evidence = nlohmann::json::array();
  for (const auto& e : read.evidence) {
    evidence.push_back({{"sha256", e.sha256}, {"media_type", e.media_type}, {"role", e.role}});
  }
  std::vector<msg::EventDraft> drafts;
  drafts.push_back(draft("plate.read", {{"raw", read.plate_raw},
                                        {"plate", norm},
                                        {"confidence_pct", read.confidence_pct},
                                        {"camera", read.camera_id},
                                        {"direction", read.direction},
                                        {"camera_event", read.source_event_id},
                                        {"camera_time", formatUtcMs(read.time_ms)},
                                        {"evidence", evidence}}));
  // Before the decision, a better read replaces a worse one; afterwards it is only recorded.
  const bool adopt =
      passage_->decided_ms == 0 &&
      (passage_->plate_norm.empty() || read.confidence_pct > passage_->plate_confidence_pct);
  if (adopt && !norm.empty()) {
    passage_->plate_raw = read.plate_raw;
    passage_->plate_norm = norm;
    passage_->plate_confidence_pct = read.confidence_pct;
    passage_->identified_ms = clock_.nowWallMs();
    const Match match = lookup(norm);
    passage_->declaration_id = match.declaration ? match.declaration->id : "";
    drafts.push_back(
        draft("passage.identified",
              {{"plate", norm},
               {"declaration",
                match.declaration ? nlohmann::json(match.declaration->id) : nlohmann::json()},
               {"candidates", match.candidates},
               {"expired", match.expired}}));
  }
  if (!commit(std::move(drafts), read.evidence)) return;
  if (adopt) tryDecide(false);
}

bool Lane::xrayRequired(const Match& match) const {
  if (config_.xray_policy == "always") return true;
  if (config_.xray_policy != "when_required" || !match.declaration) return false;
  const auto& controls = match.declaration->required_controls;
  return std::find(controls.begin(), controls.end(), "xray") != controls.end();
}

void Lane::tryDecide(bool timed_out) {
  if (!passage_ || passage_->decided_ms != 0) return;
  DecisionInput input;
  input.plate_norm = passage_->plate_norm;
  input.measured_gross_kg = passage_->gross_kg;
  // Matched again at decision time: a declaration may have arrived or expired meanwhile.
  if (!input.plate_norm.empty()) input.match = lookup(input.plate_norm);
  input.radiation_required = config_.radiation_required;
  input.radiation = radiation_;
  input.xray_required = xrayRequired(input.match);
  input.xray = xray_;
  input.now_ms = clock_.nowWallMs();
  input.condition = condition_;
  const bool complete = !input.plate_norm.empty() && input.measured_gross_kg.has_value() &&
                        (!input.radiation_required || input.radiation.has_value()) &&
                        (!input.xray_required || input.xray.has_value());
  if (!complete && !timed_out) return;

  const Decision decision = decide(input, policies_);
  passage_->corridor = toString(decision.corridor);
  passage_->reasons_json = toJson(decision.reasons).dump();
  passage_->ruleset = decision.ruleset;
  passage_->decided_ms = clock_.nowWallMs();
  passage_->state = "decided";
  passage_->declaration_id = input.match.declaration ? input.match.declaration->id : "";

  std::vector<msg::EventDraft> drafts;
  drafts.push_back(draft(
      "passage.decided",
      {{"corridor", passage_->corridor},
       {"reasons", toJson(decision.reasons)},
       {"ruleset", decision.ruleset},
       {"policies", decision.policies},
       {"plate", passage_->plate_norm},
       {"declaration", passage_->declaration_id},
       {"gross_kg", passage_->gross_kg ? nlohmann::json(*passage_->gross_kg) : nlohmann::json()},
       {"timed_out", timed_out}}));
  const bool release = decision.corridor == Corridor::kGreen && barrier_ != nullptr;
  std::string command_id;
  if (release) {
    command_id = newUuid();
    drafts.push_back(
        draft("barrier.open_requested", {{"command", command_id}, {"reason", "green"}}));
  }
  log::info("passage decided", {{"lane", config_.id},
                                {"passage", passage_->id},
                                {"plate", passage_->plate_norm},
                                {"corridor", passage_->corridor}});
  if (!commit(std::move(drafts))) return;
  if (release) {
    pending_open_command_ = command_id;
    barrier_->requestOpen(command_id);
  }
}

void Lane::depart() {
  if (!passage_) return;
  passage_->departed_ms = clock_.nowWallMs();
  const bool released = passage_->released_ms != 0;
  passage_->state = "departed";
  std::vector<msg::EventDraft> drafts;
  drafts.push_back(
      draft("passage.departed", {{"released", released}, {"corridor", passage_->corridor}}));
  std::string close_command;
  if (barrier_ != nullptr && (barrier_position_ == msg::BarrierPosition::kOpen ||
                              barrier_position_ == msg::BarrierPosition::kOpening)) {
    close_command = newUuid();
    drafts.push_back(
        draft("barrier.close_requested", {{"command", close_command}, {"reason", "departed"}}));
  }
  log::info("passage departed",
            {{"lane", config_.id}, {"passage", passage_->id}, {"released", released}});
  commit(std::move(drafts));
  passage_.reset();
  pending_open_command_.clear();
  if (!close_command.empty()) {
    pending_close_command_ = close_command;
    barrier_->requestClose(close_command);
  }
}

void Lane::onRadiation(const msg::RadiationOccupancy& occupancy) {
  if (!passage_) openPassage("radiation_portal");
  nlohmann::json payload = {{"device", occupancy.device_id}, {"occupancy", occupancy.occupancy_id}};
  if (occupancy.phase == msg::OccupancyPhase::kStart) {
    commit({draft("radiation.occupancy_started", payload)});
    return;
  }
  nlohmann::json faults = nlohmann::json::array();
  for (const auto& f : occupancy.faults) {
    faults.push_back({{"code", f.code}, {"description", f.description}, {"severity", f.severity}});
  }
  nlohmann::json evidence = nlohmann::json::array();
  for (const auto& e : occupancy.evidence) {
    evidence.push_back({{"sha256", e.sha256}, {"media_type", e.media_type}, {"role", e.role}});
  }
  payload.update({{"alarm", std::string(msg::toString(occupancy.alarm))},
                  {"gamma_counts", occupancy.gamma_counts},
                  {"gamma_background_cps", occupancy.gamma_background_cps},
                  {"neutron_counts", occupancy.neutron_counts},
                  {"neutron_background_cps", occupancy.neutron_background_cps},
                  {"duration_s", occupancy.duration_s},
                  {"speed_kmh", occupancy.speed_kmh},
                  {"faults", faults},
                  {"evidence", evidence},
                  {"late", passage_->decided_ms != 0}});
  // After the decision a result is recorded but changes nothing: the barrier has its answer.
  if (passage_->decided_ms == 0) radiation_ = occupancy;
  if (!commit({draft("radiation.measured", payload)}, occupancy.evidence)) return;
  tryDecide(false);
}

void Lane::onXray(const msg::XrayResult& result) {
  nlohmann::json threats = nlohmann::json::array();
  for (const auto& t : result.threats) {
    threats.push_back({{"id", t.id},
                       {"category", t.category},
                       {"description", t.description},
                       {"assessment", t.assessment}});
  }
  nlohmann::json evidence = nlohmann::json::array();
  for (const auto& e : result.evidence) {
    evidence.push_back({{"sha256", e.sha256}, {"media_type", e.media_type}, {"role", e.role}});
  }
  const nlohmann::json payload = {
      {"device", result.device_id},
      {"scan", result.scan_id},
      {"object", result.object_ref},
      {"object_type", result.object_type},
      {"decision", std::string(msg::toString(result.decision))},
      {"tdr_type", result.tdr_type},
      {"operator_verdict", result.operator_verdict ? nlohmann::json(std::string(
                                                         msg::toString(*result.operator_verdict)))
                                                   : nlohmann::json()},
      {"total_objects", result.total_objects},
      {"alarm_objects", result.alarm_objects},
      {"threats", threats},
      {"evidence", evidence},
      {"late", passage_ && passage_->decided_ms != 0}};
  // A scan with no vehicle on the lane is still recorded, against the lane alone.
  if (passage_ && passage_->decided_ms == 0) xray_ = result;
  if (!commit({draft("xray.result", payload)}, result.evidence)) return;
  tryDecide(false);
}

void Lane::onBarrier(const msg::BarrierStatus& status) {
  const auto previous = barrier_position_;
  barrier_position_ = status.position;
  if (status.position == previous) return;
  std::vector<msg::EventDraft> drafts;
  if (status.position == msg::BarrierPosition::kOpen) {
    drafts.push_back(
        draft("barrier.opened", {{"command", status.command_id}, {"device", status.device_id}}));
    if (passage_ && !pending_open_command_.empty() && status.command_id == pending_open_command_) {
      passage_->released_ms = clock_.nowWallMs();
      passage_->state = "released";
      drafts.push_back(draft("passage.released", {{"corridor", passage_->corridor}}));
      pending_open_command_.clear();
    }
  } else if (status.position == msg::BarrierPosition::kClosed) {
    drafts.push_back({"barrier.closed",
                      config_.id,
                      "",
                      {{"command", status.command_id}, {"device", status.device_id}}});
  } else {
    return;  // opening/closing/unknown are transient; the end positions are what we record
  }
  commit(std::move(drafts));
}

void Lane::tick() {
  if (!passage_ || passage_->decided_ms != 0) return;
  const auto open_for = clock_.nowSteady() - passage_opened_at_;
  if (open_for >= std::chrono::milliseconds(config_.identify_timeout_ms)) tryDecide(true);
}

nlohmann::json Lane::devicesJson() const {
  nlohmann::json devices = nlohmann::json::object();
  for (const auto& [id, health] : device_health_) devices[id] = std::string(msg::toString(health));
  return devices;
}

nlohmann::json Lane::statusJson() const {
  nlohmann::json j = {
      {"lane", config_.id},         {"direction", config_.direction},
      {"devices", devicesJson()},   {"barrier", std::string(msg::toString(barrier_position_))},
      {"gross_kg", last_gross_kg_}, {"store_errors", store_errors_}};
  if (passage_) {
    j["passage"] = {{"id", passage_->id},
                    {"state", passage_->state},
                    {"plate", passage_->plate_norm},
                    {"corridor", passage_->corridor},
                    {"declaration", passage_->declaration_id}};
  }
  return j;
}

}  // namespace kordon::lane
