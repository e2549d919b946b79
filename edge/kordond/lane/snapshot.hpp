// SPDX-License-Identifier: Apache-2.0
#pragma once

// The read model of a lane: what a reader of lane state (/healthz, the kiosk) may know, as a
// value copied out of the lane on the control loop. Readers never touch a Lane's internals.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edge/base/clock.hpp"
#include "edge/msg/barrier_status.hpp"
#include "edge/msg/corridor.hpp"
#include "edge/msg/device_health.hpp"

namespace kordon::lane {

// One distinct plate read for the passage (the first identifies it; more are a conflict).
struct ReadSnapshot {
  std::string plate;  // normalised
  std::string raw;
  int confidence_pct = 0;
  std::string camera;
  std::string read_event;  // the plate.read event's id
};

struct PassageSnapshot {
  std::string id;
  msg::PassageState state = msg::PassageState::kOpen;
  std::string plate;  // "" until identified
  std::optional<msg::Corridor> corridor;
  std::string declaration;  // "" when none matched
  std::optional<std::int64_t> gross_kg;
  WallMs arrived_ms = 0;
  std::vector<ReadSnapshot> reads;
};

struct LaneCounters {
  std::uint64_t store_errors = 0;
  std::uint64_t held_reads = 0;  // waiting for a vehicle now
  std::uint64_t reads_dropped = 0;
  std::uint64_t plate_conflicts = 0;
  std::uint64_t declaration_queries = 0;
};

struct LaneSnapshot {
  std::string lane;
  std::string direction;
  std::map<std::string, msg::DeviceHealth> devices;  // by device id, as journalled
  msg::BarrierPosition barrier = msg::BarrierPosition::kUnknown;
  std::int64_t gross_kg = 0;  // the weighbridge's last reading
  LaneCounters counters;
  std::optional<PassageSnapshot> passage;
};

// The lane as kordond's /healthz shows it, under "lanes".
nlohmann::json toJson(const LaneSnapshot& lane);

}  // namespace kordon::lane
