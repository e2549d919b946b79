// SPDX-License-Identifier: Apache-2.0
#pragma once

// Dahua ITSAPI platform-push receiver (device-protocols.md §4.2), camera type "dahua-itsapi".
// The camera is configured with the box as its "platform server" (Protocol Version V1.19) and
// POSTs JSON to fixed sub-paths. With CameraConfig.path = "/anpr/L2" this class owns:
//
//   POST /anpr/L2/NotificationInfo/TollgateInfo   a plate event (dahua_event.hpp): pictures are
//        stored as evidence, then PlateCallback runs, then the reply goes out: {"Result": true}
//        only once both are durable; otherwise 503 {"Result": false} with Retry-After, and the
//        camera re-sends (store_failures, evidenceWriteFailures()).
//   POST /anpr/L2/NotificationInfo/KeepAlive      a heartbeat; body empty or any JSON.
//   POST /anpr/L2/NotificationInfo/<other>        other notifications: acknowledged, ignored.
//
// Firmware that cannot prefix the path posts to /NotificationInfo/... : configure path = "/"
// (then only one Dahua camera per box can be told apart by path).
//
// Replies. The camera re-sends a notification until the reply body is {"Result": true}, so:
//   200 {"Result": true}                     event stored (or heartbeat / ignored notification).
//   200 {"Result": true, "Duplicate": true}  a re-send of an event already delivered (same
//                                            UploadNum and AccurateTime, or same body bytes when
//                                            UploadNum is absent): no second PlateRead.
//   400 {"Result": false, "Message": ...}    a malformed body (not JSON, wrong member types,
//                                            missing Picture.Plate.PlateNumber) seen for the
//                                            first time. The camera re-sends it once: a body
//                                            corrupted on the camera's side may come out right.
//   200 {"Result": true, "Accepted": false, "Message": ...}
//                                            the same malformed bytes again (remembered by
//                                            SHA-256, last kRememberedRejects bodies). Nothing
//                                            good can come of further re-sends of identical
//                                            bytes, and an unacknowledged notification would
//                                            block the camera's upload queue forever; the
//                                            event is lost either way and is counted.
//   405 for methods other than POST, 404 for paths outside <path>/NotificationInfo/.
// Every malformed body counts comms_errors and a warn log per change of reason.
//
// A degraded input that still yields a plate read: a picture whose Content is not base64 or not
// a JPEG (no FF D8) is dropped, comms_errors++ and rejectedImages()++.
//
// Thread-safety: prepare() from any thread; its completion, handle(), status() and tick() from
// the control loop. counters() and the accessors below may be read from any thread.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "drivers/anpr_camera/anpr_camera.hpp"
#include "drivers/anpr_camera/dahua_event.hpp"

namespace kordon::drivers {

inline constexpr std::size_t kRememberedRejects = 16;
inline constexpr std::size_t kRememberedEvents = 64;

class DahuaItsapiCamera final : public AnprCamera {
 public:
  DahuaItsapiCamera(CameraConfig config, EvidenceStore& evidence, const Clock& clock,
                    PlateCallback on_plate, StatusCallback on_status = nullptr);

  const CameraConfig& config() const override { return config_; }
  bool handles(const std::string& request_path) const override;
  PushCompletion prepare(const http::Request& request) override;
  const DeviceCounters& counters() const override { return counters_; }
  msg::DeviceStatus status() const override { return health_.status(counters_); }
  void tick() override { health_.publishIfChanged(counters_); }

  std::uint64_t keepAlives() const { return keep_alives_.load(); }
  std::uint64_t duplicateEvents() const { return duplicate_events_.load(); }
  std::uint64_t ignoredEvents() const { return ignored_events_.load(); }
  std::uint64_t rejectedImages() const { return rejected_images_.load(); }
  std::uint64_t evidenceWriteFailures() const { return evidence_write_failures_.load(); }

 private:
  PushCompletion prepareTollgate(const http::Request& request);
  PushCompletion prepareKeepAlive(const http::Request& request);
  // Control loop: counts, logs and answers a malformed body.
  http::Response rejectMalformed(const std::string& reason, const std::string& body_sha256,
                                 const std::string& remote, const std::string& path);
  PushCompletion rejectLater(std::string reason, const http::Request& request);
  // Stores the decodable JPEGs (any thread); an error when one could not be written.
  // `rejected` says whether any picture was unusable.
  Result<std::vector<msg::Evidence>> storePictures(const DahuaTollgate& event, bool* rejected);
  // Control loop: the tail of every answer.
  http::Response answered(http::Response response) {
    health_.publishIfChanged(counters_);
    return response;
  }
  static bool remember(std::deque<std::string>* memory, std::size_t capacity,
                       const std::string& key);

  CameraConfig config_;
  std::string notification_prefix_;  // "<path>/NotificationInfo/"
  EvidenceStore& evidence_;
  const Clock& clock_;
  PlateCallback on_plate_;
  DeviceCounters counters_;
  PushHealth health_;
  std::atomic<std::uint64_t> keep_alives_{0};
  std::atomic<std::uint64_t> duplicate_events_{0};
  std::atomic<std::uint64_t> ignored_events_{0};
  std::atomic<std::uint64_t> rejected_images_{0};
  std::atomic<std::uint64_t> evidence_write_failures_{0};
  std::deque<std::string> rejected_bodies_;   // SHA-256 of recent malformed bodies
  std::deque<std::string> delivered_events_;  // event keys of recent deliveries
  std::string last_logged_reject_reason_;
  bool store_failing_ = false;
};

}  // namespace kordon::drivers
