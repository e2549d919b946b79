// SPDX-License-Identifier: Apache-2.0
#pragma once

// ANPR camera device class, push flavour: the camera POSTs its events to kordond's HTTP server
// ("HTTP listening" on Hikvision). The daemon routes POSTs on the configured path to
// the camera's receiver, which parses, stores the images as evidence and calls PlateCallback
// with a msg::PlateRead. handle() runs on the control loop; it persists the evidence *before*
// answering, because cameras do not re-send after a 200.
//
// Run recipe (HIL): build/bin/kordon-sim-anpr --target http://127.0.0.1:8080/anpr/L1
// paired with config  [lanes.camera] type = "isapi-push"  path = "/anpr/L1"

#include <functional>
#include <memory>
#include <string>

#include "drivers/common/device_counters.hpp"
#include "drivers/common/evidence_store.hpp"
#include "edge/base/clock.hpp"
#include "edge/base/http.hpp"
#include "edge/base/status.hpp"
#include "edge/msg/plate_read.hpp"

namespace kordon::drivers {

struct CameraConfig {
  std::string device_id = "cam1";
  std::string lane = "L1";
  std::string type = "isapi-push";  // factory key
  std::string path = "/anpr/L1";    // HTTP path the camera posts to
};

class AnprCamera {
 public:
  using PlateCallback = std::function<void(const msg::PlateRead&)>;
  virtual ~AnprCamera() = default;
  virtual const CameraConfig& config() const = 0;
  // Answers the camera's POST. Bad input gets a 4xx with a clear message and a counter.
  virtual http::Response handle(const http::Request& request) = 0;
  virtual const DeviceCounters& counters() const = 0;
};

Result<std::unique_ptr<AnprCamera>> makeAnprCamera(const CameraConfig& config,
                                                   EvidenceStore& evidence, const Clock& clock,
                                                   AnprCamera::PlateCallback on_plate);

}  // namespace kordon::drivers
