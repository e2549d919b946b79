// SPDX-License-Identifier: Apache-2.0
#include "drivers/anpr_camera/dahua_event.hpp"

#include <cctype>
#include <charconv>
#include <cstdio>
#include <limits>
#include <utility>

#include "edge/base/crypto.hpp"
#include "edge/msg/limits.hpp"

namespace kordon::drivers {

namespace {

using Json = nlohmann::json;

Status wrongType(std::string_view path, std::string_view what) {
  return Status::error("dahua: " + std::string(path) + " is not " + std::string(what));
}

// Member `name` of object `parent`; nullptr when absent or null (null is treated as absent).
const Json* member(const Json& parent, const char* name) {
  const auto it = parent.find(name);
  if (it == parent.end() || it->is_null()) return nullptr;
  return &*it;
}

Status optionalString(const Json& parent, const char* name, std::string_view path,
                      std::string* out) {
  const Json* value = member(parent, name);
  if (!value) return Status::ok();
  if (!value->is_string()) return wrongType(path, "a string");
  *out = value->get_ref<const std::string&>();
  return Status::ok();
}

bool parseDigits(std::string_view text, long long* out) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

// JSON integer, or a string of digits (some firmware quotes numbers).
Status optionalInteger(const Json& parent, const char* name, std::string_view path, long long min,
                       long long max, std::optional<long long>* out) {
  const Json* value = member(parent, name);
  if (!value) return Status::ok();
  long long number = 0;
  if (value->is_number_integer()) {
    if (value->is_number_unsigned()) {
      const auto u = value->get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(max)) return wrongType(path, "within range");
      number = static_cast<long long>(u);
    } else {
      number = value->get<std::int64_t>();
    }
  } else if (value->is_string()) {
    if (!parseDigits(value->get_ref<const std::string&>(), &number)) {
      return wrongType(path, "an integer");
    }
  } else {
    return wrongType(path, "an integer");
  }
  if (number < min || number > max) {
    return wrongType(path, "within " + std::to_string(min) + ".." + std::to_string(max));
  }
  *out = number;
  return Status::ok();
}

Status optionalInt(const Json& parent, const char* name, std::string_view path, int min, int max,
                   std::optional<int>* out) {
  std::optional<long long> wide;
  if (Status s = optionalInteger(parent, name, path, min, max, &wide); !s) return s;
  if (wide) *out = static_cast<int>(*wide);
  return Status::ok();
}

Status optionalBool(const Json& parent, const char* name, std::string_view path,
                    std::optional<bool>* out) {
  const Json* value = member(parent, name);
  if (!value) return Status::ok();
  if (value->is_boolean()) {
    *out = value->get<bool>();
  } else if (value->is_number_integer() &&
             (value->get<std::int64_t>() == 0 || value->get<std::int64_t>() == 1)) {
    *out = value->get<std::int64_t>() == 1;
  } else {
    return wrongType(path, "a boolean");
  }
  return Status::ok();
}

Status optionalBox(const Json& parent, const char* name, std::string_view path,
                   std::optional<DahuaBox>* out) {
  const Json* value = member(parent, name);
  if (!value) return Status::ok();
  if (!value->is_array() || value->size() != 4) return wrongType(path, "an array of 4 integers");
  DahuaBox box{};
  for (std::size_t i = 0; i < 4; ++i) {
    const Json& item = (*value)[i];
    if (!item.is_number_integer() || item.get<std::int64_t>() < -1'000'000 ||
        item.get<std::int64_t>() > 1'000'000) {
      return wrongType(path, "an array of 4 integers");
    }
    box[i] = static_cast<int>(item.get<std::int64_t>());
  }
  *out = box;
  return Status::ok();
}

// Object member or absent; anything else is an error.
Status optionalObject(const Json& parent, const char* name, std::string_view path,
                      const Json** out) {
  const Json* value = member(parent, name);
  if (value && !value->is_object()) return wrongType(path, "an object");
  *out = value;
  return Status::ok();
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string directionFor(std::string_view text) {
  static constexpr std::pair<std::string_view, std::string_view> kDirections[] = {
      {"obverse", "forward"}, {"forward", "forward"}, {"approach", "forward"},
      {"reverse", "reverse"}, {"leave", "reverse"},   {"away", "reverse"},
  };
  for (const auto& [wire, direction] : kDirections) {
    if (equalsIgnoreCase(text, wire)) return std::string(direction);
  }
  return "unknown";
}

// "+05:00", "-3:30", "UTC+05:00", "GMT+5", "5" -> minutes east of UTC.
bool parseZoneOffset(std::string_view text, int* offset_min) {
  if (text.size() >= 3 &&
      (equalsIgnoreCase(text.substr(0, 3), "utc") || equalsIgnoreCase(text.substr(0, 3), "gmt"))) {
    text.remove_prefix(3);
  }
  if (text.empty()) return false;
  int sign = 1;
  if (text.front() == '+' || text.front() == '-') {
    sign = text.front() == '-' ? -1 : 1;
    text.remove_prefix(1);
  }
  const std::size_t colon = text.find(':');
  long long hours = 0, minutes = 0;
  if (!parseDigits(text.substr(0, colon), &hours) || hours > 14) return false;
  if (colon != std::string_view::npos && (!parseDigits(text.substr(colon + 1), &minutes) ||
                                          text.size() - colon - 1 != 2 || minutes > 59)) {
    return false;
  }
  *offset_min = sign * static_cast<int>(hours * 60 + minutes);
  return true;
}

std::optional<WallMs> localTimeToUtc(const std::string& local, int offset_min) {
  // "YYYY-MM-DD HH:MM:SS.fff" -> "YYYY-MM-DDTHH:MM:SS.fff+hh:mm" for parseUtcMs().
  if (local.size() < 19 || local[10] != ' ') return std::nullopt;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u, 11u, 12u, 14u, 15u, 17u, 18u}) {
    if (local[i] < '0' || local[i] > '9') return std::nullopt;
  }
  std::string iso = local;
  iso[10] = 'T';
  const int offset_abs = offset_min < 0 ? -offset_min : offset_min;
  char zone[16];
  std::snprintf(zone, sizeof zone, "%c%02d:%02d", offset_min < 0 ? '-' : '+', offset_abs / 60,
                offset_abs % 60);
  iso += zone;
  WallMs utc = 0;
  if (!parseUtcMs(iso, &utc)) return std::nullopt;
  return utc;
}

Status parsePlate(const Json& plate, DahuaTollgate* out) {
  const Json* number = member(plate, "PlateNumber");
  if (!number) return Status::error("dahua: missing member Picture.Plate.PlateNumber");
  if (!number->is_string()) return wrongType("Picture.Plate.PlateNumber", "a string");
  out->plate_number = number->get_ref<const std::string&>();
  if (out->plate_number.size() > msg::kMaxPlateBytes) {
    return Status::error("dahua: Picture.Plate.PlateNumber is " +
                         std::to_string(out->plate_number.size()) + " bytes; a plate has at most " +
                         std::to_string(msg::kMaxPlateBytes));
  }
  Status s =
      optionalInt(plate, "Confidence", "Picture.Plate.Confidence", 0, 100, &out->confidence_pct);
  if (s) s = optionalString(plate, "PlateColor", "Picture.Plate.PlateColor", &out->plate_color);
  if (s) s = optionalString(plate, "PlateType", "Picture.Plate.PlateType", &out->plate_type);
  if (s) s = optionalBox(plate, "BoundingBox", "Picture.Plate.BoundingBox", &out->plate_box);
  if (s) s = optionalInt(plate, "Channel", "Picture.Plate.Channel", 0, 1024, &out->channel);
  if (s) s = optionalBool(plate, "IsExist", "Picture.Plate.IsExist", &out->plate_exists);
  if (s) s = optionalString(plate, "Region", "Picture.Plate.Region", &out->region);
  if (s) {
    s = optionalInteger(plate, "UploadNum", "Picture.Plate.UploadNum", 0,
                        std::numeric_limits<long long>::max(), &out->upload_num);
  }
  return s;
}

Status parseVehicle(const Json& vehicle, DahuaTollgate* out) {
  Status s = optionalBox(vehicle, "VehicleBoundingBox", "Picture.Vehicle.VehicleBoundingBox",
                         &out->vehicle_box);
  if (s) {
    s = optionalString(vehicle, "VehicleColor", "Picture.Vehicle.VehicleColor",
                       &out->vehicle_color);
  }
  if (s) {
    s = optionalString(vehicle, "VehicleSeries", "Picture.Vehicle.VehicleSeries",
                       &out->vehicle_series);
  }
  if (s) {
    s = optionalString(vehicle, "VehicleSign", "Picture.Vehicle.VehicleSign", &out->vehicle_sign);
  }
  if (s) {
    s = optionalString(vehicle, "VehicleType", "Picture.Vehicle.VehicleType", &out->vehicle_type);
  }
  return s;
}

Status parseSnapInfo(const Json& snap, DahuaTollgate* out) {
  Status s = optionalString(snap, "AccurateTime", "Picture.SnapInfo.AccurateTime",
                            &out->accurate_time_text);
  if (s) s = optionalBool(snap, "AllowUser", "Picture.SnapInfo.AllowUser", &out->allow_user);
  if (s) s = optionalBool(snap, "BlockUser", "Picture.SnapInfo.BlockUser", &out->block_user);
  if (!s) return s;
  if (const Json* zone = member(snap, "TimeZone")) {
    if (zone->is_string()) {
      out->time_zone_text = zone->get_ref<const std::string&>();
    } else if (zone->is_number_integer()) {
      out->time_zone_text = zone->dump();
    } else {
      return wrongType("Picture.SnapInfo.TimeZone", "a string or an integer");
    }
  }
  if (const Json* direction = member(snap, "Direction")) {
    if (direction->is_string()) {
      out->direction_text = direction->get_ref<const std::string&>();
    } else if (direction->is_number_integer()) {
      out->direction_text = direction->dump();
    } else {
      return wrongType("Picture.SnapInfo.Direction", "a string or an integer");
    }
    out->direction = directionFor(out->direction_text);
  }
  if (int offset_min = 0;
      !out->accurate_time_text.empty() && parseZoneOffset(out->time_zone_text, &offset_min)) {
    out->accurate_time_ms = localTimeToUtc(out->accurate_time_text, offset_min);
  }
  return Status::ok();
}

Status parsePicture(const Json& picture, const char* name, DahuaTollgate* out) {
  const std::string path = std::string("Picture.") + name;
  const Json* pic = nullptr;
  if (Status s = optionalObject(picture, name, path, &pic); !s || !pic) return s;
  DahuaPicture result;
  result.member = name;
  if (Status s = optionalString(*pic, "PicName", path + ".PicName", &result.pic_name); !s) return s;
  const Json* content = member(*pic, "Content");
  if (!content) return Status::ok();  // a picture header without a picture: nothing to keep
  if (!content->is_string()) return wrongType(path + ".Content", "a base64 string");
  const std::string& text = content->get_ref<const std::string&>();
  result.base64_chars = text.size();
  auto bytes = decodeBase64(text);
  if (bytes) {
    result.bytes = std::move(bytes).value();
  } else {
    result.decode_error = bytes.status().message();
  }
  out->pictures.push_back(std::move(result));
  return Status::ok();
}

int base64Value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

nlohmann::json boxJson(const std::optional<DahuaBox>& box) {
  if (!box) return nullptr;
  return nlohmann::json::array({(*box)[0], (*box)[1], (*box)[2], (*box)[3]});
}

template <typename T>
nlohmann::json optionalJson(const std::optional<T>& value) {
  if (!value) return nullptr;
  return *value;
}

}  // namespace

Result<std::string> decodeBase64(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t group = 0;
  int group_chars = 0;
  int padding = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\r' || c == '\n' || c == ' ' || c == '\t') continue;
    if (c == '=') {
      // Padding only completes the last group: "xx==" or "xxx=".
      if (group_chars + padding < 2) {
        return Status::error("base64: misplaced '=' at offset " + std::to_string(i));
      }
      ++padding;
      if (group_chars + padding > 4) {
        return Status::error("base64: too much padding at offset " + std::to_string(i));
      }
      continue;
    }
    const int value = base64Value(c);
    if (value < 0) {
      return Status::error("base64: invalid character at offset " + std::to_string(i));
    }
    if (padding > 0) {
      return Status::error("base64: data after padding at offset " + std::to_string(i));
    }
    group = (group << 6) | static_cast<std::uint32_t>(value);
    if (++group_chars == 4) {
      out.push_back(static_cast<char>((group >> 16) & 0xFF));
      out.push_back(static_cast<char>((group >> 8) & 0xFF));
      out.push_back(static_cast<char>(group & 0xFF));
      group = 0;
      group_chars = 0;
    }
  }
  if (padding > 0) {
    if (group_chars + padding != 4) return Status::error("base64: truncated final group");
    if (group_chars == 2) {
      out.push_back(static_cast<char>((group >> 4) & 0xFF));
    } else {  // 3 characters
      out.push_back(static_cast<char>((group >> 10) & 0xFF));
      out.push_back(static_cast<char>((group >> 2) & 0xFF));
    }
  } else if (group_chars != 0) {
    return Status::error("base64: length is not a multiple of 4 (missing padding?)");
  }
  return out;
}

Result<DahuaTollgate> parseDahuaTollgate(std::string_view json) {
  const Json doc = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::error("dahua: body is not valid JSON");
  if (!doc.is_object()) return Status::error("dahua: body is not a JSON object");
  const Json* picture = nullptr;
  if (Status s = optionalObject(doc, "Picture", "Picture", &picture); !s) return s;
  if (!picture) return Status::error("dahua: missing member Picture");
  const Json* plate = nullptr;
  if (Status s = optionalObject(*picture, "Plate", "Picture.Plate", &plate); !s) return s;
  if (!plate) return Status::error("dahua: missing member Picture.Plate");

  DahuaTollgate event;
  if (Status s = parsePlate(*plate, &event); !s) return s;
  const Json* vehicle = nullptr;
  if (Status s = optionalObject(*picture, "Vehicle", "Picture.Vehicle", &vehicle); !s) return s;
  if (vehicle) {
    if (Status s = parseVehicle(*vehicle, &event); !s) return s;
  }
  const Json* snap = nullptr;
  if (Status s = optionalObject(*picture, "SnapInfo", "Picture.SnapInfo", &snap); !s) return s;
  if (snap) {
    if (Status s = parseSnapInfo(*snap, &event); !s) return s;
  }
  for (const char* name : {"NormalPic", "CutoutPic", "PlatePic"}) {
    if (Status s = parsePicture(*picture, name, &event); !s) return s;
  }
  return event;
}

nlohmann::json toJson(const DahuaTollgate& event) {
  nlohmann::json pictures = nlohmann::json::array();
  for (const DahuaPicture& picture : event.pictures) {
    nlohmann::json p = {{"member", picture.member},
                        {"pic_name", picture.pic_name},
                        {"base64_chars", picture.base64_chars},
                        {"size_bytes", picture.bytes.size()}};
    if (picture.decode_error.empty()) {
      p["sha256"] = sha256Hex(picture.bytes);
    } else {
      p["decode_error"] = picture.decode_error;
    }
    pictures.push_back(std::move(p));
  }
  return {
      {"format", "dahua-itsapi"},
      {"plate",
       {{"plate_number", event.plate_number},
        {"confidence_pct", optionalJson(event.confidence_pct)},
        {"plate_color", event.plate_color},
        {"plate_type", event.plate_type},
        {"bounding_box", boxJson(event.plate_box)},
        {"channel", optionalJson(event.channel)},
        {"is_exist", optionalJson(event.plate_exists)},
        {"region", event.region},
        {"upload_num", optionalJson(event.upload_num)}}},
      {"vehicle",
       {{"bounding_box", boxJson(event.vehicle_box)},
        {"color", event.vehicle_color},
        {"series", event.vehicle_series},
        {"sign", event.vehicle_sign},
        {"type", event.vehicle_type}}},
      {"snap",
       {{"accurate_time", event.accurate_time_text},
        {"time_utc", event.accurate_time_ms ? nlohmann::json(formatUtcMs(*event.accurate_time_ms))
                                            : nlohmann::json(nullptr)},
        {"time_zone", event.time_zone_text},
        {"direction_raw", event.direction_text},
        {"direction", event.direction},
        {"allow_user", optionalJson(event.allow_user)},
        {"block_user", optionalJson(event.block_user)}}},
      {"pictures", std::move(pictures)},
  };
}

}  // namespace kordon::drivers
