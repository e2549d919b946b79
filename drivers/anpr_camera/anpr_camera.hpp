// SPDX-License-Identifier: Apache-2.0
#pragma once

// ANPR camera device class, push flavour: the camera POSTs its events to kordond's HTTP server
// ("HTTP listening" on Hikvision). The daemon routes POSTs on the configured path to
// the camera's receiver, which parses, stores the images as evidence and calls PlateCallback
// with a msg::PlateRead. A camera is answered 2xx only once the read and its pictures are
// durable (the PlateCallback returned ok), because cameras do not re-send after a 200; a read
// that could not be saved (evidence or journal write failed: a full disk) is answered 503 with
// Retry-After, which the camera re-sends, and counted (counters().store_failures).
//
// A push is answered in two halves, so that what costs in proportion to the body (parsing it,
// writing its pictures with fsync) runs on a receiver worker, off the control loop:
// prepare() may run on any thread (it touches only the evidence store and atomic counters); the
// PushCompletion it returns must run on the control loop, where it delivers the reading, keeps
// health and logs, and gives the answer. handle() runs both halves on the calling thread.
//
// Camera types (the factory's table): "isapi-push" (Hikvision, isapi_camera.hpp),
// "dahua-itsapi" (Dahua ITSAPI TollgateInfo JSON push, dahua_camera.hpp) and "frames" (a
// camera that only gives pictures: Kordon pulls them and reads the plate itself,
// frame_camera.hpp). Pulled cameras run between start() and stop(); push cameras ignore both.
//
// Routing: the daemon gives a request to the first camera whose handles(request.path) is true.
// ISAPI cameras own exactly config().path; Dahua cameras own <path>/NotificationInfo/*.
//
// Health (push cameras cannot be polled, so silence is the failure signal): status() says
//   not_connected  no valid event or heartbeat since the driver started (and not yet
//                  stale_after_ms old: after that it is no_data);
//   no_data        no valid event or heartbeat (ISAPI heartBeat, Dahua KeepAlive) for
//                  stale_after_ms;
//   degraded       otherwise, when >= kDegradedErrorCount of the last kHealthWindowRequests
//                  requests had an error (rejected body, rejected picture);
//   good           otherwise.
// tick() re-evaluates health and calls the StatusCallback when the health value changes
// (handle() does the same after each request); call it from the control loop's 1 s tick.
//
// Run recipe (HIL): build/bin/kordon-sim-anpr --target http://127.0.0.1:8080/anpr/L1
// paired with config  [lanes.camera] type = "isapi-push"  path = "/anpr/L1"
//   Dahua: kordon-sim-anpr --protocol dahua --target http://127.0.0.1:8080/anpr/L2
// paired with config  [lanes.camera] type = "dahua-itsapi"  path = "/anpr/L2"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drivers/common/device_context.hpp"
#include "drivers/common/device_counters.hpp"
#include "drivers/common/evidence_store.hpp"
#include "edge/base/clock.hpp"
#include "edge/base/http.hpp"
#include "edge/base/status.hpp"
#include "edge/msg/device_status.hpp"
#include "edge/msg/plate_read.hpp"

namespace kordon::drivers {

struct CameraConfig {
  std::string device_id = "cam1";
  std::string lane = "L1";
  std::string type = "isapi-push";  // factory key
  std::string path = "/anpr/L1";    // HTTP path the camera posts to (Dahua: the prefix)
  // No valid event or heartbeat for this long -> health no_data. Cameras send heartbeats
  // every 30..60 s by default, so two missed ones are tolerated.
  std::int64_t stale_after_ms = 120'000;
  // Push cameras: who may push to `path` (edge/base/http_auth.hpp), checked by the daemon
  // before the body is read: the camera's own addresses, and its credentials where it has
  // them (Hikvision: HTTP listening's authentication; Dahua: the platform's user).
  std::vector<std::string> allow_from = {"127.0.0.1", "::1"};
  std::string auth = "none";  // "none" | "basic" | "digest"
  std::string username;
  std::string password;
  std::string realm = "kordon";
  // type "frames" only (frame_camera.hpp):
  std::string url;  // http://.../snapshot.jpg, or rtsp://... (OpenCV videoio)
  std::int64_t poll_interval_ms = 200;
  int workers = 1;                  // reader threads; frames arriving while all are busy drop
  std::int64_t fuse_gap_ms = 1500;  // a vehicle's reads end after this much silence
  double min_confidence = 0.5;      // reads below it are not fused
  std::string model_path;           // empty: the model the build trained
};

inline constexpr int kHealthWindowRequests = 5;  // requests looked at for kDegraded
inline constexpr int kDegradedErrorCount = 2;    // errors among them that make it degraded

// The control-loop half of answering a push (see the header comment).
using PushCompletion = std::function<http::Response()>;

class AnprCamera {
 public:
  // Ok once the read is durable (journalled); an error means it was not saved.
  using PlateCallback = std::function<Status(const msg::PlateRead&)>;
  using StatusCallback = std::function<void(const msg::DeviceStatus&)>;
  // Called on the control loop: a push's read in its completion, a frame camera's on its tick.
  struct Sink {
    PlateCallback plate;
    StatusCallback status;  // optional
  };
  virtual ~AnprCamera() = default;
  virtual const CameraConfig& config() const = 0;
  // Pulled cameras start their threads here and join them in stop(); push cameras need
  // neither (they answer handle()).
  virtual void start() {}
  virtual void stop() {}
  // True when this camera answers requests on `request_path` (the daemon's router).
  virtual bool handles(const std::string& request_path) const {
    return request_path == config().path;
  }
  // Answers the camera's POST. Bad input gets a 4xx with a clear message and a counter.
  virtual PushCompletion prepare(const http::Request& request) = 0;
  http::Response handle(const http::Request& request) { return prepare(request)(); }
  virtual const DeviceCounters& counters() const = 0;
  // Health now (by the injected clock), with the counters; device_class "anpr_camera".
  virtual msg::DeviceStatus status() const = 0;
  // Re-evaluates health; calls the StatusCallback when it changed. Control loop only.
  virtual void tick() = 0;
};

// The answer to a push whose read could not be saved: 503, Retry-After, never a 2xx.
http::Response notSavedResponse(const std::string& reason);

// Push-camera health bookkeeping shared by the camera kinds (rules in the header comment).
// Not thread-safe: used from the thread that calls handle()/tick() (the control loop).
class PushHealth {
 public:
  PushHealth(const CameraConfig& config, const Clock& clock, AnprCamera::StatusCallback on_status);
  // A well-formed event or heartbeat; `had_errors` when part of it was rejected (a picture).
  void onValidRequest(bool had_errors);
  // A request whose body was rejected: the camera is talking, but not sense.
  void onRejectedRequest();
  msg::DeviceStatus status(const DeviceCounters& counters) const;
  // Calls on_status when the health value differs from the last one published; logs a warn
  // on a transition away from good and an info on the return to good.
  void publishIfChanged(const DeviceCounters& counters);
  // The outcome of writing a push's pictures: logs a warn when the evidence store starts
  // failing and an info when it takes pictures again, once per transition.
  void noteEvidence(const Status& written);

 private:
  void recordOutcome(bool error);
  int recentErrors() const;

  const CameraConfig& config_;
  const Clock& clock_;
  AnprCamera::StatusCallback on_status_;
  std::chrono::steady_clock::time_point started_;
  std::optional<std::chrono::steady_clock::time_point> last_contact_;
  unsigned recent_outcomes_ = 0;  // bit i set: the i-th most recent request had an error
  int recent_count_ = 0;          // requests recorded, up to kHealthWindowRequests
  std::optional<msg::DeviceHealth> published_;
  bool evidence_failing_ = false;
};

// Returns an error naming the field for a bad configuration or an unknown type. The context's
// evidence store keeps the images.
Result<std::unique_ptr<AnprCamera>> makeAnprCamera(const CameraConfig& config,
                                                   const DeviceContext& context,
                                                   AnprCamera::Sink sink);

}  // namespace kordon::drivers
