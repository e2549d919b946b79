// SPDX-License-Identifier: Apache-2.0
#pragma once

// Pure parser of the Hikvision ISAPI EventNotificationAlert document, the XML part of the
// camera's "HTTP listening" push (shared reference device-protocols.md §4.1, structure from a
// DS-TCG405-E capture). No I/O, no exceptions; fuzzable. Thread-safety: stateless.
//
// Wire format (elements we read; everything else is ignored; * = required):
//
//   <EventNotificationAlert version="2.0"              * root element
//       xmlns="http://www.isapi.org/ver20/XMLSchema">     (older: .../www.hikvision.com/ver20/...)
//     <ipAddress>172.20.16.40</ipAddress>                camera address, text
//     <macAddress>44:a6:42:f3:2a:d7</macAddress>         text
//     <channelID>1</channelID>                           integer
//     <dateTime>2024-05-07T17:48:03.847+07:00</dateTime> camera time, ISO 8601 with offset
//     <eventType>ANPR</eventType>                      * "ANPR" (any case); also "videoloss",
//                                                         "heartBeat", ... which carry no plate
//     <eventState>active</eventState>                    active | inactive
//     <ANPR>                                           * when eventType is ANPR
//       <country>64</country>                            numeric country index, text
//       <licensePlate>123ABC02</licensePlate>          * plate as read (may be empty)
//       <line>1</line>                                   the camera's lane number, integer
//       <direction>forward</direction>                   forward | reverse | unknown
//       <confidenceLevel>98</confidenceLevel>            0..100
//       <plateCharBelieve>99,99,99</plateCharBelieve>    per-character confidence, 0..100 each
//       <pictureInfoList>
//         <pictureInfo>                                  one per JPEG part of the push
//           <fileName>detectionPicture.jpg</fileName>    = the part's filename
//           <type>detectionPicture</type>                licensePlatePicture, detectionPicture,
//         </pictureInfo>                                 vehiclePicture, ...
//       </pictureInfoList>
//       <originalLicensePlate>123ABC02</originalLicensePlate>  plate before list correction
//     </ANPR>
//     <UUID>a0fe72d4-3652-464a-aebd-3f9190010236</UUID>  the camera's event id
//   </EventNotificationAlert>
//
// Elements are matched on local names, so a namespace prefix ("hik:ANPR") or either schema
// namespace is accepted. A malformed dateTime (some firmware omits the offset) is not an
// error: date_time_ms stays empty, date_time_text keeps the raw value, and the caller falls
// back to receive time rather than dropping a plate read. Malformed numbers are errors.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "edge/base/clock.hpp"
#include "edge/base/status.hpp"

namespace kordon::drivers {

struct IsapiPictureInfo {
  std::string file_name;  // <fileName>
  std::string type;       // <type>, e.g. "licensePlatePicture"
};

struct IsapiAnpr {
  std::string license_plate;                   // <licensePlate>, trimmed, otherwise as sent
  std::string original_license_plate;          // <originalLicensePlate>, "" when absent
  std::optional<int> confidence_pct;           // <confidenceLevel>, 0..100
  std::string direction = "unknown";           // <direction>: "forward" | "reverse" | "unknown"
  std::optional<int> line;                     // <line>, the camera's lane number
  std::vector<int> plate_char_confidence_pct;  // <plateCharBelieve>
  std::string country;                         // <country>, numeric index as text
  std::vector<IsapiPictureInfo> pictures;      // <pictureInfoList>
};

struct IsapiAlert {
  std::string event_type;              // <eventType>
  std::string event_state;             // <eventState>
  std::string date_time_text;          // <dateTime> as sent
  std::optional<WallMs> date_time_ms;  // <dateTime> parsed, when well-formed
  std::optional<int> channel_id;       // <channelID>
  std::string ip_address;              // <ipAddress>
  std::string mac_address;             // <macAddress>
  std::string uuid;                    // <UUID>
  std::optional<IsapiAnpr> anpr;       // set exactly when isAnpr()

  bool isAnpr() const { return anpr.has_value(); }
};

inline constexpr std::string_view kIsapiAnprEventType = "ANPR";

// Errors name the missing or malformed element, e.g.
// "isapi: missing element EventNotificationAlert/ANPR/licensePlate".
[[nodiscard]] Result<IsapiAlert> parseIsapiAlert(std::string_view xml);

// View for `kordonctl inspect`: every parsed element. XML text may hold invalid UTF-8, so
// dump() it with nlohmann::json::error_handler_t::replace.
nlohmann::json toJson(const IsapiAlert& alert);

}  // namespace kordon::drivers
