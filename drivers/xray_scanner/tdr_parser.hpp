// SPDX-License-Identifier: Apache-2.0
#pragma once

// Pure parser of DICOS Threat Detection Reports (NEMA IIC 1; device-protocols.md §3.1), read
// with DCMTK's dcmdata, no network and no files. Used by both transports (folder and SCP) and by
// `kordonctl inspect` (toJson).
//
// Wire format (a DICOS file is a DICOM Part 10 file):
//   bytes 0..127   preamble (ignored; may be absent: a bare "DICM" or a bare dataset is accepted)
//   bytes 128..131 "DICM"
//   group 0002     file meta header, explicit VR little endian; (0002,0010) names the dataset's
//                  transfer syntax (explicit or implicit VR LE; toolkits sometimes name a JPEG
//                  one for a TDR, which has no pixel data and is then read as explicit VR LE)
//   dataset        the elements below, in tag order; sequences of defined or undefined length
//
// Elements read (all by tag number, so DCMTK's dictionary is not needed for explicit VR):
//   (0008,0016) UI SOP Class UID    must be 1.2.840.10008.5.1.4.1.1.501.3 (TDR), else an error
//   (0008,0018) UI SOP Instance UID required: the scan id
//   (0008,0060) CS Modality         "TDR"
//   (0010,0020) LO OOI ID           object of inspection: container number, plate, bag tag
//   (0010,0021) LO OOI ID issuer    (0010,0022) CS OOI ID type
//   (4010,1042) CS OOI type         "BAGGAGE", "CARGO", ...
//   (4010,1027) CS TDR type         "MACHINE" | "OPERATOR" | "GROUND_TRUTH"
//   (4010,1031) CS Alarm decision   required: "ALARM" | "CLEAR" (anything else: unknown)
//   (4010,102B) DT Alarm decision time  YYYYMMDDHHMMSS.FFFFFF&ZZXX (no offset: read as UTC)
//   (4010,1033) US Number of total objects   (4010,1034) US Number of alarm objects
//   (4010,1011) SQ PTO sequence, per item:
//       (4010,1010) US PTO id
//       (4010,1038) SQ assessment sequence, per item: (4010,1012) CS threat category,
//                   (4010,1013) LT description, (4010,1015) CS assessment flag
// Integer elements are accepted as US, UL, SS, SL, IS (or UN/OB holding a little-endian
// 16/32-bit value, as implicit VR without a dictionary entry yields). Each assessment item
// becomes one threat; a PTO without assessments becomes one threat with empty fields.
//
// Errors are Status values with the reason; nothing throws (DCMTK does not throw, and
// allocation failures are caught). Thread-safe: no shared state besides DCMTK's locked dictionary.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "edge/base/clock.hpp"
#include "edge/base/status.hpp"
#include "edge/msg/xray_result.hpp"

class DcmDataset;  // DCMTK, kept out of this header

namespace kordon::drivers {

inline constexpr std::string_view kTdrSopClassUid = "1.2.840.10008.5.1.4.1.1.501.3";
// Larger inputs are refused before DCMTK sees them (a TDR without images is a few kB; the
// PTO bitmaps of a big one stay well below this).
inline constexpr std::size_t kMaxTdrBytes = 64 * 1024 * 1024;

struct TdrReport {
  std::string sop_class_uid;
  std::string sop_instance_uid;  // scan id
  std::string modality;
  std::string ooi_id;
  std::string ooi_id_issuer;
  std::string ooi_id_type;
  std::string ooi_type;
  std::string tdr_type;             // as sent, upper case
  std::string alarm_decision;       // as sent, upper case
  std::string alarm_decision_time;  // DT text as sent
  std::optional<WallMs> alarm_decision_time_ms;
  int total_objects = 0;
  int alarm_objects = 0;
  std::vector<msg::XrayThreat> threats;
};

// A DICOS/DICOM Part 10 file (with or without preamble) or a bare explicit/implicit VR LE
// dataset, from memory.
[[nodiscard]] Result<TdrReport> parseTdr(std::string_view file_bytes);
// A dataset DCMTK already decoded (the SCP's C-STORE data).
[[nodiscard]] Result<TdrReport> parseTdrDataset(DcmDataset& dataset);

// "ALARM" -> kAlarm, "CLEAR" -> kClear, anything else kUnknown.
msg::XrayDecision decisionFromText(std::string_view text);
// DICOM DT "YYYY[MM[DD[HH[MM[SS[.F{1,6}]]]]]][&ZZXX]" -> UTC ms; nullopt when malformed.
std::optional<WallMs> parseDicomDateTime(std::string_view text);

// The lane's view: decision (the operator's when tdr_type is OPERATOR, which also sets
// operator_verdict), time = alarm decision time or `received_ms`. Evidence is left empty.
msg::XrayResult toXrayResult(const TdrReport& report, const std::string& device_id,
                             const std::string& lane, WallMs received_ms);

// For `kordonctl inspect`: every field above, threats as objects, decision time as ISO text.
nlohmann::json toJson(const TdrReport& report);

}  // namespace kordon::drivers
