// SPDX-License-Identifier: Apache-2.0
#pragma once

// Command-line options, one parser for every program (kordond, kordon-central, kordon-lane,
// the simulators and tools). Options are declared with a help text and bound to the field they
// set; parse() applies them in order and names the first bad argument:
//
//   OptionParser options("kordon-sim-rpm", "a radiation portal monitor");
//   options.value("--listen", "HOST:PORT", "where the line stream is served", &o.listen);
//   options.number("--interval-ms", "N", "line period", 10, 60000, &o.interval_ms);
//   options.flag("--once", "exit after one scenario", &o.once);
//   if (Status s = options.parse(argc, argv); !s) { std::cerr << s.message() << options.usage(); }
//
// Every option but a flag takes its value as the next argument ("--port 8080"); "--port=8080"
// works too. --help is always known: parse() returns kHelp, and the caller prints usage().
// parse() may run twice over the same argv (read --config first, load the file, then let the
// command line win over it).

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "edge/base/status.hpp"

namespace kordon {

// A whole decimal integer in [min, max]; the error says what was expected ("expected an
// integer", "expected 10..60000"). Shared by the option parser and the simulators' knobs.
Result<std::int64_t> parseInteger(std::string_view text, std::int64_t min, std::int64_t max);

class OptionParser {
 public:
  // Returned (as an error) by parse() when --help was given.
  static constexpr std::string_view kHelp = "help requested";

  OptionParser(std::string program, std::string summary);

  // A boolean set to true by its presence.
  void flag(std::string name, std::string help, bool* out);
  void value(std::string name, std::string metavar, std::string help, std::string* out);
  // An integer in [min, max], into any integer field that holds that range.
  template <class Int>
  requires std::is_integral_v<Int>
  void number(std::string name, std::string metavar, std::string help, std::int64_t min,
              std::int64_t max, Int* out) {
    custom(std::move(name), std::move(metavar), std::move(help),
           [min, max, out](std::string_view v) {
             Result<std::int64_t> n = parseInteger(v, min, max);
             if (!n) return n.status().message();
             *out = static_cast<Int>(*n);
             return std::string();
           });
  }
  // One of `choices`.
  void choice(std::string name, std::string help, std::vector<std::string> choices,
              std::string* out);
  // Anything else: `apply` returns an error message, empty when the value was taken.
  void custom(std::string name, std::string metavar, std::string help,
              std::function<std::string(std::string_view)> apply);
  // Arguments that are not options ("kordon-anpr eval DIR"); without this they are errors.
  void positional(std::string metavar, std::string help, std::vector<std::string>* out);

  Status parse(int argc, const char* const* argv);
  Status parse(int argc, char** argv) { return parse(argc, const_cast<const char* const*>(argv)); }
  std::string usage() const;
  const std::string& program() const { return program_; }

 private:
  struct Option {
    std::string name;
    std::string metavar;  // empty: a flag
    std::string help;
    std::function<std::string(std::string_view)> apply;
  };
  const Option* find(std::string_view name) const;

  std::string program_;
  std::string summary_;
  std::vector<Option> options_;
  std::string positional_metavar_;
  std::string positional_help_;
  std::vector<std::string>* positional_ = nullptr;
};

}  // namespace kordon
