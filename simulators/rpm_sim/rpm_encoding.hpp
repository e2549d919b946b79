// SPDX-License-Identifier: Apache-2.0
#pragma once

// What kordon-sim-rpm sends, encoded here from the published formats and never through the
// driver's parsers (so a symmetric bug cannot hide): the VM-250 CSV lines (device-protocols.md
// §2.2) and one ANSI N42.42-2012 document per occupancy (§2.1). rpm_encoding_test pins the
// bytes, and reads them back with the production parsers.

#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "edge/base/clock.hpp"

namespace kordon::sim {

inline constexpr int kPanels = 4;
using Panels = std::array<std::int64_t, kPanels>;

struct Sample {  // one 200 ms tick of an occupancy, exactly as sent on the stream
  Panels gamma{};
  std::optional<Panels> neutron;
  WallMs start_ms = 0;
};
struct OccupancyPlan {
  std::int64_t id = 0;
  int ticks = 15;
  bool gamma_alarm = false;
  bool neutron_alarm = false;
  double speed_kmh = 8;
};

// "GB,262,281,255,297\r\n": a tag and one count per panel.
std::string panelLine(std::string_view tag, const Panels& v);
// `value` with `decimals` digits after the point ("8.000").
std::string fixed(double value, int decimals);
// A version-4 UUID drawn from `rng` (seeded: the simulator's documents are reproducible).
std::string uuidFrom(std::mt19937& rng);
// The N42.42-2012 document of one occupancy: the background, each 200 ms sample as sent, and
// the alarms.
std::string n42Document(const OccupancyPlan& plan, const std::vector<Sample>& samples,
                        const Panels& gamma_bg, const Panels& neutron_bg, WallMs bg_start_ms,
                        const std::string& uuid);

}  // namespace kordon::sim
