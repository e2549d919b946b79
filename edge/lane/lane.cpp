// SPDX-License-Identifier: Apache-2.0
#include "edge/lane/lane.hpp"

#include <algorithm>

#include "edge/base/crypto.hpp"
#include "edge/base/log.hpp"
#include "edge/msg/limits.hpp"
#include "edge/msg/plate.hpp"

namespace kordon::lane {
namespace {

nlohmann::json evidenceJson(const std::vector<msg::Evidence>& evidence) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : evidence) {
    out.push_back({{"sha256", e.sha256}, {"media_type", e.media_type}, {"role", e.role}});
  }
  return out;
}

}  // namespace

Lane::Lane(LaneConfig config, store::Store& store, drivers::Barrier* barrier, const Clock& clock,
           const Policies& policies, const PostCondition& condition, EventsCommitted on_events)
    : config_(std::move(config)),
      store_(store),
      barrier_(barrier),
      clock_(clock),
      policies_(policies),
      condition_(condition),
      on_events_(std::move(on_events)) {}

msg::EventDraft Lane::draft(std::string type, nlohmann::json payload,
                            const std::optional<store::PassageRecord>& passage) const {
  return {std::move(type), config_.id, passage ? passage->id : std::string(), std::move(payload)};
}

Status Lane::commitImpl(const std::optional<store::PassageRecord>& next,
                        std::vector<msg::EventDraft> drafts,
                        const std::vector<msg::Evidence>& evidence,
                        std::vector<msg::Event>* emitted) {
  auto events = store_.transact([&](store::Transaction& tx) -> Status {
    // Evidence index rows ride in the same transaction as the read that references them.
    for (const auto& e : evidence) {
      if (Status s = tx.recordEvidence(e, clock_.nowWallMs()); !s) return s;
    }
    if (next) {
      if (Status s = tx.savePassage(*next); !s) return s;
    }
    for (auto& d : drafts) {
      if (Status s = tx.emit(std::move(d)); !s) return s;
    }
    return Status::ok();
  });
  if (!events.isOk()) {
    ++store_errors_;
    log::error("lane store write failed; the change it recorded did not happen",
               {{"lane", config_.id}, {"error", events.status().message()}});
    return events.status();
  }
  passage_ = next;
  if (on_events_) on_events_(*events);
  if (emitted) *emitted = std::move(*events);
  return Status::ok();
}

Status Lane::commit(std::optional<store::PassageRecord> next, std::vector<msg::EventDraft> drafts,
                    const std::vector<msg::Evidence>& evidence) {
  return commitImpl(next, std::move(drafts), evidence, nullptr);
}

bool Lane::openPassage(const char* trigger) {
  dropExpiredReads();
  store::PassageRecord next;
  next.id = newUuid();
  next.lane = config_.id;
  next.state = "open";
  next.arrived_ms = clock_.nowWallMs();
  std::vector<msg::EventDraft> drafts;
  drafts.push_back(draft(
      "passage.arrived",
      {{"trigger", trigger}, {"direction", config_.direction}, {"held_reads", held_reads_.size()}},
      next));
  // The reads that were waiting for this vehicle: the first identifies it, another plate is a
  // conflict the decision will name.
  std::vector<SeenRead> reads;
  for (const SeenRead& held : held_reads_) {
    const bool seen = std::any_of(reads.begin(), reads.end(), [&](const SeenRead& r) {
      return r.plate_norm == held.plate_norm;
    });
    if (!seen) reads.push_back(held);
  }
  if (!reads.empty()) identify(next, reads.front(), "held", drafts);
  if (!commit(next, std::move(drafts))) return false;
  passage_opened_at_ = clock_.nowSteady();
  passage_reads_ = std::move(reads);
  held_reads_.clear();
  radiation_.reset();
  xray_.reset();
  pending_open_command_.clear();
  log::info("passage arrived",
            {{"lane", config_.id}, {"passage", passage_->id}, {"trigger", trigger}});
  if (passage_reads_.size() > 1) ++plate_conflicts_;
  return true;
}

void Lane::identify(store::PassageRecord& next, const SeenRead& read, const char* source,
                    std::vector<msg::EventDraft>& drafts) {
  next.plate_raw = read.plate_raw;
  next.plate_norm = read.plate_norm;
  next.plate_confidence_pct = read.confidence_pct;
  next.identified_ms = clock_.nowWallMs();
  const Match match = lookup(read.plate_norm);
  next.declaration_id = match.declaration ? match.declaration->id : "";
  drafts.push_back(draft("passage.identified",
                         {{"plate", read.plate_norm},
                          {"declaration", match.declaration ? nlohmann::json(match.declaration->id)
                                                            : nlohmann::json()},
                          {"candidates", match.candidates},
                          {"expired", match.expired},
                          {"read", source}},
                         next));
  if (!read.event_id.empty()) drafts.back().payload["read_event"] = read.event_id;
}

void Lane::recordHealth(const std::string& device, const std::string& device_class,
                        msg::DeviceHealth health, const std::string& reason) {
  auto it = device_health_.find(device);
  if (it != device_health_.end() && it->second == health) return;
  const Status s = commitEvents({{"device.health",
                                  config_.id,
                                  "",
                                  {{"device", device},
                                   {"class", device_class},
                                   {"health", std::string(msg::toString(health))},
                                   {"reason", msg::clipText(reason)}}}});
  // Only what is journalled counts as known: a failed write is tried again on the next report.
  if (s) device_health_[device] = health;
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
    // And let this same reading weigh the vehicle; a passage that could not be recorded is
    // opened by the next reading instead.
    if (!openPassage("weighbridge")) return;
  }
  if (reading.state != msg::WeightState::kStable) return;
  if (!occupied) {
    // A stable empty deck after a vehicle was on it: the vehicle has left.
    if (passage_->gross_kg || passage_->state != "open") depart();
    return;
  }
  if (passage_->decided_ms != 0) return;  // the decision stands on the weight it used
  if (passage_->gross_kg == reading.gross_kg) return;
  store::PassageRecord next = *passage_;
  next.gross_kg = reading.gross_kg;
  next.weighed_ms = clock_.nowWallMs();
  if (!commit(next,
              {draft("weight.measured", {{"gross_kg", reading.gross_kg},
                                         {"device", reading.device_id},
                                         {"state", std::string(msg::toString(reading.state))}})})) {
    return;
  }
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
  return matchDeclaration(declarations, condition_.high_water.now(clock_));
}

void Lane::dropExpiredReads() {
  const auto now = clock_.nowSteady();
  const auto hold = std::chrono::milliseconds(config_.plate_hold_ms);
  while (!held_reads_.empty() && now - held_reads_.front().received >= hold) {
    const SeenRead& r = held_reads_.front();
    const Status s = commitEvents(
        {draft("plate.dropped", {{"plate", r.plate_norm},
                                 {"camera", r.camera},
                                 {"read_event", r.event_id},
                                 {"reason", "no vehicle came onto the lane within " +
                                                std::to_string(config_.plate_hold_ms) + " ms"}})});
    if (!s) return;  // tried again on the next tick
    ++reads_dropped_;
    log::info("plate read dropped: no vehicle came",
              {{"lane", config_.id}, {"plate", r.plate_norm}, {"camera", r.camera}});
    held_reads_.pop_front();
  }
}

Status Lane::onPlate(const msg::PlateRead& read) {
  const std::string norm = msg::normalisePlate(read.plate_raw);
  const bool vehicle = passage_.has_value();
  const bool decided = vehicle && passage_->decided_ms != 0;
  // What this read is to the passage: the first plate, the same plate again, or another one.
  const bool first = vehicle && !decided && passage_->plate_norm.empty() && !norm.empty();
  const bool conflicting = vehicle && !norm.empty() && !passage_->plate_norm.empty() &&
                           norm != passage_->plate_norm &&
                           std::none_of(passage_reads_.begin(), passage_reads_.end(),
                                        [&](const SeenRead& r) { return r.plate_norm == norm; });
  nlohmann::json payload = {{"raw", read.plate_raw},
                            {"plate", norm},
                            {"confidence_pct", read.confidence_pct},
                            {"camera", read.camera_id},
                            {"direction", read.direction},
                            {"camera_event", read.source_event_id},
                            {"camera_time", formatUtcMs(read.time_ms)},
                            {"evidence", evidenceJson(read.evidence)},
                            {"vehicle_present", vehicle}};
  if (!vehicle) payload["held_ms"] = config_.plate_hold_ms;
  if (conflicting) payload["conflicts_with"] = passage_->plate_norm;
  if (decided) payload["late"] = true;
  std::optional<store::PassageRecord> next = passage_;
  std::vector<msg::EventDraft> drafts;
  drafts.push_back(draft("plate.read", payload));
  SeenRead seen{norm, read.plate_raw, read.confidence_pct, read.camera_id, "", clock_.nowSteady()};
  if (first) identify(*next, seen, "camera", drafts);
  std::vector<msg::Event> emitted;
  if (Status s = commitImpl(next, std::move(drafts), read.evidence, &emitted); !s) return s;
  seen.event_id = emitted.front().id;
  if (norm.empty()) return Status::ok();
  if (!vehicle) {
    held_reads_.push_back(std::move(seen));
    if (held_reads_.size() > kMaxHeldReads) {
      // The oldest goes, on the record, as if its time were up.
      SeenRead& oldest = held_reads_.front();
      oldest.received = clock_.nowSteady() - std::chrono::milliseconds(config_.plate_hold_ms);
      dropExpiredReads();
    }
    return Status::ok();
  }
  if (first) {
    passage_reads_.push_back(std::move(seen));
    tryDecide(false);
  } else if (conflicting && !decided) {
    ++plate_conflicts_;
    log::warn("two plates read for one passage", {{"lane", config_.id},
                                                  {"passage", passage_->id},
                                                  {"plate", passage_->plate_norm},
                                                  {"other", norm},
                                                  {"camera", read.camera_id}});
    passage_reads_.push_back(std::move(seen));
  }
  return Status::ok();
}

bool Lane::xrayRequired(const Match& match) const {
  if (config_.xray_policy == "always") return true;
  if (config_.xray_policy != "when_required" || !match.declaration) return false;
  const auto& controls = match.declaration->required_controls;
  return std::find(controls.begin(), controls.end(), "xray") != controls.end();
}

std::int64_t Lane::sinceArrivalMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.nowSteady() -
                                                               passage_opened_at_)
      .count();
}

nlohmann::json Lane::readsJson() const {
  nlohmann::json reads = nlohmann::json::array();
  for (const SeenRead& r : passage_reads_) {
    reads.push_back({{"plate", r.plate_norm},
                     {"raw", r.plate_raw},
                     {"confidence_pct", r.confidence_pct},
                     {"camera", r.camera},
                     {"read_event", r.event_id}});
  }
  return reads;
}

void Lane::tryDecide(bool timed_out) {
  if (!passage_ || passage_->decided_ms != 0) return;
  DecisionInput input;
  input.plate_norm = passage_->plate_norm;
  input.measured_gross_kg = passage_->gross_kg;
  for (const SeenRead& r : passage_reads_) {
    input.plate_reads.push_back({r.plate_norm, r.plate_raw, r.confidence_pct, r.camera});
  }
  // Matched again at decision time: a declaration may have arrived or expired meanwhile.
  if (!input.plate_norm.empty()) input.match = lookup(input.plate_norm);
  input.radiation_required = config_.radiation_required;
  input.radiation = radiation_;
  input.xray_required = xrayRequired(input.match);
  input.xray = xray_;
  input.now_ms = condition_.high_water.now(clock_);
  input.condition = condition_;
  const bool complete = !input.plate_norm.empty() && input.measured_gross_kg.has_value() &&
                        (!input.radiation_required || input.radiation.has_value()) &&
                        (!input.xray_required || input.xray.has_value());
  if (!complete && !timed_out) return;

  const Decision decision = decide(input, policies_);
  store::PassageRecord next = *passage_;
  next.corridor = toString(decision.corridor);
  next.reasons_json = toJson(decision.reasons).dump();
  next.ruleset = decision.ruleset;
  next.decided_ms = clock_.nowWallMs();
  next.state = "decided";
  next.declaration_id = input.match.declaration ? input.match.declaration->id : "";

  std::vector<msg::EventDraft> drafts;
  drafts.push_back(
      draft("passage.decided",
            {{"corridor", next.corridor},
             {"reasons", toJson(decision.reasons)},
             {"ruleset", decision.ruleset},
             {"policies", decision.policies},
             {"plate", next.plate_norm},
             {"declaration", next.declaration_id},
             {"gross_kg", next.gross_kg ? nlohmann::json(*next.gross_kg) : nlohmann::json()},
             {"timed_out", timed_out},
             {"since_arrival_ms", sinceArrivalMs()},
             {"clock", toJson(condition_.clock)}},
            next));
  const bool release = decision.corridor == Corridor::kGreen && barrier_ != nullptr;
  std::string command_id;
  if (release) {
    command_id = newUuid();
    drafts.push_back(
        draft("barrier.open_requested", {{"command", command_id}, {"reason", "green"}}, next));
  }
  // No decision, and no command, without its record.
  if (!commit(next, std::move(drafts))) return;
  log::info("passage decided", {{"lane", config_.id},
                                {"passage", passage_->id},
                                {"plate", passage_->plate_norm},
                                {"corridor", passage_->corridor}});
  if (release) {
    pending_open_command_ = command_id;
    barrier_->requestOpen(command_id);
  }
}

void Lane::depart() {
  if (!passage_) return;
  store::PassageRecord next = *passage_;
  next.departed_ms = clock_.nowWallMs();
  const bool released = next.released_ms != 0;
  next.state = "departed";
  std::vector<msg::EventDraft> drafts;
  drafts.push_back(draft(
      "passage.departed",
      {{"released", released}, {"corridor", next.corridor}, {"since_arrival_ms", sinceArrivalMs()}},
      next));
  std::string close_command;
  if (barrier_ != nullptr && (barrier_position_ == msg::BarrierPosition::kOpen ||
                              barrier_position_ == msg::BarrierPosition::kOpening)) {
    close_command = newUuid();
    drafts.push_back(draft("barrier.close_requested",
                           {{"command", close_command}, {"reason", "departed"}}, next));
  }
  if (!commit(next, std::move(drafts))) return;  // still here: the next empty reading retries
  log::info("passage departed",
            {{"lane", config_.id}, {"passage", passage_->id}, {"released", released}});
  passage_.reset();
  passage_reads_.clear();
  pending_open_command_.clear();
  if (!close_command.empty()) {
    pending_close_command_ = close_command;
    barrier_->requestClose(close_command);
  }
}

Status Lane::onRadiation(const msg::RadiationOccupancy& occupancy) {
  if (!passage_ && !openPassage("radiation_portal")) {
    return Status::error("lane " + config_.id + ": the passage could not be recorded");
  }
  nlohmann::json payload = {{"device", occupancy.device_id}, {"occupancy", occupancy.occupancy_id}};
  if (occupancy.phase == msg::OccupancyPhase::kStart) {
    return commitEvents({draft("radiation.occupancy_started", payload)});
  }
  nlohmann::json faults = nlohmann::json::array();
  for (const auto& f : occupancy.faults) {
    faults.push_back({{"code", f.code}, {"description", f.description}, {"severity", f.severity}});
  }
  payload.update({{"alarm", std::string(msg::toString(occupancy.alarm))},
                  {"gamma_counts", occupancy.gamma_counts},
                  {"gamma_background_cps", occupancy.gamma_background_cps},
                  {"neutron_counts", occupancy.neutron_counts},
                  {"neutron_background_cps", occupancy.neutron_background_cps},
                  {"duration_s", occupancy.duration_s},
                  {"speed_kmh", occupancy.speed_kmh},
                  {"faults", faults},
                  {"evidence", evidenceJson(occupancy.evidence)},
                  {"late", passage_->decided_ms != 0}});
  if (Status s = commitEvents({draft("radiation.measured", payload)}, occupancy.evidence); !s) {
    return s;
  }
  // After the decision a result is recorded but changes nothing: the barrier has its answer.
  if (passage_->decided_ms == 0) radiation_ = occupancy;
  tryDecide(false);
  return Status::ok();
}

Status Lane::onXray(const msg::XrayResult& result) {
  nlohmann::json threats = nlohmann::json::array();
  for (const auto& t : result.threats) {
    threats.push_back({{"id", t.id},
                       {"category", t.category},
                       {"description", t.description},
                       {"assessment", t.assessment}});
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
      {"evidence", evidenceJson(result.evidence)},
      {"late", passage_ && passage_->decided_ms != 0}};
  // A scan with no vehicle on the lane is still recorded, against the lane alone.
  if (Status s = commitEvents({draft("xray.result", payload)}, result.evidence); !s) return s;
  if (passage_ && passage_->decided_ms == 0) xray_ = result;
  tryDecide(false);
  return Status::ok();
}

void Lane::recordRelease() {
  if (!passage_ || pending_open_command_.empty() || opened_command_ != pending_open_command_) {
    return;
  }
  store::PassageRecord next = *passage_;
  next.released_ms = clock_.nowWallMs();
  next.state = "released";
  if (!commit(next, {draft("passage.released",
                           {{"corridor", next.corridor}, {"since_arrival_ms", sinceArrivalMs()}},
                           next)})) {
    return;
  }
  pending_open_command_.clear();
}

void Lane::onBarrier(const msg::BarrierStatus& status) {
  // The barrier's position is what it is; what the journal says about it catches up in
  // recordBarrier(), now and again from tick() after a failed write.
  barrier_position_ = status.position;
  last_barrier_status_ = status;
  if (status.position == msg::BarrierPosition::kOpen) opened_command_ = status.command_id;
  recordBarrier();
}

void Lane::recordBarrier() {
  const msg::BarrierStatus& status = last_barrier_status_;
  if (status.position == barrier_recorded_) return;
  if (status.position == msg::BarrierPosition::kOpen) {
    if (!commitEvents({draft("barrier.opened",
                             {{"command", status.command_id}, {"device", status.device_id}})})) {
      return;
    }
    barrier_recorded_ = status.position;
    recordRelease();
  } else if (status.position == msg::BarrierPosition::kClosed) {
    if (!commitEvents({{"barrier.closed",
                        config_.id,
                        "",
                        {{"command", status.command_id}, {"device", status.device_id}}}})) {
      return;
    }
    barrier_recorded_ = status.position;
  } else {
    // opening/closing/unknown are transient; the end positions are what we record
    barrier_recorded_ = status.position;
  }
}

void Lane::tick() {
  dropExpiredReads();
  // Records whose write failed are written once the store takes them again.
  recordBarrier();
  recordRelease();
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
  nlohmann::json j = {{"lane", config_.id},
                      {"direction", config_.direction},
                      {"devices", devicesJson()},
                      {"barrier", std::string(msg::toString(barrier_position_))},
                      {"gross_kg", last_gross_kg_},
                      {"store_errors", store_errors_},
                      {"held_reads", held_reads_.size()},
                      {"reads_dropped", reads_dropped_},
                      {"plate_conflicts", plate_conflicts_}};
  if (passage_) {
    j["passage"] = {{"id", passage_->id},
                    {"state", passage_->state},
                    {"plate", passage_->plate_norm},
                    {"corridor", passage_->corridor},
                    {"declaration", passage_->declaration_id},
                    {"reads", readsJson()}};
  }
  return j;
}

}  // namespace kordon::lane
