// SPDX-License-Identifier: Apache-2.0
#include "drivers/anpr_camera/dahua_camera.hpp"

#include <algorithm>
#include <utility>

#include <nlohmann/json.hpp>

#include "edge/base/crypto.hpp"
#include "edge/base/log.hpp"

namespace kordon::drivers {

namespace {

constexpr std::string_view kTollgate = "TollgateInfo";
constexpr std::string_view kKeepAlive = "KeepAlive";

// Camera-supplied text may be invalid UTF-8; never let dump() throw.
http::Response reply(int status, const nlohmann::json& body) {
  return http::Response::json(status,
                              body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

bool hasJpegStartOfImage(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
         static_cast<unsigned char>(bytes[1]) == 0xD8;
}

std::string roleFor(std::string_view member) { return member == "NormalPic" ? "scene" : "plate"; }

std::string prefixFor(const std::string& path) {
  std::string base = path;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/NotificationInfo/";
}

}  // namespace

DahuaItsapiCamera::DahuaItsapiCamera(CameraConfig config, EvidenceStore& evidence,
                                     const Clock& clock, PlateCallback on_plate,
                                     StatusCallback on_status)
    : config_(std::move(config)),
      notification_prefix_(prefixFor(config_.path)),
      evidence_(evidence),
      clock_(clock),
      on_plate_(std::move(on_plate)),
      health_(config_, clock, std::move(on_status)) {}

bool DahuaItsapiCamera::handles(const std::string& request_path) const {
  return request_path.size() > notification_prefix_.size() &&
         request_path.compare(0, notification_prefix_.size(), notification_prefix_) == 0;
}

bool DahuaItsapiCamera::remember(std::deque<std::string>* memory, std::size_t capacity,
                                 const std::string& key) {
  if (std::find(memory->begin(), memory->end(), key) != memory->end()) return true;
  memory->push_back(key);
  if (memory->size() > capacity) memory->pop_front();
  return false;
}

http::Response DahuaItsapiCamera::handle(const http::Request& request) {
  if (!handles(request.path)) {
    return reply(404, {{"Result", false}, {"Message", "no such notification: " + request.path}});
  }
  if (request.method != "POST") {
    http::Response response = reply(405, {{"Result", false}, {"Message", "only POST is accepted"}});
    response.headers["Allow"] = "POST";
    return response;
  }
  const std::string_view notification =
      std::string_view(request.path).substr(notification_prefix_.size());
  http::Response response;
  if (notification == kTollgate) {
    response = handleTollgate(request);
  } else if (notification == kKeepAlive) {
    response = handleKeepAlive(request);
  } else {
    // Other ITSAPI notifications (device info, alarms): acknowledged so they are not re-sent.
    ignored_events_++;
    log::debug("dahua camera notification ignored",
               {{"camera", config_.device_id}, {"notification", std::string(notification)}});
    response = reply(200, {{"Result", true}});
  }
  health_.publishIfChanged(counters_);
  return response;
}

http::Response DahuaItsapiCamera::rejectMalformed(const std::string& reason,
                                                  const http::Request& request) {
  counters_.comms_errors++;
  health_.onRejectedRequest();
  const bool resent = remember(&rejected_bodies_, kRememberedRejects, sha256Hex(request.body));
  const auto level = reason == last_logged_reject_reason_ ? log::Level::kDebug : log::Level::kWarn;
  last_logged_reject_reason_ = reason;
  log::write(level, "dahua camera request rejected",
             {{"camera", config_.device_id},
              {"remote", request.remote},
              {"path", request.path},
              {"reason", reason},
              {"resent", resent},
              {"comms_errors", counters_.comms_errors.load()}});
  if (resent) {
    return reply(200, {{"Result", true}, {"Accepted", false}, {"Message", reason}});
  }
  return reply(400, {{"Result", false}, {"Message", reason}});
}

http::Response DahuaItsapiCamera::handleKeepAlive(const http::Request& request) {
  const auto first = request.body.find_first_not_of(" \t\r\n");
  if (first != std::string::npos &&
      !nlohmann::json::accept(request.body.begin(), request.body.end())) {
    return rejectMalformed("dahua: KeepAlive body is not JSON", request);
  }
  keep_alives_++;
  health_.onValidRequest(false);
  return reply(200, {{"Result", true}});
}

bool DahuaItsapiCamera::storePictures(const DahuaTollgate& event,
                                      std::vector<msg::Evidence>* stored) {
  bool rejected = false;
  for (const DahuaPicture& picture : event.pictures) {
    std::string problem;
    if (!picture.decode_error.empty()) {
      problem = picture.decode_error;
    } else if (!hasJpegStartOfImage(picture.bytes)) {
      problem = "not a JPEG (no FF D8 start of image)";
    }
    if (!problem.empty()) {
      // The read is still good; only this picture is unusable.
      rejected = true;
      counters_.comms_errors++;
      rejected_images_++;
      log::warn("dahua camera picture dropped", {{"camera", config_.device_id},
                                                 {"member", picture.member},
                                                 {"pic_name", picture.pic_name},
                                                 {"reason", problem}});
      continue;
    }
    auto evidence = evidence_.put(picture.bytes, "image/jpeg", roleFor(picture.member));
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
    stored->push_back(std::move(evidence).value());
  }
  return rejected;
}

http::Response DahuaItsapiCamera::handleTollgate(const http::Request& request) {
  auto event = parseDahuaTollgate(request.body);
  if (!event) return rejectMalformed(event.status().message(), request);
  if (!last_logged_reject_reason_.empty()) {
    last_logged_reject_reason_.clear();
    log::info("dahua camera sends valid events again", {{"camera", config_.device_id}});
  }

  // Dahua events carry no UUID: UploadNum (the camera's counter) with the snap time names one.
  const std::string event_id =
      event->upload_num
          ? "dahua:" + std::to_string(*event->upload_num) + "@" + event->accurate_time_text
          : "sha256:" + sha256Hex(request.body).substr(0, 32);
  if (remember(&delivered_events_, kRememberedEvents, event_id)) {
    duplicate_events_++;
    health_.onValidRequest(false);
    log::debug("dahua camera re-sent an event already delivered",
               {{"camera", config_.device_id}, {"event", event_id}});
    return reply(200, {{"Result", true}, {"Duplicate", true}});
  }

  msg::PlateRead read;
  read.camera_id = config_.device_id;
  read.lane = config_.lane;
  read.plate_raw = event->plate_number;
  read.confidence_pct = event->confidence_pct.value_or(0);
  read.direction = event->direction;
  read.source_event_id = event_id;
  read.time_ms = event->accurate_time_ms.value_or(clock_.nowWallMs());
  // Evidence is durable before the callback and the {"Result": true}.
  const bool pictures_rejected = storePictures(*event, &read.evidence);
  counters_.readings++;
  health_.onValidRequest(pictures_rejected);
  if (on_plate_) on_plate_(read);
  return reply(200, {{"Result", true}});
}

}  // namespace kordon::drivers
