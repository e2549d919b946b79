// SPDX-License-Identifier: Apache-2.0
#pragma once

// Pure parser of the Dahua ITSAPI "TollgateInfo" notification, the JSON body a Dahua ANPR
// camera POSTs to <platform>/NotificationInfo/TollgateInfo (device-protocols.md §4.2; camera
// setting "Protocol Version V1.19"). No I/O, no exceptions (nlohmann non-throwing parse and
// explicit type checks); fuzzable. Thread-safety: stateless. Also base64 and the JSON views
// of parsed events for `kordonctl inspect`.
//
// Wire format (members we read; everything else is ignored; * = required):
//
//   {"Picture": {                                         * object
//     "Plate": {                                          * object
//       "PlateNumber": "123ABC02",                        * string, plate as read (may be "")
//       "Confidence": 97,                                   integer 0..100 (or numeric string)
//       "PlateColor": "White", "PlateType": "Normal",       strings
//       "BoundingBox": [412, 580, 932, 692],                4 integers: left, top, right, bottom
//       "Channel": 0,                                       integer, the video channel
//       "IsExist": true,                                    boolean: a plate was found
//       "Region": "KAZ",                                    string
//       "UploadNum": 17},                                   integer, the camera's event counter
//     "Vehicle": {"VehicleBoundingBox": [..4 ints..],       all optional
//                 "VehicleColor": "White", "VehicleSeries": "", "VehicleSign": "Volvo",
//                 "VehicleType": "LargeTruck"},
//     "SnapInfo": {                                         object, optional
//       "AccurateTime": "2026-11-25 15:25:00.123",          camera LOCAL time, ms precision
//       "TimeZone": "+05:00",                               see below
//       "Direction": "Obverse",                             see below
//       "AllowUser": false, "BlockUser": false,             booleans (list membership)
//       "AllowUserEndTime": "...", "BlockUserEndTime": "..."},
//     "NormalPic":  {"Content": "<base64 JPEG>", "PicName": "scene.jpg"},   scene, optional
//     "CutoutPic":  {"Content": "<base64 JPEG>", "PicName": "plate.jpg"}}}  plate crop, optional
//                   (some firmware calls it "PlatePic"; both are read)
//
// Integers are accepted as JSON numbers or as strings of digits (firmware differs); any other
// type is an error naming the member, e.g. "dahua: Picture.Plate.Confidence is not an integer".
// Time: AccurateTime is local time. It is converted to UTC only when TimeZone is an offset
// ("+05:00", "-03:30", "UTC+05:00", "GMT+5", or a number of whole hours); a TimeZone we
// cannot read (Dahua's zone-table index is undocumented) leaves accurate_time_ms empty and the
// caller uses receive time, as for ISAPI. A malformed AccurateTime is not an error either.
// Direction: the public capture names the member but not its values; "Obverse"/"forward"/
// "Approach" map to forward, "Reverse"/"reverse"/"Leave"/"Away" to reverse, anything else to
// unknown. The raw value is kept.
// Pictures: Content is standard base64 (RFC 4648 §4, '=' padding; CR/LF and spaces between
// groups are skipped). Invalid base64 does not fail the event: the picture's decode_error says
// why and its bytes are empty, so the plate read survives without that picture.

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "edge/base/clock.hpp"
#include "edge/base/status.hpp"

namespace kordon::drivers {

using DahuaBox = std::array<int, 4>;  // left, top, right, bottom (camera coordinates)

struct DahuaPicture {
  std::string member;        // "NormalPic" | "CutoutPic" | "PlatePic"
  std::string pic_name;      // PicName
  std::string bytes;         // decoded Content
  std::string decode_error;  // non-empty when Content was not valid base64 (bytes empty)
  std::size_t base64_chars = 0;
};

struct DahuaTollgate {
  // Picture.Plate
  std::string plate_number;
  std::optional<int> confidence_pct;
  std::string plate_color;
  std::string plate_type;
  std::optional<DahuaBox> plate_box;
  std::optional<int> channel;
  std::optional<bool> plate_exists;
  std::string region;
  std::optional<long long> upload_num;
  // Picture.Vehicle
  std::optional<DahuaBox> vehicle_box;
  std::string vehicle_color;
  std::string vehicle_series;
  std::string vehicle_sign;
  std::string vehicle_type;
  // Picture.SnapInfo
  std::string accurate_time_text;          // as sent
  std::optional<WallMs> accurate_time_ms;  // UTC, when the time and its zone were readable
  std::string time_zone_text;              // as sent (numbers as their JSON text)
  std::string direction_text;              // as sent
  std::string direction = "unknown";       // "forward" | "reverse" | "unknown"
  std::optional<bool> allow_user;
  std::optional<bool> block_user;
  // Pictures, in wire order: NormalPic (scene), then CutoutPic/PlatePic (plate crop).
  std::vector<DahuaPicture> pictures;
};

[[nodiscard]] Result<DahuaTollgate> parseDahuaTollgate(std::string_view json);

// Strict RFC 4648 §4 base64: '=' padding required to a multiple of 4, CR/LF/space/tab skipped,
// any other character outside the alphabet is an error naming its offset.
[[nodiscard]] Result<std::string> decodeBase64(std::string_view text);

// View for `kordonctl inspect`: every parsed member; pictures as name, size and sha256, never
// their bytes. (toJson(const IsapiAlert&) is in isapi_event.hpp.)
nlohmann::json toJson(const DahuaTollgate& event);

}  // namespace kordon::drivers
