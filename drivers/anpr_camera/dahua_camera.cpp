// SPDX-License-Identifier: Apache-2.0
#include "drivers/anpr_camera/dahua_camera.hpp"

#include <algorithm>
#include <utility>

#include <nlohmann/json.hpp>

#include "edge/base/crypto.hpp"
#include "edge/base/log.hpp"
#include "edge/msg/limits.hpp"

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

PushCompletion DahuaItsapiCamera::prepare(const http::Request& request) {
  if (!handles(request.path)) {
    return [this, path = msg::clipText(request.path, 128)] {
      return answered(
          reply(404, {{"Result", false}, {"Message", "no such notification: " + path}}));
    };
  }
  if (request.method != "POST") {
    return [this] {
      http::Response response =
          reply(405, {{"Result", false}, {"Message", "only POST is accepted"}});
      response.headers["Allow"] = "POST";
      return answered(response);
    };
  }
  const std::string_view notification =
      std::string_view(request.path).substr(notification_prefix_.size());
  if (notification == kTollgate) return prepareTollgate(request);
  if (notification == kKeepAlive) return prepareKeepAlive(request);
  // Other ITSAPI notifications (device info, alarms): acknowledged so they are not re-sent.
  return [this, name = msg::clipText(notification, 64)] {
    ignored_events_++;
    log::debug("dahua camera notification ignored",
               {{"camera", config_.device_id}, {"notification", name}});
    return answered(reply(200, {{"Result", true}}));
  };
}

http::Response DahuaItsapiCamera::rejectMalformed(const std::string& reason,
                                                  const std::string& body_sha256,
                                                  const std::string& remote,
                                                  const std::string& path) {
  counters_.comms_errors++;
  health_.onRejectedRequest();
  const bool resent = remember(&rejected_bodies_, kRememberedRejects, body_sha256);
  const auto level = reason == last_logged_reject_reason_ ? log::Level::kDebug : log::Level::kWarn;
  last_logged_reject_reason_ = reason;
  log::write(level, "dahua camera request rejected",
             {{"camera", config_.device_id},
              {"remote", remote},
              {"path", path},
              {"reason", reason},
              {"resent", resent},
              {"comms_errors", counters_.comms_errors.load()}});
  if (resent) {
    return answered(reply(200, {{"Result", true}, {"Accepted", false}, {"Message", reason}}));
  }
  return answered(reply(400, {{"Result", false}, {"Message", reason}}));
}

PushCompletion DahuaItsapiCamera::rejectLater(std::string reason, const http::Request& request) {
  return [this, reason = std::move(reason), sha = sha256Hex(request.body), remote = request.remote,
          path = msg::clipText(request.path, 128)] {
    return rejectMalformed(reason, sha, remote, path);
  };
}

PushCompletion DahuaItsapiCamera::prepareKeepAlive(const http::Request& request) {
  const auto first = request.body.find_first_not_of(" \t\r\n");
  if (first != std::string::npos &&
      !nlohmann::json::accept(request.body.begin(), request.body.end())) {
    return rejectLater("dahua: KeepAlive body is not JSON", request);
  }
  return [this] {
    keep_alives_++;
    health_.onValidRequest(false);
    return answered(reply(200, {{"Result", true}}));
  };
}

Result<std::vector<msg::Evidence>> DahuaItsapiCamera::storePictures(const DahuaTollgate& event,
                                                                    bool* rejected) {
  std::vector<msg::Evidence> stored;
  for (const DahuaPicture& picture : event.pictures) {
    std::string problem;
    if (!picture.decode_error.empty()) {
      problem = picture.decode_error;
    } else if (!hasJpegStartOfImage(picture.bytes)) {
      problem = "not a JPEG (no FF D8 start of image)";
    } else if (stored.size() >= msg::kMaxListItems) {
      problem = "too many pictures";
    }
    if (!problem.empty()) {
      // The read is still good; only this picture is unusable.
      *rejected = true;
      counters_.comms_errors++;
      rejected_images_++;
      log::warn("dahua camera picture dropped", {{"camera", config_.device_id},
                                                 {"member", picture.member},
                                                 {"pic_name", msg::clipText(picture.pic_name)},
                                                 {"reason", problem}});
      continue;
    }
    auto evidence = evidence_.put(picture.bytes, "image/jpeg", roleFor(picture.member));
    if (!evidence) {
      evidence_write_failures_++;
      return evidence.status();
    }
    stored.push_back(std::move(evidence).value());
  }
  return stored;
}

PushCompletion DahuaItsapiCamera::prepareTollgate(const http::Request& request) {
  auto event = parseDahuaTollgate(request.body);
  if (!event) return rejectLater(event.status().message(), request);

  // Dahua events carry no UUID: UploadNum (the camera's counter) with the snap time names one.
  const std::string event_id = event->upload_num
                                   ? "dahua:" + std::to_string(*event->upload_num) + "@" +
                                         msg::clipText(event->accurate_time_text, 64)
                                   : "sha256:" + sha256Hex(request.body).substr(0, 32);
  msg::PlateRead read;
  read.camera_id = config_.device_id;
  read.lane = config_.lane;
  read.plate_raw = event->plate_number;
  read.confidence_pct = event->confidence_pct.value_or(0);
  read.direction = msg::clipText(event->direction, 32);
  read.source_event_id = event_id;
  read.time_ms = event->accurate_time_ms.value_or(clock_.nowWallMs());
  // Pictures are durable before the read is delivered, and both before {"Result": true}.
  bool pictures_rejected = false;
  auto evidence = storePictures(*event, &pictures_rejected);
  const Status written = evidence ? Status::ok() : evidence.status();
  if (evidence) read.evidence = std::move(evidence).value();
  return [this, read = std::move(read), written, pictures_rejected] {
    if (!last_logged_reject_reason_.empty()) {
      last_logged_reject_reason_.clear();
      log::info("dahua camera sends valid events again", {{"camera", config_.device_id}});
    }
    if (std::find(delivered_events_.begin(), delivered_events_.end(), read.source_event_id) !=
        delivered_events_.end()) {
      duplicate_events_++;
      health_.onValidRequest(false);
      log::debug("dahua camera re-sent an event already delivered",
                 {{"camera", config_.device_id}, {"event", read.source_event_id}});
      return answered(reply(200, {{"Result", true}, {"Duplicate", true}}));
    }
    health_.noteEvidence(written);
    const Status saved = !written ? written.withContext("pictures not saved")
                                  : (on_plate_ ? on_plate_(read) : Status::ok());
    if (!saved) {
      counters_.store_failures++;
      health_.onRejectedRequest();
      if (!store_failing_ && written) {
        store_failing_ = true;
        log::warn("plate reads are not saved; the camera is answered 503 and re-sends",
                  {{"camera", config_.device_id}, {"error", saved.message()}});
      }
      http::Response response = notSavedResponse(saved.message());
      response.body =
          reply(503, {{"Result", false}, {"Message", "not saved: " + saved.message()}}).body;
      return answered(response);
    }
    if (store_failing_) {
      store_failing_ = false;
      log::info("plate reads are saved again", {{"camera", config_.device_id}});
    }
    remember(&delivered_events_, kRememberedEvents, read.source_event_id);
    counters_.readings++;
    health_.onValidRequest(pictures_rejected);
    return answered(reply(200, {{"Result", true}}));
  };
}

}  // namespace kordon::drivers
