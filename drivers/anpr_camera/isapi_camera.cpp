// SPDX-License-Identifier: Apache-2.0
#include "drivers/anpr_camera/isapi_camera.hpp"

#include <cctype>
#include <optional>
#include <utility>

#include <nlohmann/json.hpp>

#include "edge/base/log.hpp"
#include "edge/msg/limits.hpp"

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
                                       const std::string& remote) {
  counters_.comms_errors++;
  health_.onRejectedRequest();
  // Warn when the kind of problem changes, not on every repeat (counters carry the rate).
  const auto level = reason == last_logged_reject_reason_ ? log::Level::kDebug : log::Level::kWarn;
  last_logged_reject_reason_ = reason;
  log::write(level, "anpr camera request rejected",
             {{"camera", config_.device_id},
              {"remote", remote},
              {"status", status},
              {"reason", reason},
              {"comms_errors", counters_.comms_errors.load()}});
  http::Response response = http::Response::text(status, reason + "\n");
  health_.publishIfChanged(counters_);
  return response;
}

PushCompletion IsapiPushCamera::rejectLater(int status, std::string reason,
                                            const http::Request& request) {
  return [this, status, reason = std::move(reason), remote = request.remote] {
    return reject(status, reason, remote);
  };
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

Result<std::vector<msg::Evidence>> IsapiPushCamera::storeImages(
    const std::vector<MultipartPart>& image_parts, const IsapiAnpr& anpr, int* rejected) {
  std::vector<msg::Evidence> stored;
  for (const MultipartPart& part : image_parts) {
    const std::string& file_name = part.filename.empty() ? part.name : part.filename;
    if (!hasJpegStartOfImage(part.body) || stored.size() >= msg::kMaxListItems) {
      // The read is still good; only this picture is unusable.
      counters_.comms_errors++;
      rejected_images_++;
      ++*rejected;
      log::warn("anpr camera sent a JPEG part without a JPEG header (or too many); picture dropped",
                {{"camera", config_.device_id},
                 {"file", msg::clipText(file_name)},
                 {"size_bytes", part.body.size()}});
      continue;
    }
    const std::string role = roleForPictureType(pictureTypeFor(part, anpr));
    auto evidence = evidence_.put(part.body, "image/jpeg", role);
    if (!evidence) {
      evidence_write_failures_++;
      return evidence.status();
    }
    stored.push_back(std::move(evidence).value());
  }
  return stored;
}

PushCompletion IsapiPushCamera::prepare(const http::Request& request) {
  if (request.method != "POST") {
    return [this, method = request.method] {
      log::debug("anpr camera endpoint got a non-POST request",
                 {{"camera", config_.device_id}, {"method", msg::clipText(method, 16)}});
      http::Response response = http::Response::text(405, "only POST is accepted\n");
      response.headers["Allow"] = "POST";
      return response;
    };
  }
  const std::string media_type = mediaTypeOf(request.header("content-type"));
  BodyKind kind = BodyKind::kXml;
  if (media_type.rfind("multipart/", 0) == 0) {
    kind = BodyKind::kMultipart;
  } else if (media_type == "application/xml" || media_type == "text/xml" ||
             (media_type.empty() && looksLikeXml(request.body))) {
    kind = BodyKind::kXml;
  } else {
    return rejectLater(415, "unsupported Content-Type '" + msg::clipText(media_type, 64) + "'",
                       request);
  }
  return prepareValid(request, kind);
}

PushCompletion IsapiPushCamera::prepareValid(const http::Request& request, BodyKind kind) {
  std::vector<MultipartPart> image_parts;
  auto xml = extractXml(request, kind, &image_parts);
  if (!xml) return rejectLater(400, xml.status().message(), request);
  auto alert = parseIsapiAlert(*xml);
  if (!alert) return rejectLater(400, alert.status().message(), request);

  if (!alert->isAnpr()) {
    return [this, event_type = msg::clipText(alert->event_type, 64)] {
      if (!last_logged_reject_reason_.empty()) {
        last_logged_reject_reason_.clear();
        log::info("anpr camera sends valid events again", {{"camera", config_.device_id}});
      }
      health_.onValidRequest(false);  // heartBeat and other events prove the camera is alive
      ignored_events_++;
      log::debug("anpr camera non-ANPR event ignored",
                 {{"camera", config_.device_id}, {"event_type", event_type}});
      health_.publishIfChanged(counters_);
      return http::Response::json(200,
                                  dumpJson(nlohmann::json{{"ok", true}, {"ignored", event_type}}));
    };
  }

  const IsapiAnpr& anpr = *alert->anpr;
  msg::PlateRead read;
  read.camera_id = config_.device_id;
  read.lane = config_.lane;
  read.plate_raw = anpr.license_plate;
  read.confidence_pct = anpr.confidence_pct.value_or(0);
  read.direction = anpr.direction;
  read.source_event_id = alert->uuid;
  bool time_unparsed = false;
  if (alert->date_time_ms) {
    read.time_ms = *alert->date_time_ms;
  } else {
    read.time_ms = clock_.nowWallMs();
    time_unparsed = !alert->date_time_text.empty();
  }
  // Pictures are durable before the read is delivered, and both before any 200.
  int rejected = 0;
  auto evidence = storeImages(image_parts, anpr, &rejected);
  const Status written = evidence ? Status::ok() : evidence.status();
  if (evidence) read.evidence = std::move(evidence).value();
  return [this, read = std::move(read), written, rejected, time_unparsed,
          date_time = msg::clipText(alert->date_time_text, 64)] {
    health_.noteEvidence(written);
    if (!last_logged_reject_reason_.empty()) {
      last_logged_reject_reason_.clear();
      log::info("anpr camera sends valid events again", {{"camera", config_.device_id}});
    }
    if (time_unparsed) {
      log::debug("anpr camera dateTime unparseable; using receive time",
                 {{"camera", config_.device_id}, {"date_time", date_time}});
    }
    if (!written) {
      counters_.store_failures++;
      health_.onRejectedRequest();
      health_.publishIfChanged(counters_);
      return notSavedResponse("pictures not saved: " + written.message());
    }
    return deliver(read, rejected > 0);
  };
}

http::Response IsapiPushCamera::deliver(const msg::PlateRead& read, bool pictures_rejected) {
  const Status saved = on_plate_ ? on_plate_(read) : Status::ok();
  if (!saved) {
    counters_.store_failures++;
    health_.onRejectedRequest();
    if (!store_failing_) {
      store_failing_ = true;
      log::warn("plate reads are not saved; the camera is answered 503 and re-sends",
                {{"camera", config_.device_id}, {"error", saved.message()}});
    }
    health_.publishIfChanged(counters_);
    return notSavedResponse(saved.message());
  }
  if (store_failing_) {
    store_failing_ = false;
    log::info("plate reads are saved again", {{"camera", config_.device_id}});
  }
  counters_.readings++;
  health_.onValidRequest(pictures_rejected);
  health_.publishIfChanged(counters_);
  return http::Response::json(
      200, dumpJson(nlohmann::json{
               {"ok", true}, {"event", read.source_event_id}, {"evidence", read.evidence.size()}}));
}

}  // namespace kordon::drivers
