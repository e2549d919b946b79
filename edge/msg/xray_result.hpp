// SPDX-License-Identifier: Apache-2.0
#pragma once

// The result of one X-ray scan as the lane needs it, mapped from a DICOS Threat Detection
// Report: which object was scanned, the alarm decision, the threat objects, and the operator's
// verdict when an operator reviewed it (TDR type OPERATOR).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edge/base/clock.hpp"
#include "edge/msg/device_health.hpp"
#include "edge/msg/plate_read.hpp"

namespace kordon::msg {

enum class XrayDecision { kClear, kAlarm, kUnknown };

constexpr std::string_view toString(XrayDecision d) {
  switch (d) {
    case XrayDecision::kClear:
      return "clear";
    case XrayDecision::kAlarm:
      return "alarm";
    case XrayDecision::kUnknown:
      return "unknown";
  }
  return "unknown";
}

struct XrayThreat {
  std::string id;              // PTO identifier
  std::string category;        // (4010,1012): "ANOMALY", "PI", ...
  std::string description;     // (4010,1013)
  std::string assessment;      // (4010,1015): "NO_THREAT" | "THREAT" | "HIGH_THREAT" | ...
  template <class V, class S>  // as xray.result carries it (event_fields.hpp)
  static void fields(V& v, S& s) {
    v.req("id", s.id);
    v.req("category", s.category);
    v.req("description", s.description);
    v.req("assessment", s.assessment);
  }
};

struct XrayResult {
  std::string device_id;
  std::string lane;
  WallMs time_ms = 0;  // alarm decision time when given, else receive time
  DeviceHealth health = DeviceHealth::kGood;
  std::string scan_id;                             // SOP Instance UID of the TDR
  std::string object_ref;                          // OOI ID: container number, plate, bag tag
  std::string object_type;                         // OOI type: "BAGGAGE", "CARGO", ...
  XrayDecision decision = XrayDecision::kUnknown;  // machine or operator, see tdr_type
  std::string tdr_type;                            // "MACHINE" | "OPERATOR" | ...
  std::optional<XrayDecision> operator_verdict;    // set when tdr_type is OPERATOR
  int total_objects = 0;
  int alarm_objects = 0;
  std::vector<XrayThreat> threats;
  std::vector<Evidence> evidence;  // the TDR file
};

}  // namespace kordon::msg
