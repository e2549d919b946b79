// SPDX-License-Identifier: Apache-2.0
#include "edge/kordond/lane/snapshot.hpp"

namespace kordon::lane {

nlohmann::json toJson(const LaneSnapshot& l) {
  nlohmann::json devices = nlohmann::json::object();
  for (const auto& [id, health] : l.devices) devices[id] = std::string(msg::toString(health));
  nlohmann::json j = {{"lane", l.lane},
                      {"direction", l.direction},
                      {"devices", devices},
                      {"barrier", std::string(msg::toString(l.barrier))},
                      {"gross_kg", l.gross_kg},
                      {"store_errors", l.counters.store_errors},
                      {"held_reads", l.counters.held_reads},
                      {"reads_dropped", l.counters.reads_dropped},
                      {"plate_conflicts", l.counters.plate_conflicts},
                      {"declaration_queries", l.counters.declaration_queries}};
  if (l.passage) {
    const PassageSnapshot& p = *l.passage;
    nlohmann::json reads = nlohmann::json::array();
    for (const ReadSnapshot& r : p.reads) {
      reads.push_back({{"plate", r.plate},
                       {"raw", r.raw},
                       {"confidence_pct", r.confidence_pct},
                       {"camera", r.camera},
                       {"read_event", r.read_event}});
    }
    j["passage"] = {{"id", p.id},
                    {"state", msg::toString(p.state)},
                    {"plate", p.plate},
                    {"corridor", p.corridor ? msg::toString(*p.corridor) : ""},
                    {"declaration", p.declaration},
                    {"reads", reads}};
  }
  return j;
}

}  // namespace kordon::lane
