// SPDX-License-Identifier: Apache-2.0
#include "drivers/radiation_portal/vm250_parser.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <utility>

namespace kordon::drivers {
namespace {

constexpr std::size_t kPanels = 4;
constexpr std::size_t kMaxFields = 32;

std::vector<std::string_view> splitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t pos = 0;
  for (;;) {
    const auto comma = line.find(',', pos);
    fields.push_back(line.substr(pos, comma == std::string_view::npos ? line.npos : comma - pos));
    if (comma == std::string_view::npos || fields.size() > kMaxFields) break;
    pos = comma + 1;
  }
  return fields;
}

std::string_view trimSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::optional<std::int64_t> parseInt(std::string_view s) {
  s = trimSpaces(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> parseNumber(std::string_view s) {
  s = trimSpaces(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

// Printable form of untrusted text for error messages: at most 40 bytes, non-printables as '?'.
std::string printable(std::string_view s) {
  std::string out;
  for (const char c : s.substr(0, 40)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (s.size() > 40) out += "...";
  return out;
}

}  // namespace

void Vm250Parser::fail(std::string message) {
  ++errors_;
  last_error_ = std::move(message);
}

std::vector<std::string> Vm250Parser::activeFaults() const {
  std::vector<std::string> codes;
  if (gamma_high_) codes.emplace_back("gamma_background_high");
  if (gamma_low_) codes.emplace_back("gamma_background_low");
  if (neutron_high_) codes.emplace_back("neutron_background_high");
  if (tamper_) codes.emplace_back("tamper");
  return codes;
}

void Vm250Parser::addFault(const std::string& code, const std::string& description,
                           const std::string& severity) {
  for (const auto& f : current_.faults) {
    if (f.code == code) return;
  }
  current_.faults.push_back(msg::RadiationFault{code, description, severity});
}

void Vm250Parser::addActiveFaults() {
  if (!occupied_) return;
  if (gamma_high_) addFault("gamma_background_high", "gamma background high (GH)", "warning");
  if (gamma_low_) addFault("gamma_background_low", "gamma background low (GL)", "warning");
  if (neutron_high_) addFault("neutron_background_high", "neutron background high (NH)", "warning");
  if (tamper_) addFault("tamper", "tamper (TT)", "error");
}

Vm250Output Vm250Parser::startOccupancy() {
  occupied_ = true;
  current_ = msg::RadiationOccupancy{};
  current_.gamma_background_cps = gamma_bg_cps_;
  current_.neutron_background_cps = neutron_bg_cps_;
  errors_at_start_ = errors_;
  gamma_samples_ = 0;
  window_sum_ = 0;
  window_samples_ = 0;
  gamma_alarm_ = false;
  neutron_alarm_ = false;
  if (!seen_background_) {
    addFault("partial", "no background before the occupancy: stream joined mid-occupancy",
             "warning");
  }
  addActiveFaults();
  Vm250Output out;
  out.phase = msg::OccupancyPhase::kStart;
  out.occupancy = current_;
  out.occupancy.phase = msg::OccupancyPhase::kStart;
  return out;
}

std::vector<Vm250Output> Vm250Parser::feed(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  std::vector<Vm250Output> outputs;
  if (trimSpaces(line).empty()) return outputs;
  ++lines_;

  const auto fields = splitFields(line);
  const std::string_view tag = trimSpaces(fields[0]);
  const std::size_t values = fields.size() - 1;

  // Lines with 4 integer panel values.
  const auto panels = [&](std::vector<std::int64_t>* out) {
    if (values != kPanels) {
      fail(std::string(tag) + ": want 4 values, got " + std::to_string(values));
      return false;
    }
    out->clear();
    for (std::size_t i = 1; i <= kPanels; ++i) {
      const auto v = parseInt(fields[i]);
      if (!v || *v < 0) {
        fail(std::string(tag) + ": value " + std::to_string(i) + " '" + printable(fields[i]) +
             "' is not a non-negative integer");
        return false;
      }
      out->push_back(*v);
    }
    return true;
  };
  const auto sum = [](const std::vector<std::int64_t>& v) {
    std::int64_t s = 0;
    for (const auto x : v) s += x;
    return s;
  };

  std::vector<std::int64_t> v;
  if (tag == "GB" || tag == "NB") {
    if (!panels(&v)) return outputs;
    seen_background_ = true;
    if (tag == "GB") {
      gamma_bg_cps_ = static_cast<double>(sum(v));
      have_gamma_bg_ = true;
      gamma_high_ = gamma_low_ = false;
      identical_gb_run_ = (v == last_gb_) ? identical_gb_run_ + 1 : 1;
      last_gb_ = v;
    } else {
      neutron_bg_cps_ = static_cast<double>(sum(v));
      neutron_high_ = false;
    }
    return outputs;
  }
  if (tag == "GH" || tag == "GL" || tag == "NH") {
    if (!panels(&v)) return outputs;
    seen_background_ = true;
    if (tag == "GH") gamma_high_ = true;
    if (tag == "GL") gamma_low_ = true;
    if (tag == "NH") neutron_high_ = true;
    addActiveFaults();
    return outputs;
  }
  if (tag == "GS" || tag == "GA" || tag == "NS" || tag == "NA") {
    if (!panels(&v)) return outputs;
    if (!occupied_) outputs.push_back(startOccupancy());
    const std::int64_t total = sum(v);
    if (tag[0] == 'G') {
      current_.gamma_counts += total;
      ++gamma_samples_;
      if (tag == "GA") gamma_alarm_ = true;
      window_sum_ += total;
      if (++window_samples_ == kGammaSamplesPerSecond) {
        const double b = gamma_bg_cps_;
        if (alarm_sigma_ > 0 && have_gamma_bg_ && b > 0 &&
            static_cast<double>(window_sum_) > b + alarm_sigma_ * std::sqrt(b)) {
          gamma_alarm_ = true;
        }
        window_sum_ = 0;
        window_samples_ = 0;
      }
    } else {
      current_.neutron_counts += total;
      if (tag == "NA") neutron_alarm_ = true;
    }
    return outputs;
  }
  if (tag == "SP") {
    if (values < 3) {
      fail("SP: want at least 3 values, got " + std::to_string(values));
      return outputs;
    }
    const auto kmh = parseNumber(fields[3]);
    if (!kmh || *kmh < 0) {
      fail("SP: km/h '" + printable(fields[3]) + "' is not a number");
      return outputs;
    }
    if (occupied_) current_.speed_kmh = *kmh;
    return outputs;
  }
  if (tag == "GX") {
    if (values < 2) {
      fail("GX: want at least 2 values, got " + std::to_string(values));
      return outputs;
    }
    const auto counter = parseInt(fields[1]);
    if (!counter) {
      fail("GX: occupancy counter '" + printable(fields[1]) + "' is not an integer");
      return outputs;
    }
    if (!occupied_) return outputs;  // an end without a start: nothing to report
    current_.occupancy_id = std::to_string(*counter);
    current_.duration_s = static_cast<double>(gamma_samples_) * kGammaSampleSeconds;
    current_.alarm = gamma_alarm_ && neutron_alarm_ ? msg::RadiationAlarm::kBoth
                     : gamma_alarm_                 ? msg::RadiationAlarm::kGamma
                     : neutron_alarm_               ? msg::RadiationAlarm::kNeutron
                                                    : msg::RadiationAlarm::kNone;
    if (errors_ > errors_at_start_) {
      addFault("line_errors",
               std::to_string(errors_ - errors_at_start_) + " malformed lines during the occupancy",
               "warning");
    }
    current_.phase = msg::OccupancyPhase::kEnd;
    outputs.push_back(Vm250Output{msg::OccupancyPhase::kEnd, std::move(current_)});
    current_ = msg::RadiationOccupancy{};
    occupied_ = false;
    return outputs;
  }
  if (tag == "TT" || tag == "TC") {
    tamper_ = tag == "TT";
    addActiveFaults();
    return outputs;
  }
  if (tag == "SG1" || tag == "SG2" || tag == "SG3" || tag == "SN1" || tag == "SN2") {
    std::vector<std::string> kept;
    for (std::size_t i = 1; i < fields.size(); ++i) kept.push_back(printable(fields[i]));
    setup_[std::string(tag)] = std::move(kept);
    return outputs;
  }
  fail("unknown tag '" + printable(tag) + "'");
  return outputs;
}

std::optional<Vm250Output> Vm250Parser::truncate() {
  std::optional<Vm250Output> out;
  if (occupied_) {
    current_.duration_s = static_cast<double>(gamma_samples_) * kGammaSampleSeconds;
    current_.alarm = gamma_alarm_ && neutron_alarm_ ? msg::RadiationAlarm::kBoth
                     : gamma_alarm_                 ? msg::RadiationAlarm::kGamma
                     : neutron_alarm_               ? msg::RadiationAlarm::kNeutron
                                                    : msg::RadiationAlarm::kNone;
    addFault("truncated", "stream lost before the end of the occupancy (no GX)", "error");
    current_.phase = msg::OccupancyPhase::kEnd;
    out = Vm250Output{msg::OccupancyPhase::kEnd, std::move(current_)};
  }
  const std::uint64_t lines = lines_, errors = errors_;
  const std::string last_error = last_error_;
  *this = Vm250Parser(alarm_sigma_);
  lines_ = lines;
  errors_ = errors;
  last_error_ = last_error;
  return out;
}

nlohmann::json occupancyToJson(const msg::RadiationOccupancy& o) {
  nlohmann::json faults = nlohmann::json::array();
  for (const auto& f : o.faults) {
    faults.push_back({{"code", f.code}, {"description", f.description}, {"severity", f.severity}});
  }
  return {{"phase", o.phase == msg::OccupancyPhase::kStart ? "start" : "end"},
          {"occupancy_id", o.occupancy_id},
          {"alarm", toString(o.alarm)},
          {"gamma_counts", o.gamma_counts},
          {"neutron_counts", o.neutron_counts},
          {"gamma_background_cps", o.gamma_background_cps},
          {"neutron_background_cps", o.neutron_background_cps},
          {"duration_s", o.duration_s},
          {"speed_kmh", o.speed_kmh},
          {"faults", faults}};
}

nlohmann::json inspectVm250(std::string_view whole_capture) {
  Vm250Parser parser;
  nlohmann::json errors = nlohmann::json::array();
  nlohmann::json occupancies = nlohmann::json::array();
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < whole_capture.size()) {
    auto end = whole_capture.find('\n', pos);
    if (end == std::string_view::npos) end = whole_capture.size();
    const std::string_view line = whole_capture.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    const auto before = parser.errors();
    for (auto& out : parser.feed(line)) {
      if (out.phase == msg::OccupancyPhase::kEnd) {
        auto j = occupancyToJson(out.occupancy);
        j["end_line"] = line_no;
        occupancies.push_back(std::move(j));
      }
    }
    if (parser.errors() != before)
      errors.push_back({{"line", line_no}, {"error", parser.lastError()}});
  }
  const double gamma_bg = parser.gammaBackgroundCps();
  const double neutron_bg = parser.neutronBackgroundCps();
  const auto setup = parser.setup();
  if (auto last = parser.truncate()) occupancies.push_back(occupancyToJson(last->occupancy));
  return {{"format", "VM-250 line stream"},       {"lines", line_no},
          {"error_count", errors.size()},         {"errors", errors},
          {"occupancies", occupancies},           {"gamma_background_cps", gamma_bg},
          {"neutron_background_cps", neutron_bg}, {"setup", setup}};
}

}  // namespace kordon::drivers
