// SPDX-License-Identifier: Apache-2.0
#include "edge/kordond/lane/lane.hpp"

#include <algorithm>

#include "edge/base/crypto.hpp"
#include "edge/base/log.hpp"
#include "edge/msg/event_types.hpp"
#include "edge/msg/limits.hpp"
#include "edge/msg/plate.hpp"

namespace kordon::lane {

Lane::Lane(LaneConfig config, store::Store& store, drivers::Barrier* barrier, const Clock& clock,
           const Policies& policies, const PostCondition& condition)
    : config_(std::move(config)),
      store_(store),
      barrier_(barrier),
      clock_(clock),
      policies_(policies),
      condition_(condition) {}

template <class Payload>
msg::EventDraft Lane::draft(const Payload& payload,
                            const std::optional<store::PassageRecord>& passage) const {
  return msg::draft(payload, config_.id, passage ? passage->id : std::string());
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
  next.state = msg::PassageState::kOpen;
  next.arrived_ms = clock_.nowWallMs();
  std::vector<msg::EventDraft> drafts;
  drafts.push_back(draft(msg::PassageArrived{trigger, config_.direction,
                                             static_cast<std::int64_t>(held_reads_.size())},
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
  msg::PassageIdentified identified;
  identified.plate = read.plate_norm;
  if (match.declaration) identified.declaration = match.declaration->id;
  identified.candidates = match.candidates;
  identified.expired = match.expired;
  identified.read = source;
  if (!read.event_id.empty()) identified.read_event = read.event_id;
  drafts.push_back(draft(identified, next));
}

void Lane::recordHealth(const std::string& device, const std::string& device_class,
                        msg::DeviceHealth health, const std::string& reason) {
  auto it = device_health_.find(device);
  if (it != device_health_.end() && it->second == health) return;
  // The device's health belongs to the lane, not to the passage on it.
  const Status s = commitEvents(
      {draft(msg::DeviceHealthChanged{device, device_class, health, msg::clipText(reason)},
             std::nullopt)});
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
    if (passage_->gross_kg || passage_->state != msg::PassageState::kOpen) depart();
    return;
  }
  if (passage_->decided_ms != 0) return;  // the decision stands on the weight it used
  if (passage_->gross_kg == reading.gross_kg) return;
  store::PassageRecord next = *passage_;
  next.gross_kg = reading.gross_kg;
  next.weighed_ms = clock_.nowWallMs();
  if (!commit(next,
              {draft(msg::WeightMeasured{reading.gross_kg, reading.device_id, reading.state})})) {
    return;
  }
  tryDecide(false);
}

Match Lane::lookup(const std::string& plate_norm) {
  // One query per plate: the decision reuses the identification's candidates unless the
  // declarations changed since, and judges them (expiry) at its own time.
  const bool fresh = looked_up_ && looked_up_->plate_norm == plate_norm &&
                     looked_up_->declarations_version == store_.declarationsVersion();
  if (!fresh) {
    ++declaration_queries_;
    auto candidates = store_.declarationsForPlate(plate_norm);
    LookedUp next{plate_norm, store_.declarationsVersion(), {}};
    if (candidates.isOk()) {
      for (auto& c : *candidates) next.candidates.push_back(std::move(c.declaration));
      looked_up_ = std::move(next);
    } else {
      // Treated as "no declaration": the vehicle goes yellow, never green on a failed read.
      ++store_errors_;
      log::error("declaration lookup failed",
                 {{"lane", config_.id}, {"error", candidates.status().message()}});
      looked_up_.reset();
      return matchDeclaration({}, condition_.high_water.now(clock_));
    }
  }
  return matchDeclaration(looked_up_->candidates, condition_.high_water.now(clock_));
}

void Lane::dropExpiredReads() {
  const auto now = clock_.nowSteady();
  const auto hold = std::chrono::milliseconds(config_.plate_hold_ms);
  while (!held_reads_.empty() && now - held_reads_.front().received >= hold) {
    const SeenRead& r = held_reads_.front();
    const Status s = commitEvents({draft(msg::PlateDropped{
        r.plate_norm, r.camera, r.event_id,
        "no vehicle came onto the lane within " + std::to_string(config_.plate_hold_ms) + " ms"})});
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
  msg::PlateReadEvent event;
  event.raw = read.plate_raw;
  event.plate = norm;
  event.confidence_pct = read.confidence_pct;
  event.camera = read.camera_id;
  event.direction = read.direction;
  event.camera_event = read.source_event_id;
  event.camera_time = formatUtcMs(read.time_ms);
  event.evidence = msg::evidenceRefs(read.evidence);
  event.vehicle_present = vehicle;
  if (!vehicle) event.held_ms = config_.plate_hold_ms;
  if (conflicting) event.conflicts_with = passage_->plate_norm;
  if (decided) event.late = true;
  std::optional<store::PassageRecord> next = passage_;
  std::vector<msg::EventDraft> drafts;
  drafts.push_back(draft(event));
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
  next.corridor = decision.corridor;
  next.reasons_json = toJson(decision.reasons).dump();
  next.ruleset = decision.ruleset;
  next.decided_ms = clock_.nowWallMs();
  next.state = msg::PassageState::kDecided;
  next.declaration_id = input.match.declaration ? input.match.declaration->id : "";

  std::vector<msg::EventDraft> drafts;
  msg::PassageDecided decided;
  decided.corridor = decision.corridor;
  decided.reasons = decision.reasons;
  decided.ruleset = decision.ruleset;
  decided.policies = decision.policies;
  decided.plate = next.plate_norm;
  decided.declaration = next.declaration_id;
  decided.gross_kg = next.gross_kg;
  decided.timed_out = timed_out;
  decided.since_arrival_ms = sinceArrivalMs();
  decided.clock = msg::clockState(condition_.clock);
  drafts.push_back(draft(decided, next));
  const bool release = decision.corridor == Corridor::kGreen && barrier_ != nullptr;
  std::string command_id;
  if (release) {
    command_id = newUuid();
    drafts.push_back(draft(msg::BarrierOpenRequested{{command_id, "green"}}, next));
  }
  // No decision, and no command, without its record.
  if (!commit(next, std::move(drafts))) return;
  log::info("passage decided", {{"lane", config_.id},
                                {"passage", passage_->id},
                                {"plate", passage_->plate_norm},
                                {"corridor", msg::toString(decision.corridor)}});
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
  next.state = msg::PassageState::kDeparted;
  std::vector<msg::EventDraft> drafts;
  drafts.push_back(
      draft(msg::PassageDeparted{released, next.corridor ? msg::toString(*next.corridor) : "",
                                 sinceArrivalMs()},
            next));
  std::string close_command;
  if (barrier_ != nullptr && (barrier_position_ == msg::BarrierPosition::kOpen ||
                              barrier_position_ == msg::BarrierPosition::kOpening)) {
    close_command = newUuid();
    drafts.push_back(draft(msg::BarrierCloseRequested{{close_command, "departed"}}, next));
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
  if (occupancy.phase == msg::OccupancyPhase::kStart) {
    return commitEvents(
        {draft(msg::RadiationOccupancyStarted{occupancy.device_id, occupancy.occupancy_id})});
  }
  const bool late = passage_->decided_ms != 0;
  if (Status s = commitEvents({draft(msg::radiationMeasured(occupancy, late))}, occupancy.evidence);
      !s) {
    return s;
  }
  // After the decision a result is recorded but changes nothing: the barrier has its answer.
  if (passage_->decided_ms == 0) radiation_ = occupancy;
  tryDecide(false);
  return Status::ok();
}

Status Lane::onXray(const msg::XrayResult& result) {
  const bool late = passage_ && passage_->decided_ms != 0;
  // A scan with no vehicle on the lane is still recorded, against the lane alone.
  if (Status s = commitEvents({draft(msg::xrayResultEvent(result, late))}, result.evidence); !s) {
    return s;
  }
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
  next.state = msg::PassageState::kReleased;
  if (!commit(next, {draft(msg::PassageReleased{next.corridor.value_or(msg::Corridor::kYellow),
                                                sinceArrivalMs()},
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
    if (!commitEvents({draft(msg::BarrierOpened{{status.command_id, status.device_id}})})) {
      return;
    }
    barrier_recorded_ = status.position;
    recordRelease();
  } else if (status.position == msg::BarrierPosition::kClosed) {
    // The barrier closing belongs to the lane: the passage it let through may be gone.
    if (!commitEvents(
            {draft(msg::BarrierClosed{{status.command_id, status.device_id}}, std::nullopt)})) {
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

LaneSnapshot Lane::snapshot() const {
  LaneSnapshot l;
  l.lane = config_.id;
  l.direction = config_.direction;
  l.devices = device_health_;
  l.barrier = barrier_position_;
  l.gross_kg = last_gross_kg_;
  l.counters = {store_errors_, held_reads_.size(), reads_dropped_, plate_conflicts_,
                declaration_queries_};
  if (passage_) {
    PassageSnapshot p;
    p.id = passage_->id;
    p.state = passage_->state;
    p.plate = passage_->plate_norm;
    p.corridor = passage_->corridor;
    p.declaration = passage_->declaration_id;
    p.gross_kg = passage_->gross_kg;
    p.arrived_ms = passage_->arrived_ms;
    for (const SeenRead& r : passage_reads_) {
      p.reads.push_back({r.plate_norm, r.plate_raw, r.confidence_pct, r.camera, r.event_id});
    }
    l.passage = std::move(p);
  }
  return l;
}

}  // namespace kordon::lane
