// SPDX-License-Identifier: Apache-2.0
#pragma once

// One traffic lane: assembles a passage from device readings, matches it to a declaration,
// decides the corridor and asks the barrier to open for green.
//
//   idle --(weight >= occupied threshold, or a radiation occupancy: a vehicle is there)-->
//        open (passage.arrived)
//   open: plate.read -> passage.identified ; stable weight -> weight.measured
//   open --(plate and weight known, or identify timeout)--> decided (passage.decided)
//        green: barrier.open_requested ... barrier reports open -> barrier.opened, passage.released
//   any --(stable weight below threshold)--> departed (passage.departed; barrier closes)
// passage.decided, .released and .departed carry since_arrival_ms, measured on the monotonic
// clock; passage.decided also carries the clock's sync state.
//
// A plate read is evidence about a vehicle, never a vehicle: a read that arrives while no vehicle
// is on the lane is journalled (plate.read, held) and held for plate_hold_ms; a vehicle that
// arrives meanwhile takes it, otherwise it is dropped (plate.dropped). A read of a different
// plate for a passage that has one is a conflict, not a contest of confidences: the passage goes
// yellow with PLATE-CONFLICT and every plate read is in the decision.
//
// Every transition is one store transaction holding the passage row and its events, and the lane
// keeps a new state only once it is committed: when a commit fails, the change did not happen
// (the reading is refused, and a device that waits for an answer is told so).
// Thread-safety: everything runs on the control loop thread.

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "drivers/barrier/barrier.hpp"
#include "edge/base/clock.hpp"
#include "edge/kordond/lane/decision.hpp"
#include "edge/kordond/lane/snapshot.hpp"
#include "edge/msg/barrier_status.hpp"
#include "edge/msg/device_status.hpp"
#include "edge/msg/plate_read.hpp"
#include "edge/msg/radiation_occupancy.hpp"
#include "edge/msg/weight_reading.hpp"
#include "edge/msg/xray_result.hpp"
#include "edge/store/store.hpp"

namespace kordon::lane {

struct LaneConfig {
  std::string id = "L1";
  std::string direction = "entry";  // "entry" | "exit"
  std::int64_t occupied_threshold_kg = 500;
  int identify_timeout_ms = 20000;  // decide without the missing reading after this long
  // A plate read with no vehicle on the lane waits this long for one, then is dropped.
  int plate_hold_ms = 15000;
  // A lane with a radiation portal screens every vehicle: no decision before its occupancy ends.
  bool radiation_required = false;
  // X-ray: "never" (no scanner), "when_required" (the declaration's controls include "xray"),
  // or "always".
  std::string xray_policy = "never";
};

// At most this many reads are held at once, oldest dropped first (a camera pushing reads with
// nothing on the lane must not grow memory).
inline constexpr std::size_t kMaxHeldReads = 8;

class Lane {
 public:
  // `policies` and `condition` belong to the caller, who updates them as central's commands
  // and the disk change; the next decision reads them as they are then.
  Lane(LaneConfig config, store::Store& store, drivers::Barrier* barrier, const Clock& clock,
       const Policies& policies, const PostCondition& condition);

  void onWeight(const msg::WeightReading& reading);
  // Ok once the read is journalled; an error (the store failed) means it was not recorded and
  // the camera must be told so.
  Status onPlate(const msg::PlateRead& read);
  void onBarrier(const msg::BarrierStatus& status);
  // Ok once the occupancy (or scan) is journalled, as for onPlate.
  Status onRadiation(const msg::RadiationOccupancy& occupancy);
  Status onXray(const msg::XrayResult& result);
  // Health of any device on the lane; journalled as device.health when it changes.
  void onDeviceStatus(const msg::DeviceStatus& status);
  void tick();  // timeouts; call about once a second

  const LaneConfig& config() const { return config_; }
  // What readers of lane state see (snapshot.hpp); a copy, taken on the control loop.
  LaneSnapshot snapshot() const;

 private:
  // A plate read of the open passage, or held for the next vehicle.
  struct SeenRead {
    std::string plate_norm;
    std::string plate_raw;
    int confidence_pct = 0;
    std::string camera;
    std::string event_id;  // the plate.read event that journalled it
    std::chrono::steady_clock::time_point received{};
  };

  // Opens a passage (and gives it the reads held for it) in one transaction; false when the
  // store failed, and then there is no passage.
  bool openPassage(const char* trigger);
  Match lookup(const std::string& plate_norm);
  bool xrayRequired(const Match& match) const;
  void recordHealth(const std::string& device, const std::string& device_class,
                    msg::DeviceHealth health, const std::string& reason);
  // Identifies `next` with `read`: plate, lookup, passage.identified.
  void identify(store::PassageRecord& next, const SeenRead& read, const char* source,
                std::vector<msg::EventDraft>& drafts);
  void tryDecide(bool timed_out);
  void recordRelease();
  void recordBarrier();
  void depart();
  void dropExpiredReads();
  // Saves `next` as the passage (nullopt: none) and emits the drafts in one transaction; the
  // lane takes `next` as its passage only when that committed. On failure it counts the error,
  // logs it and keeps its state (the record is what failed, not the lane).
  Status commit(std::optional<store::PassageRecord> next, std::vector<msg::EventDraft> drafts,
                const std::vector<msg::Evidence>& evidence = {});
  Status commitEvents(std::vector<msg::EventDraft> drafts,
                      const std::vector<msg::Evidence>& evidence = {}) {
    return commit(passage_, std::move(drafts), evidence);
  }
  // The events of one commit; `emitted` (the envelopes) when the caller needs their ids.
  Status commitImpl(const std::optional<store::PassageRecord>& next,
                    std::vector<msg::EventDraft> drafts, const std::vector<msg::Evidence>& evidence,
                    std::vector<msg::Event>* emitted);
  // An event of the lane with a typed payload (edge/msg/event_types.hpp), for `passage`
  // (nullopt: the lane's own, such as a device's health).
  template <class Payload>
  msg::EventDraft draft(const Payload& payload,
                        const std::optional<store::PassageRecord>& passage) const;
  template <class Payload>
  msg::EventDraft draft(const Payload& payload) const {
    return draft(payload, passage_);
  }
  // How long the open passage has been on the lane, on the monotonic clock: milestones carry it
  // so release times stay right when the wall clock is stepped.
  std::int64_t sinceArrivalMs() const;

  LaneConfig config_;
  store::Store& store_;
  drivers::Barrier* barrier_;
  const Clock& clock_;
  const Policies& policies_;
  const PostCondition& condition_;

  std::optional<store::PassageRecord> passage_;
  std::chrono::steady_clock::time_point passage_opened_at_{};
  std::vector<SeenRead> passage_reads_;  // distinct plates read for the open passage
  std::deque<SeenRead> held_reads_;      // reads waiting for a vehicle, oldest first
  std::string pending_open_command_;
  std::string opened_command_;  // the command the barrier last reported open for
  std::string pending_close_command_;
  std::map<std::string, msg::DeviceHealth> device_health_;  // by device id, as journalled
  // Screening results of the open passage (journalled as events, kept here for the decision).
  std::optional<msg::RadiationOccupancy> radiation_;
  std::optional<msg::XrayResult> xray_;
  msg::BarrierPosition barrier_position_ = msg::BarrierPosition::kUnknown;  // as last reported
  msg::BarrierPosition barrier_recorded_ = msg::BarrierPosition::kUnknown;  // as journalled
  msg::BarrierStatus last_barrier_status_;
  std::int64_t last_gross_kg_ = 0;
  // The declarations last looked up, for one query per plate read (lookup()).
  struct LookedUp {
    std::string plate_norm;
    std::uint64_t declarations_version = 0;
    std::vector<msg::Declaration> candidates;
  };
  std::optional<LookedUp> looked_up_;
  std::uint64_t declaration_queries_ = 0;
  std::uint64_t store_errors_ = 0;
  std::uint64_t reads_dropped_ = 0;
  std::uint64_t plate_conflicts_ = 0;
};

}  // namespace kordon::lane
