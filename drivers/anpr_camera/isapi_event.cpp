// SPDX-License-Identifier: Apache-2.0
#include "drivers/anpr_camera/isapi_event.hpp"

#include <cctype>
#include <charconv>

#include <pugixml.hpp>

#include "edge/msg/limits.hpp"

namespace kordon::drivers {

namespace {

constexpr std::string_view kRoot = "EventNotificationAlert";

std::string_view localName(const char* qualified_name) {
  const std::string_view name(qualified_name);
  const std::size_t colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node childByLocalName(pugi::xml_node parent, std::string_view local_name) {
  for (pugi::xml_node child : parent.children()) {
    if (child.type() == pugi::node_element && localName(child.name()) == local_name) return child;
  }
  return {};
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

std::string trimmedText(pugi::xml_node node) {
  std::string_view text(node.child_value());
  constexpr std::string_view kSpace = " \t\r\n";
  const std::size_t first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  const std::size_t last = text.find_last_not_of(kSpace);
  return std::string(text.substr(first, last - first + 1));
}

// Text of an optional child element; "" when absent.
std::string optionalText(pugi::xml_node parent, std::string_view local_name) {
  const pugi::xml_node node = childByLocalName(parent, local_name);
  return node ? trimmedText(node) : std::string();
}

Status malformed(std::string_view element_path, const std::string& text, std::string_view what) {
  return Status::error("isapi: element " + std::string(element_path) + " is not " +
                       std::string(what) + ": '" + text.substr(0, 40) + "'");
}

bool parseInt(const std::string& text, int* out) {
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end && !text.empty();
}

// Optional integer element: absent or empty -> nullopt; present but not a number -> error.
Status optionalInt(pugi::xml_node parent, std::string_view local_name, std::string_view path,
                   std::optional<int>* out) {
  const std::string text = optionalText(parent, local_name);
  if (text.empty()) return Status::ok();
  int value = 0;
  if (!parseInt(text, &value)) return malformed(path, text, "an integer");
  *out = value;
  return Status::ok();
}

Status parsePercentList(const std::string& text, std::vector<int>* out) {
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    const std::string item = text.substr(start, comma - start);
    int value = 0;
    if (!parseInt(item, &value) || value < 0 || value > 100) {
      return malformed("EventNotificationAlert/ANPR/plateCharBelieve", text,
                       "a comma-separated list of 0..100");
    }
    out->push_back(value);
    start = comma + 1;
  }
  return Status::ok();
}

Result<IsapiAnpr> parseAnpr(pugi::xml_node anpr_node) {
  IsapiAnpr anpr;
  const pugi::xml_node plate = childByLocalName(anpr_node, "licensePlate");
  if (!plate)
    return Status::error("isapi: missing element EventNotificationAlert/ANPR/licensePlate");
  anpr.license_plate = trimmedText(plate);
  if (anpr.license_plate.size() > msg::kMaxPlateBytes) {
    return Status::error("isapi: licensePlate is " + std::to_string(anpr.license_plate.size()) +
                         " bytes; a plate has at most " + std::to_string(msg::kMaxPlateBytes));
  }
  anpr.original_license_plate = optionalText(anpr_node, "originalLicensePlate");
  anpr.country = optionalText(anpr_node, "country");

  if (Status s = optionalInt(anpr_node, "confidenceLevel",
                             "EventNotificationAlert/ANPR/confidenceLevel", &anpr.confidence_pct);
      !s) {
    return s;
  }
  if (anpr.confidence_pct && (*anpr.confidence_pct < 0 || *anpr.confidence_pct > 100)) {
    return malformed("EventNotificationAlert/ANPR/confidenceLevel",
                     std::to_string(*anpr.confidence_pct), "within 0..100");
  }
  if (Status s = optionalInt(anpr_node, "line", "EventNotificationAlert/ANPR/line", &anpr.line);
      !s) {
    return s;
  }

  // Anything but the two documented directions is reported as unknown, not rejected: the
  // plate is what matters, and the lane treats "unknown" direction conservatively.
  const std::string direction = optionalText(anpr_node, "direction");
  anpr.direction = (direction == "forward" || direction == "reverse") ? direction : "unknown";

  const std::string char_confidence = optionalText(anpr_node, "plateCharBelieve");
  if (!char_confidence.empty()) {
    if (Status s = parsePercentList(char_confidence, &anpr.plate_char_confidence_pct); !s) {
      return s;
    }
  }

  if (const pugi::xml_node list = childByLocalName(anpr_node, "pictureInfoList")) {
    for (pugi::xml_node info : list.children()) {
      if (info.type() != pugi::node_element || localName(info.name()) != "pictureInfo") continue;
      anpr.pictures.push_back({optionalText(info, "fileName"), optionalText(info, "type")});
    }
  }
  return anpr;
}

template <typename T>
nlohmann::json optionalJson(const std::optional<T>& value) {
  if (!value) return nullptr;
  return *value;
}

}  // namespace

Result<IsapiAlert> parseIsapiAlert(std::string_view xml) {
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed =
      doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_auto);
  if (!parsed) {
    return Status::error("isapi: XML parse error at offset " + std::to_string(parsed.offset) +
                         ": " + parsed.description());
  }
  const pugi::xml_node root = doc.document_element();
  if (!root || localName(root.name()) != kRoot) {
    return Status::error("isapi: root element is '" + std::string(root ? root.name() : "") +
                         "', expected EventNotificationAlert");
  }

  IsapiAlert alert;
  const pugi::xml_node event_type = childByLocalName(root, "eventType");
  if (!event_type) return Status::error("isapi: missing element EventNotificationAlert/eventType");
  alert.event_type = trimmedText(event_type);
  if (alert.event_type.empty()) {
    return Status::error("isapi: empty element EventNotificationAlert/eventType");
  }
  alert.event_state = optionalText(root, "eventState");
  alert.ip_address = optionalText(root, "ipAddress");
  alert.mac_address = optionalText(root, "macAddress");
  alert.uuid = msg::clipText(optionalText(root, "UUID"), msg::kMaxIdBytes);
  alert.date_time_text = optionalText(root, "dateTime");
  if (WallMs t = 0; !alert.date_time_text.empty() && parseUtcMs(alert.date_time_text, &t)) {
    alert.date_time_ms = t;
  }
  if (Status s =
          optionalInt(root, "channelID", "EventNotificationAlert/channelID", &alert.channel_id);
      !s) {
    return s;
  }

  if (!equalsIgnoreCase(alert.event_type, kIsapiAnprEventType)) return alert;
  const pugi::xml_node anpr_node = childByLocalName(root, "ANPR");
  if (!anpr_node) return Status::error("isapi: missing element EventNotificationAlert/ANPR");
  auto anpr = parseAnpr(anpr_node);
  if (!anpr) return anpr.status();
  alert.anpr = std::move(anpr).value();
  return alert;
}

nlohmann::json toJson(const IsapiAlert& alert) {
  nlohmann::json out = {
      {"format", "isapi"},
      {"event_type", alert.event_type},
      {"event_state", alert.event_state},
      {"date_time", alert.date_time_text},
      {"time_utc", alert.date_time_ms ? nlohmann::json(formatUtcMs(*alert.date_time_ms))
                                      : nlohmann::json(nullptr)},
      {"channel_id", optionalJson(alert.channel_id)},
      {"ip_address", alert.ip_address},
      {"mac_address", alert.mac_address},
      {"uuid", alert.uuid},
      {"anpr", nullptr},
  };
  if (alert.anpr) {
    const IsapiAnpr& anpr = *alert.anpr;
    nlohmann::json pictures = nlohmann::json::array();
    for (const IsapiPictureInfo& info : anpr.pictures) {
      pictures.push_back({{"file_name", info.file_name}, {"type", info.type}});
    }
    out["anpr"] = {{"license_plate", anpr.license_plate},
                   {"original_license_plate", anpr.original_license_plate},
                   {"confidence_pct", optionalJson(anpr.confidence_pct)},
                   {"direction", anpr.direction},
                   {"line", optionalJson(anpr.line)},
                   {"plate_char_confidence_pct", anpr.plate_char_confidence_pct},
                   {"country", anpr.country},
                   {"pictures", std::move(pictures)}};
  }
  return out;
}

}  // namespace kordon::drivers
