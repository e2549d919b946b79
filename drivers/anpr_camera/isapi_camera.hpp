// SPDX-License-Identifier: Apache-2.0
#pragma once

// Hikvision ISAPI "HTTP listening" receiver (device-protocols.md §4.1): the camera POSTs each
// event to kordond, and this class turns it into a msg::PlateRead.
//
// Accepted requests (anything else is a 4xx with a one-line reason and comms_errors++):
//   POST, Content-Type multipart/form-data (or any multipart/*): one XML part, found as the
//        part whose Content-Type mentions xml, else whose filename ends in ".xml", else whose
//        bytes start with '<'; image/jpeg parts are stored as evidence.
//   POST, Content-Type application/xml or text/xml (or none, with a body starting with '<'):
//        the XML alone, as some firmware sends it for events without pictures.
//
// Replies: 200 {"ok":true,...} once the evidence and the read are durable (the PlateCallback
// returned ok); 503 with Retry-After when either could not be saved (a full disk: the picture
// write failed, evidenceWriteFailures()++, or the journal did, store_failures++), warn-logged
// once per transition to failing and info-logged on recovery; 400 for a malformed body
// (a licensePlate longer than msg::kMaxPlateBytes included), 415 for an unsupported
// Content-Type, 405 for a method other than POST. Non-ANPR events (heartBeat, videoloss, ...)
// get a 200 so the camera does not retry, are not published, and are counted in
// ignoredEvents().
//
// A degraded input that still yields a plate read (the read is worth more than a picture): a
// JPEG part that does not start with FF D8 is rejected as evidence, comms_errors++.
//
// Health (anpr_camera.hpp): every well-formed alert, heartBeat included, is contact; rejected
// bodies and dropped pictures count as request errors.
//
// Thread-safety: prepare() from any thread; its completion, handle(), status() and tick() from
// the control loop. counters() may be read from any thread.

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "drivers/anpr_camera/anpr_camera.hpp"
#include "drivers/anpr_camera/isapi_event.hpp"
#include "drivers/anpr_camera/multipart.hpp"

namespace kordon::drivers {

class IsapiPushCamera final : public AnprCamera {
 public:
  IsapiPushCamera(CameraConfig config, EvidenceStore& evidence, const Clock& clock,
                  PlateCallback on_plate, StatusCallback on_status = nullptr);

  const CameraConfig& config() const override { return config_; }
  PushCompletion prepare(const http::Request& request) override;
  const DeviceCounters& counters() const override { return counters_; }
  msg::DeviceStatus status() const override { return health_.status(counters_); }
  void tick() override { health_.publishIfChanged(counters_); }

  std::uint64_t ignoredEvents() const { return ignored_events_.load(); }
  std::uint64_t rejectedImages() const { return rejected_images_.load(); }
  std::uint64_t evidenceWriteFailures() const { return evidence_write_failures_.load(); }

 private:
  // Control loop: counts, logs and answers a refused push.
  http::Response reject(int status, const std::string& reason, const std::string& remote);
  PushCompletion rejectLater(int status, std::string reason, const http::Request& request);
  enum class BodyKind { kMultipart, kXml };
  // The XML document of a push; for multipart bodies also the JPEG parts.
  Result<std::string> extractXml(const http::Request& request, BodyKind kind,
                                 std::vector<MultipartPart>* image_parts) const;
  // Stores the JPEG parts (any thread); an error when one could not be written. `rejected`
  // counts parts that are no JPEG.
  Result<std::vector<msg::Evidence>> storeImages(const std::vector<MultipartPart>& image_parts,
                                                 const IsapiAnpr& anpr, int* rejected);
  PushCompletion prepareValid(const http::Request& request, BodyKind kind);
  // Control loop: delivers the read and answers.
  http::Response deliver(const msg::PlateRead& read, bool pictures_rejected);

  CameraConfig config_;
  EvidenceStore& evidence_;
  const Clock& clock_;
  PlateCallback on_plate_;
  DeviceCounters counters_;
  PushHealth health_;
  std::atomic<std::uint64_t> ignored_events_{0};
  std::atomic<std::uint64_t> rejected_images_{0};
  std::atomic<std::uint64_t> evidence_write_failures_{0};
  // Log de-duplication, so a camera stuck sending the same bad body does not flood the log
  // (control loop only).
  std::string last_logged_reject_reason_;
  bool store_failing_ = false;
};

}  // namespace kordon::drivers
