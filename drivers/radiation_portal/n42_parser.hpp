// SPDX-License-Identifier: Apache-2.0
#pragma once

// Pure parser of ANSI N42.42-2012 radiation portal documents (device-protocols.md §2.1), and the
// mapping of one document to one msg::RadiationOccupancy. No I/O, no clock: fuzzable.
//
// Format (root RadInstrumentData, namespace http://physics.nist.gov/N42/2011/N42; elements are
// matched by local name, so any namespace prefix is accepted):
//   RadInstrumentData@n42DocUUID                     -> occupancy_id
//   RadInstrumentInformation/RadInstrumentIdentifier, RadInstrumentModelName,
//                            RadInstrumentClassCode  ("Portal Monitor" | "Spectroscopic Portal
//                                                     Monitor" | "Radionuclide Identifier" ...)
//   RadDetectorInformation@id / RadDetectorCategoryCode  Gamma | Neutron | Gamma and Neutron ...
//   EnergyWindows@id / WindowStartEnergyValues, WindowEndEnergyValues  (keV lists)
//   RadMeasurement (one per sample):
//     MeasurementClassCode   Foreground | Background | Calibration | IntrinsicActivity | ...
//     StartDateTime          xsd:dateTime, e.g. 2003-11-22T23:45:00.3-07:00
//     RealTimeDuration       ISO 8601 duration, e.g. PT0.1S, PT1M2.5S
//     GrossCounts@radDetectorInformationReference[@energyWindowsReference] / CountData
//                            one count per energy window, whitespace separated
//     RadInstrumentState/Fault/{FaultCodeValue, FaultDescription, FaultSeverityCode}
//     RadItemState/StateVector/SpeedValue  (N42.42-2012 unit: m/s)
//     OccupancyIndicator     xsd:boolean 1|0|true|false
//   AnalysisResults/RadAlarm/{RadAlarmCategoryCode, RadAlarmDescription, RadAlarmLightColor}
// N42.42-2006 documents (root N42InstrumentData) are rejected with a clear error for now.
//
// Mapping rules (toRadiationOccupancy):
//   * A document is a portal occupancy when its RadInstrumentClassCode contains "Portal", or,
//     with no class code, when any sample carries an OccupancyIndicator. Anything else (a
//     handheld RIID spectrum, Annex B/C) is an error "not a portal occupancy".
//   * Occupied sample: OccupancyIndicator true. When no sample carries an indicator, every
//     Foreground sample is occupied. Background sample: indicator false (or, without any
//     indicator, MeasurementClassCode Background). The 2012 Annex D example marks occupied
//     samples with class Background, so the indicator wins over the class code.
//   * Gross counts of one GrossCounts element: with an energy-window reference, the count of the
//     widest window (largest end - start: the full-range gross count; windows may overlap, so
//     summing would double count); without one, the sum of the values (normally one).
//     A detector is gamma or neutron by its RadDetectorCategoryCode; detectors of other or
//     unknown category are ignored.
//   * gamma_counts / neutron_counts: summed over detectors and over occupied samples.
//   * *_background_cps: summed background counts / summed background RealTimeDuration (0 when no
//     background sample).
//   * duration_s: summed RealTimeDuration of occupied samples; time_ms: end of the last occupied
//     sample (its StartDateTime + RealTimeDuration), 0 when unknown.
//   * speed_kmh: the largest SpeedValue of an occupied sample, m/s * 3.6.
//   * alarm: from RadAlarm categories: Gamma -> gamma, Neutron -> neutron, both -> both. Other
//     categories (Isotope, Alpha, Beta, Other) are kept in N42Occupancy::alarms, not mapped.
//   * faults: every distinct (code, description) Fault of any sample; code = the description in
//     snake case ("Overspeed" -> "overspeed"), or "n42_fault_<FaultCodeValue>" without one;
//     severity lower-cased ("warning", "error", "information"...).
//
// Thread-safety: pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "edge/base/clock.hpp"
#include "edge/base/status.hpp"
#include "edge/msg/radiation_occupancy.hpp"

namespace kordon::drivers {

enum class N42DetectorKind { kGamma, kNeutron, kOther };

struct N42Fault {
  std::string code_value;   // FaultCodeValue as written
  std::string description;  // FaultDescription
  std::string severity;     // FaultSeverityCode as written
};

struct N42DetectorCounts {
  std::string detector_id;
  N42DetectorKind kind = N42DetectorKind::kOther;
  std::int64_t counts = 0;  // see the gross-count rule above
};

struct N42Measurement {
  std::string id;
  std::string class_code;  // MeasurementClassCode
  std::string start_time;  // StartDateTime as written
  WallMs start_ms = 0;     // 0 when absent or unparsable
  double real_time_s = 0;  // RealTimeDuration
  std::optional<bool> occupied;
  std::optional<double> speed_m_s;
  std::vector<N42DetectorCounts> counts;
  std::vector<N42Fault> faults;
};

struct N42Alarm {
  std::string category;  // RadAlarmCategoryCode
  std::string description;
  std::string light_color;
};

struct N42Occupancy {
  std::string doc_uuid;
  std::string instrument_id;
  std::string model;
  std::string class_code;
  std::vector<N42Measurement> measurements;
  std::vector<N42Alarm> alarms;
};

// Parses an ISO 8601 duration of the form P[nD]T[nH][nM][n[.f]S]; false on anything else.
bool parseIsoDuration(std::string_view text, double* seconds);

// Parses a whole N42.42-2012 document. Errors: not XML, not a RadInstrumentData root, bad numbers.
[[nodiscard]] Result<N42Occupancy> parseN42(std::string_view xml);

// True when the document describes a portal occupancy (rule above).
bool isPortalOccupancy(const N42Occupancy& doc);

// The kEnd occupancy for the document (device_id and lane left empty for the caller). Error
// "not a portal occupancy" for handheld or other instruments, or without occupied samples.
[[nodiscard]] Result<msg::RadiationOccupancy> toRadiationOccupancy(const N42Occupancy& doc);

// For `kordonctl inspect`: the parsed document plus the mapped occupancy (or the mapping error).
nlohmann::json toJson(const N42Occupancy& doc);

}  // namespace kordon::drivers
