// SPDX-License-Identifier: Apache-2.0
#pragma once

// One traffic lane: assembles a passage from device readings, matches it to a declaration,
// decides the corridor and asks the barrier to open for green.
//
//   idle --(weight >= occupied threshold, or a plate read)--> open (passage.arrived)
//   open: plate.read -> passage.identified ; stable weight -> weight.measured
//   open --(plate and weight known, or identify timeout)--> decided (passage.decided)
//        green: barrier.open_requested ... barrier reports open -> barrier.opened, passage.released
//   any --(stable weight below threshold)--> departed (passage.departed; barrier closes)
//
// Every transition is one store transaction holding the passage row and its events.
// Thread-safety: everything runs on the control loop thread.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "drivers/barrier/barrier.hpp"
#include "edge/base/clock.hpp"
#include "edge/lane/decision.hpp"
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
  // A lane with a radiation portal screens every vehicle: no decision before its occupancy ends.
  bool radiation_required = false;
  // X-ray: "never" (no scanner), "when_required" (the declaration's controls include "xray"),
  // or "always".
  std::string xray_policy = "never";
};

class Lane {
 public:
  using EventsCommitted = std::function<void(const std::vector<msg::Event>&)>;

  // `policies` and `condition` belong to the caller, who updates them as central's commands
  // and the disk change; the next decision reads them as they are then.
  Lane(LaneConfig config, store::Store& store, drivers::Barrier* barrier, const Clock& clock,
       const Policies& policies, const PostCondition& condition, EventsCommitted on_events);

  void onWeight(const msg::WeightReading& reading);
  void onPlate(const msg::PlateRead& read);
  void onBarrier(const msg::BarrierStatus& status);
  void onRadiation(const msg::RadiationOccupancy& occupancy);
  void onXray(const msg::XrayResult& result);
  // Health of any device on the lane; journalled as device.health when it changes.
  void onDeviceStatus(const msg::DeviceStatus& status);
  void tick();  // timeouts; call about once a second

  const LaneConfig& config() const { return config_; }
  nlohmann::json statusJson() const;
  nlohmann::json devicesJson() const;
  std::uint64_t storeErrors() const { return store_errors_; }

 private:
  void openPassage(const char* trigger);
  Match lookup(const std::string& plate_norm);
  bool xrayRequired(const Match& match) const;
  void recordHealth(const std::string& device, const std::string& device_class,
                    msg::DeviceHealth health, const std::string& reason);
  void tryDecide(bool timed_out);
  void depart();
  // Saves the passage and emits the drafts in one transaction; on failure the lane keeps its
  // in-memory state, counts the error and logs it (the record is what failed, not the lane).
  bool commit(std::vector<msg::EventDraft> drafts, const std::vector<msg::Evidence>& evidence = {});
  msg::EventDraft draft(std::string type, nlohmann::json payload) const;

  LaneConfig config_;
  store::Store& store_;
  drivers::Barrier* barrier_;
  const Clock& clock_;
  const Policies& policies_;
  const PostCondition& condition_;
  EventsCommitted on_events_;

  std::optional<store::PassageRecord> passage_;
  std::chrono::steady_clock::time_point passage_opened_at_{};
  std::string pending_open_command_;
  std::string pending_close_command_;
  std::map<std::string, msg::DeviceHealth> device_health_;  // by device id
  // Screening results of the open passage (journalled as events, kept here for the decision).
  std::optional<msg::RadiationOccupancy> radiation_;
  std::optional<msg::XrayResult> xray_;
  msg::BarrierPosition barrier_position_ = msg::BarrierPosition::kUnknown;
  std::int64_t last_gross_kg_ = 0;
  std::uint64_t store_errors_ = 0;
};

}  // namespace kordon::lane
