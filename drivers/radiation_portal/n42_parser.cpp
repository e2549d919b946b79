// SPDX-License-Identifier: Apache-2.0
#include "drivers/radiation_portal/n42_parser.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include <pugixml.hpp>

#include "drivers/radiation_portal/vm250_parser.hpp"

namespace kordon::drivers {
namespace {

std::string_view localName(const pugi::xml_node& node) {
  std::string_view name = node.name();
  const auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node child(const pugi::xml_node& node, std::string_view name) {
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && localName(c) == name) return c;
  }
  return {};
}

template <typename F>
void forEachChild(const pugi::xml_node& node, std::string_view name, F&& f) {
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element && localName(c) == name) f(c);
  }
}

std::string_view attr(const pugi::xml_node& node, std::string_view name) {
  for (pugi::xml_attribute a = node.first_attribute(); a; a = a.next_attribute()) {
    std::string_view n = a.name();
    const auto colon = n.find(':');
    if (colon != std::string_view::npos) n = n.substr(colon + 1);
    if (n == name) return a.value();
  }
  return {};
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string text(const pugi::xml_node& node, std::string_view name) {
  return std::string(trim(child(node, name).text().get()));
}

bool parseDouble(std::string_view s, double* out) {
  s = trim(s);
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size() && std::isfinite(*out);
}

// Whitespace-separated list of numbers (xsd list of doubles: counts may be written "5.0").
bool parseNumberList(std::string_view s, std::vector<double>* out) {
  out->clear();
  std::size_t pos = 0;
  while (pos < s.size()) {
    while (pos < s.size() && std::isspace(static_cast<unsigned char>(s[pos]))) ++pos;
    if (pos >= s.size()) break;
    std::size_t end = pos;
    while (end < s.size() && !std::isspace(static_cast<unsigned char>(s[end]))) ++end;
    double v = 0;
    if (!parseDouble(s.substr(pos, end - pos), &v)) return false;
    out->push_back(v);
    pos = end;
  }
  return true;
}

std::optional<bool> parseBool(std::string_view s) {
  s = trim(s);
  if (s == "1" || s == "true") return true;
  if (s == "0" || s == "false") return false;
  return std::nullopt;
}

N42DetectorKind detectorKind(std::string_view category) {
  if (category == "Gamma") return N42DetectorKind::kGamma;
  if (category == "Neutron") return N42DetectorKind::kNeutron;
  return N42DetectorKind::kOther;
}

std::string_view kindName(N42DetectorKind kind) {
  switch (kind) {
    case N42DetectorKind::kGamma:
      return "gamma";
    case N42DetectorKind::kNeutron:
      return "neutron";
    case N42DetectorKind::kOther:
      return "other";
  }
  return "other";
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string snakeCase(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

// Counts of one GrossCounts element, by the rule in the header.
Result<std::int64_t> grossCount(const std::vector<double>& values,
                                const std::vector<double>* window_widths) {
  double count = 0;
  if (window_widths != nullptr && window_widths->size() == values.size() && !values.empty()) {
    std::size_t widest = 0;
    for (std::size_t i = 1; i < values.size(); ++i) {
      if ((*window_widths)[i] > (*window_widths)[widest]) widest = i;
    }
    count = values[widest];
  } else {
    for (const double v : values) count += v;
  }
  if (count < 0 || count > 9.0e15) return Status::error("count out of range");
  return static_cast<std::int64_t>(std::llround(count));
}

}  // namespace

bool parseIsoDuration(std::string_view text, double* seconds) {
  text = trim(text);
  if (text.size() < 3 || text.front() != 'P') return false;
  text.remove_prefix(1);
  double total = 0;
  bool in_time = false;
  bool any = false;
  while (!text.empty()) {
    if (text.front() == 'T') {
      if (in_time) return false;
      in_time = true;
      text.remove_prefix(1);
      continue;
    }
    std::size_t n = 0;
    while (n < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[n])) || text[n] == '.')) {
      ++n;
    }
    if (n == 0 || n >= text.size()) return false;
    double value = 0;
    if (!parseDouble(text.substr(0, n), &value)) return false;
    const char unit = text[n];
    if (!in_time && unit == 'D') {
      total += value * 86400;
    } else if (in_time && unit == 'H') {
      total += value * 3600;
    } else if (in_time && unit == 'M') {
      total += value * 60;
    } else if (in_time && unit == 'S') {
      total += value;
    } else {
      return false;
    }
    any = true;
    text.remove_prefix(n + 1);
  }
  if (!any) return false;
  *seconds = total;
  return true;
}

Result<N42Occupancy> parseN42(std::string_view xml) {
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed = doc.load_buffer(xml.data(), xml.size());
  if (!parsed) {
    return Status::error(std::string("n42: not well-formed XML: ") + parsed.description() +
                         " at offset " + std::to_string(parsed.offset));
  }
  const pugi::xml_node root = doc.document_element();
  if (localName(root) == "N42InstrumentData") {
    return Status::error("n42: N42.42-2006 document (N42InstrumentData) is not supported");
  }
  if (localName(root) != "RadInstrumentData") {
    return Status::error("n42: root element is '" + std::string(localName(root)) +
                         "', want RadInstrumentData");
  }

  N42Occupancy out;
  out.doc_uuid = std::string(trim(attr(root, "n42DocUUID")));
  if (const auto info = child(root, "RadInstrumentInformation")) {
    out.instrument_id = text(info, "RadInstrumentIdentifier");
    if (out.instrument_id.empty()) out.instrument_id = std::string(attr(info, "id"));
    out.model = text(info, "RadInstrumentModelName");
    out.class_code = text(info, "RadInstrumentClassCode");
  }

  std::map<std::string, N42DetectorKind, std::less<>> detectors;
  forEachChild(root, "RadDetectorInformation", [&](const pugi::xml_node& d) {
    detectors[std::string(attr(d, "id"))] = detectorKind(text(d, "RadDetectorCategoryCode"));
  });

  std::map<std::string, std::vector<double>, std::less<>> windows;  // id -> widths (keV)
  Status status;
  forEachChild(root, "EnergyWindows", [&](const pugi::xml_node& w) {
    std::vector<double> starts, ends;
    if (!parseNumberList(text(w, "WindowStartEnergyValues"), &starts) ||
        !parseNumberList(text(w, "WindowEndEnergyValues"), &ends) || starts.size() != ends.size()) {
      if (status)
        status = Status::error("n42: bad EnergyWindows '" + std::string(attr(w, "id")) + "'");
      return;
    }
    std::vector<double> widths;
    for (std::size_t i = 0; i < starts.size(); ++i) widths.push_back(ends[i] - starts[i]);
    windows[std::string(attr(w, "id"))] = std::move(widths);
  });
  if (!status) return status;

  forEachChild(root, "RadMeasurement", [&](const pugi::xml_node& m) {
    if (!status) return;
    N42Measurement meas;
    meas.id = std::string(attr(m, "id"));
    const std::string where = "n42: RadMeasurement '" + meas.id + "'";
    meas.class_code = text(m, "MeasurementClassCode");
    meas.start_time = text(m, "StartDateTime");
    if (!meas.start_time.empty() && !parseUtcMs(meas.start_time, &meas.start_ms)) {
      meas.start_ms = 0;  // informative only; the mapping copes without it
    }
    if (const auto rt = child(m, "RealTimeDuration")) {
      if (!parseIsoDuration(rt.text().get(), &meas.real_time_s)) {
        status = Status::error(where + ": bad RealTimeDuration '" + rt.text().get() + "'");
        return;
      }
    }
    if (const auto occ = child(m, "OccupancyIndicator")) {
      meas.occupied = parseBool(occ.text().get());
      if (!meas.occupied) {
        status = Status::error(where + ": bad OccupancyIndicator '" + occ.text().get() + "'");
        return;
      }
    }
    forEachChild(m, "GrossCounts", [&](const pugi::xml_node& g) {
      if (!status) return;
      N42DetectorCounts counts;
      counts.detector_id = std::string(attr(g, "radDetectorInformationReference"));
      if (const auto it = detectors.find(counts.detector_id); it != detectors.end()) {
        counts.kind = it->second;
      }
      std::vector<double> values;
      if (!parseNumberList(child(g, "CountData").text().get(), &values)) {
        status = Status::error(where + ": bad CountData for detector '" + counts.detector_id + "'");
        return;
      }
      const std::vector<double>* widths = nullptr;
      if (const auto it = windows.find(attr(g, "energyWindowsReference")); it != windows.end()) {
        widths = &it->second;
      }
      auto total = grossCount(values, widths);
      if (!total) {
        status = total.status().withContext(where);
        return;
      }
      counts.counts = *total;
      meas.counts.push_back(std::move(counts));
    });
    if (!status) return;
    forEachChild(m, "RadInstrumentState", [&](const pugi::xml_node& s) {
      forEachChild(s, "Fault", [&](const pugi::xml_node& f) {
        meas.faults.push_back(N42Fault{text(f, "FaultCodeValue"), text(f, "FaultDescription"),
                                       text(f, "FaultSeverityCode")});
      });
    });
    forEachChild(m, "RadItemState", [&](const pugi::xml_node& s) {
      const auto speed = child(child(s, "StateVector"), "SpeedValue");
      double v = 0;
      if (speed && parseDouble(speed.text().get(), &v) && v >= 0) {
        meas.speed_m_s = std::max(meas.speed_m_s.value_or(0.0), v);
      }
    });
    out.measurements.push_back(std::move(meas));
  });
  if (!status) return status;

  forEachChild(root, "AnalysisResults", [&](const pugi::xml_node& a) {
    forEachChild(a, "RadAlarm", [&](const pugi::xml_node& r) {
      out.alarms.push_back(N42Alarm{text(r, "RadAlarmCategoryCode"), text(r, "RadAlarmDescription"),
                                    text(r, "RadAlarmLightColor")});
    });
  });
  return out;
}

bool isPortalOccupancy(const N42Occupancy& doc) {
  if (!doc.class_code.empty()) return doc.class_code.find("Portal") != std::string::npos;
  return std::any_of(doc.measurements.begin(), doc.measurements.end(),
                     [](const N42Measurement& m) { return m.occupied.has_value(); });
}

Result<msg::RadiationOccupancy> toRadiationOccupancy(const N42Occupancy& doc) {
  if (!isPortalOccupancy(doc)) {
    return Status::error("n42: not a portal occupancy (instrument class '" + doc.class_code + "')");
  }
  const bool has_indicator =
      std::any_of(doc.measurements.begin(), doc.measurements.end(),
                  [](const N42Measurement& m) { return m.occupied.has_value(); });
  const auto occupied = [&](const N42Measurement& m) {
    return has_indicator ? m.occupied.value_or(false) : m.class_code == "Foreground";
  };
  const auto background = [&](const N42Measurement& m) {
    return has_indicator ? (m.occupied.has_value() && !*m.occupied) : m.class_code == "Background";
  };

  msg::RadiationOccupancy occ;
  occ.phase = msg::OccupancyPhase::kEnd;
  occ.occupancy_id = doc.doc_uuid;
  std::int64_t bg_gamma = 0, bg_neutron = 0;
  double bg_seconds = 0;
  double max_speed = -1;
  bool any_occupied = false;
  std::set<std::pair<std::string, std::string>> seen_faults;
  for (const auto& m : doc.measurements) {
    for (const auto& f : m.faults) {
      std::string code = snakeCase(f.description);
      if (code.empty()) code = "n42_fault_" + snakeCase(f.code_value);
      if (!seen_faults.insert({code, f.description}).second) continue;
      occ.faults.push_back(msg::RadiationFault{code, f.description, lower(f.severity)});
    }
    std::int64_t gamma = 0, neutron = 0;
    for (const auto& c : m.counts) {
      if (c.kind == N42DetectorKind::kGamma) gamma += c.counts;
      if (c.kind == N42DetectorKind::kNeutron) neutron += c.counts;
    }
    if (occupied(m)) {
      any_occupied = true;
      occ.gamma_counts += gamma;
      occ.neutron_counts += neutron;
      occ.duration_s += m.real_time_s;
      if (m.speed_m_s) max_speed = std::max(max_speed, *m.speed_m_s);
      if (m.start_ms != 0) {
        occ.time_ms = std::max<WallMs>(
            occ.time_ms, m.start_ms + static_cast<WallMs>(std::llround(m.real_time_s * 1000)));
      }
    } else if (background(m)) {
      bg_gamma += gamma;
      bg_neutron += neutron;
      bg_seconds += m.real_time_s;
    }
  }
  if (!any_occupied) return Status::error("n42: not a portal occupancy (no occupied sample)");
  if (bg_seconds > 0) {
    occ.gamma_background_cps = static_cast<double>(bg_gamma) / bg_seconds;
    occ.neutron_background_cps = static_cast<double>(bg_neutron) / bg_seconds;
  }
  if (max_speed >= 0) occ.speed_kmh = max_speed * 3.6;
  bool gamma_alarm = false, neutron_alarm = false;
  for (const auto& a : doc.alarms) {
    if (a.category == "Gamma") gamma_alarm = true;
    if (a.category == "Neutron") neutron_alarm = true;
  }
  occ.alarm = gamma_alarm && neutron_alarm ? msg::RadiationAlarm::kBoth
              : gamma_alarm                ? msg::RadiationAlarm::kGamma
              : neutron_alarm              ? msg::RadiationAlarm::kNeutron
                                           : msg::RadiationAlarm::kNone;
  return occ;
}

nlohmann::json toJson(const N42Occupancy& doc) {
  nlohmann::json j;
  j["format"] = "N42.42-2012";
  j["n42_doc_uuid"] = doc.doc_uuid;
  j["instrument"] = {{"id", doc.instrument_id}, {"model", doc.model}, {"class", doc.class_code}};
  j["portal_occupancy"] = isPortalOccupancy(doc);
  auto& ms = j["measurements"] = nlohmann::json::array();
  for (const auto& m : doc.measurements) {
    nlohmann::json jm = {{"id", m.id},
                         {"class", m.class_code},
                         {"start", m.start_time},
                         {"real_time_s", m.real_time_s},
                         {"occupied", m.occupied ? nlohmann::json(*m.occupied) : nlohmann::json()},
                         {"counts", nlohmann::json::array()},
                         {"faults", nlohmann::json::array()}};
    if (m.speed_m_s) jm["speed_m_s"] = *m.speed_m_s;
    for (const auto& c : m.counts) {
      jm["counts"].push_back(
          {{"detector", c.detector_id}, {"kind", kindName(c.kind)}, {"counts", c.counts}});
    }
    for (const auto& f : m.faults) {
      jm["faults"].push_back(
          {{"code", f.code_value}, {"description", f.description}, {"severity", f.severity}});
    }
    ms.push_back(std::move(jm));
  }
  auto& alarms = j["alarms"] = nlohmann::json::array();
  for (const auto& a : doc.alarms) {
    alarms.push_back(
        {{"category", a.category}, {"description", a.description}, {"light", a.light_color}});
  }
  const auto occ = toRadiationOccupancy(doc);
  if (occ) {
    j["occupancy"] = occupancyToJson(*occ);
    j["occupancy"]["time"] = occ->time_ms != 0 ? formatUtcMs(occ->time_ms) : "";
  } else {
    j["occupancy"] = nullptr;
    j["occupancy_error"] = occ.status().message();
  }
  return j;
}

}  // namespace kordon::drivers
