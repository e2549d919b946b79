// SPDX-License-Identifier: Apache-2.0
#include "simulators/common/knobs.hpp"

namespace kordon::sim {

void Knobs::flag(std::string name, bool* field) {
  knobs_.push_back({std::move(name),
                    [field](std::string_view v, bool commit) {
                      const bool on = v == "1" || v == "true";
                      if (!on && v != "0" && v != "false") return std::string("expected 0 or 1");
                      if (commit) *field = on;
                      return std::string();
                    },
                    [field] { return nlohmann::json(*field); }});
}

void Knobs::choice(std::string name, std::vector<std::string> values, std::string* field) {
  knobs_.push_back({std::move(name),
                    [values = std::move(values), field](std::string_view v, bool commit) {
                      std::string all;
                      for (const std::string& value : values) {
                        if (v == value) {
                          if (commit) *field = value;
                          return std::string();
                        }
                        all += (all.empty() ? "" : ", ") + value;
                      }
                      return "expected one of " + all;
                    },
                    [field] { return nlohmann::json(*field); }});
}

std::optional<std::string> Knobs::apply(const http::Request& request) {
  auto find = [this](const std::string& name) -> Knob* {
    for (Knob& knob : knobs_) {
      if (knob.name == name) return &knob;
    }
    return nullptr;
  };
  for (const auto& [name, value] : request.query) {
    const Knob* knob = find(name);
    if (!knob) return "unknown parameter " + name;
    if (std::string error = knob->set(value, false); !error.empty()) {
      return name + "=" + value + ": " + error;
    }
  }
  for (const auto& [name, value] : request.query) find(name)->set(value, true);
  return std::nullopt;
}

nlohmann::json Knobs::json() const {
  nlohmann::json out = nlohmann::json::object();
  for (const Knob& knob : knobs_) out[knob.name] = knob.get();
  return out;
}

}  // namespace kordon::sim
