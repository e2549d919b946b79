// SPDX-License-Identifier: Apache-2.0
#include "drivers/anpr_camera/isapi_camera.hpp"

#include <cctype>
#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

#include "edge/base/log.hpp"

namespace kordon::drivers {

namespace {

bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string toLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool looksLikeXml(std::string_view bytes) {
  const std::size_t first = bytes.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && bytes[first] == '<') return true;
  // A UTF-8 byte order mark before the declaration is legal XML.
  return bytes.substr(0, 3) == "\xEF\xBB\xBF" && bytes.substr(3, 1) == "<";
}

bool isXmlPart(const MultipartPart& part) {
  return mediaTypeOf(part.content_type).find("xml") != std::string::npos ||
         endsWith(toLower(part.filename), ".xml") || looksLikeXml(part.body);
}

bool isJpegPart(const MultipartPart& part) {
  const std::string media_type = mediaTypeOf(part.content_type);
  if (media_type == "image/jpeg" || media_type == "image/jpg") return true;
  if (!media_type.empty() && media_type != "application/octet-stream") return false;
  const std::string filename = toLower(part.filename.empty() ? part.name : part.filename);
  return endsWith(filename, ".jpg") || endsWith(filename, ".jpeg");
}

bool hasJpegStartOfImage(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
         static_cast<unsigned char>(bytes[1]) == 0xD8;
}

// pictureInfo/type for a part: looked up by file name in the XML's pictureInfoList, else the
// file name without extension, which is what Hikvision names the parts anyway.
std::string pictureTypeFor(const MultipartPart& part, const IsapiAnpr& anpr) {
  for (const IsapiPictureInfo& info : anpr.pictures) {
    if (!info.file_name.empty() &&
        (info.file_name == part.filename || info.file_name == part.name)) {
      return info.type;
    }
  }
  const std::string& file_name = part.filename.empty() ? part.name : part.filename;
  return file_name.substr(0, file_name.rfind('.'));
}

std::string roleForPictureType(std::string_view picture_type) {
  static constexpr std::pair<std::string_view, std::string_view> kRoles[] = {
      {"licensePlatePicture", "plate"},
      {"detectionPicture", "scene"},
  };
  for (const auto& [type, role] : kRoles) {
    if (type == picture_type) return std::string(role);
  }
  return "image";
}

// Camera-supplied text (UUID, event type) may be invalid UTF-8; never let dump() throw.
std::string dumpJson(const nlohmann::json& body) {
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

IsapiPushCamera::IsapiPushCamera(CameraConfig config, EvidenceStore& evidence, const Clock& clock,
                                 PlateCallback on_plate, StatusCallback on_status)
    : config_(std::move(config)),
      evidence_(evidence),
      clock_(clock),
      on_plate_(std::move(on_plate)),
      health_(config_, clock, std::move(on_status)) {}

http::Response IsapiPushCamera::reject(int status, const std::string& reason,
                                       const http::Request& request) {
  counters_.comms_errors++;
  health_.onRejectedRequest();
  // Warn when the kind of problem changes, not on every repeat (counters carry the rate).
  const auto level = reason == last_logged_reject_reason_ ? log::Level::kDebug : log::Level::kWarn;
  last_logged_reject_reason_ = reason;
  log::write(level, "anpr camera request rejected",
             {{"camera", config_.device_id},
              {"remote", request.remote},
              {"status", status},
              {"reason", reason},
              {"comms_errors", counters_.comms_errors.load()}});
  return http::Response::text(status, reason + "\n");
}

Result<std::string> IsapiPushCamera::extractXml(const http::Request& request, BodyKind kind,
                                                std::vector<MultipartPart>* image_parts) const {
  if (kind == BodyKind::kXml) return request.body;
  auto parts = parseMultipart(request.header("content-type"), request.body);
  if (!parts) return parts.status();
  std::optional<std::size_t> xml_index;
  for (std::size_t i = 0; i < parts->size(); ++i) {
    if (isXmlPart((*parts)[i])) {
      xml_index = i;
      break;
    }
  }
  if (!xml_index) return Status::error("multipart body has no XML part");
  for (std::size_t i = 0; i < parts->size(); ++i) {
    if (i != *xml_index && isJpegPart((*parts)[i])) image_parts->push_back(std::move((*parts)[i]));
  }
  return std::move((*parts)[*xml_index].body);
}

std::vector<msg::Evidence> IsapiPushCamera::storeImages(
    const std::vector<MultipartPart>& image_parts, const IsapiAnpr& anpr) {
  std::vector<msg::Evidence> stored;
  for (const MultipartPart& part : image_parts) {
    const std::string& file_name = part.filename.empty() ? part.name : part.filename;
    if (!hasJpegStartOfImage(part.body)) {
      // The read is still good; only this picture is unusable.
      counters_.comms_errors++;
      rejected_images_++;
      log::warn(
          "anpr camera sent a JPEG part without a JPEG header; picture dropped",
          {{"camera", config_.device_id}, {"file", file_name}, {"size_bytes", part.body.size()}});
      continue;
    }
    const std::string role = roleForPictureType(pictureTypeFor(part, anpr));
    auto evidence = evidence_.put(part.body, "image/jpeg", role);
    if (!evidence) {
      evidence_write_failures_++;
      if (!evidence_failing_) {
        evidence_failing_ = true;
        log::warn("evidence store failing; plate reads continue without pictures",
                  {{"camera", config_.device_id}, {"error", evidence.status().message()}});
      }
      continue;
    }
    if (evidence_failing_) {
      evidence_failing_ = false;
      log::info("evidence store recovered", {{"camera", config_.device_id}});
    }
    stored.push_back(std::move(evidence).value());
  }
  return stored;
}

http::Response IsapiPushCamera::handle(const http::Request& request) {
  if (request.method != "POST") {
    log::debug("anpr camera endpoint got a non-POST request",
               {{"camera", config_.device_id}, {"method", request.method}});
    http::Response response = http::Response::text(405, "only POST is accepted\n");
    response.headers["Allow"] = "POST";
    return response;
  }

  const std::string media_type = mediaTypeOf(request.header("content-type"));
  BodyKind kind = BodyKind::kXml;
  if (media_type.rfind("multipart/", 0) == 0) {
    kind = BodyKind::kMultipart;
  } else if (media_type == "application/xml" || media_type == "text/xml" ||
             (media_type.empty() && looksLikeXml(request.body))) {
    kind = BodyKind::kXml;
  } else {
    http::Response response = reject(415, "unsupported Content-Type '" + media_type + "'", request);
    health_.publishIfChanged(counters_);
    return response;
  }
  http::Response response = handleValid(request, kind);
  health_.publishIfChanged(counters_);
  return response;
}

http::Response IsapiPushCamera::handleValid(const http::Request& request, BodyKind kind) {
  std::vector<MultipartPart> image_parts;
  auto xml = extractXml(request, kind, &image_parts);
  if (!xml) return reject(400, xml.status().message(), request);
  auto alert = parseIsapiAlert(*xml);
  if (!alert) return reject(400, alert.status().message(), request);
  if (!last_logged_reject_reason_.empty()) {
    last_logged_reject_reason_.clear();
    log::info("anpr camera sends valid events again", {{"camera", config_.device_id}});
  }

  if (!alert->isAnpr()) {
    health_.onValidRequest(false);  // heartBeat and other events prove the camera is alive
    ignored_events_++;
    log::debug("anpr camera non-ANPR event ignored",
               {{"camera", config_.device_id}, {"event_type", alert->event_type}});
    return http::Response::json(
        200, dumpJson(nlohmann::json{{"ok", true}, {"ignored", alert->event_type}}));
  }

  const IsapiAnpr& anpr = *alert->anpr;
  msg::PlateRead read;
  read.camera_id = config_.device_id;
  read.lane = config_.lane;
  read.plate_raw = anpr.license_plate;
  read.confidence_pct = anpr.confidence_pct.value_or(0);
  read.direction = anpr.direction;
  read.source_event_id = alert->uuid;
  if (alert->date_time_ms) {
    read.time_ms = *alert->date_time_ms;
  } else {
    read.time_ms = clock_.nowWallMs();
    if (!alert->date_time_text.empty()) {
      log::debug("anpr camera dateTime unparseable; using receive time",
                 {{"camera", config_.device_id}, {"date_time", alert->date_time_text}});
    }
  }
  // Evidence is durable before the callback and the 200: cameras do not re-send.
  const std::uint64_t rejected_before = rejected_images_.load();
  read.evidence = storeImages(image_parts, anpr);
  counters_.readings++;
  health_.onValidRequest(rejected_images_.load() != rejected_before);
  if (on_plate_) on_plate_(read);
  return http::Response::json(
      200, dumpJson(nlohmann::json{
               {"ok", true}, {"event", read.source_event_id}, {"evidence", read.evidence.size()}}));
}

}  // namespace kordon::drivers
