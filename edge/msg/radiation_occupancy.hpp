// SPDX-License-Identifier: Apache-2.0
#pragma once

// What a radiation portal monitor reports for one vehicle (one occupancy): a start notice when
// the vehicle enters the portal, and the complete record when it leaves. Counts are gross
// counts summed over all panels for the occupancy; background is in counts per second.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "edge/base/clock.hpp"
#include "edge/msg/device_health.hpp"
#include "edge/msg/plate_read.hpp"

namespace kordon::msg {

enum class RadiationAlarm { kNone, kGamma, kNeutron, kBoth };

constexpr std::string_view toString(RadiationAlarm a) {
  switch (a) {
    case RadiationAlarm::kNone:
      return "none";
    case RadiationAlarm::kGamma:
      return "gamma";
    case RadiationAlarm::kNeutron:
      return "neutron";
    case RadiationAlarm::kBoth:
      return "both";
  }
  return "none";
}

enum class OccupancyPhase { kStart, kEnd };

struct RadiationFault {
  std::string code;            // "overspeed", "gamma_background_high", "tamper", N42 FaultCodeValue
  std::string description;     // as the device words it
  std::string severity;        // "warning" | "error" | "" (unknown)
  template <class V, class S>  // as radiation.measured carries it (event_fields.hpp)
  static void fields(V& v, S& s) {
    v.req("code", s.code);
    v.req("description", s.description);
    v.req("severity", s.severity);
  }
};

struct RadiationOccupancy {
  std::string device_id;
  std::string lane;
  WallMs time_ms = 0;  // start or end time, by phase
  DeviceHealth health = DeviceHealth::kGood;
  OccupancyPhase phase = OccupancyPhase::kEnd;
  std::string occupancy_id;  // device occupancy counter, or the N42 document UUID
  // Valid in kEnd:
  RadiationAlarm alarm = RadiationAlarm::kNone;
  std::int64_t gamma_counts = 0;
  std::int64_t neutron_counts = 0;
  double gamma_background_cps = 0;
  double neutron_background_cps = 0;
  double duration_s = 0;
  double speed_kmh = 0;  // 0 when not reported
  std::vector<RadiationFault> faults;
  std::vector<Evidence> evidence;  // the N42 document, when there is one
};

}  // namespace kordon::msg
