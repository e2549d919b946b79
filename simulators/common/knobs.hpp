// SPDX-License-Identifier: Apache-2.0
#pragma once

// A registry of a simulator's knobs: the inputs and faults a control request may set, each
// bound to the model's field. apply() sets the ones a request names from its query string
// ("POST /fault?loop_fault=1&delay_ms=750"), all or none: the first bad value is an error that
// names it and changes nothing. Knobs not named keep their value. json() reports them all.
//
//   Knobs faults;
//   faults.flag("loop_fault", &world.loop_fault);
//   faults.choice("kind", {"none", "silence", "garbage"}, &fault.kind);
//   faults.number("delay_ms", 0, 60000, &fault.delay_ms);
//   if (auto error = faults.apply(request)) return http::Response::json(400, ...);

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "edge/base/http.hpp"
#include "edge/base/options.hpp"

namespace kordon::sim {

class Knobs {
 public:
  // "1"/"true" or "0"/"false".
  void flag(std::string name, bool* field);
  template <class Int>
  requires std::is_integral_v<Int>
  void number(std::string name, std::int64_t min, std::int64_t max, Int* field) {
    knobs_.push_back({std::move(name),
                      [=](std::string_view v, bool commit) {
                        Result<std::int64_t> n = parseInteger(v, min, max);
                        if (!n) return n.status().message();
                        if (commit) *field = static_cast<Int>(*n);
                        return std::string();
                      },
                      [field] { return nlohmann::json(*field); }});
  }
  void choice(std::string name, std::vector<std::string> values, std::string* field);

  // Sets every knob the request's query names; an unknown parameter is an error too.
  std::optional<std::string> apply(const http::Request& request);
  nlohmann::json json() const;

 private:
  struct Knob {
    std::string name;
    // Checks `value`; with commit, also sets the field. Returns an error, empty when good.
    std::function<std::string(std::string_view value, bool commit)> set;
    std::function<nlohmann::json()> get;
  };
  std::vector<Knob> knobs_;
};

}  // namespace kordon::sim
