// SPDX-License-Identifier: Apache-2.0
// makeAnprCamera(): configuration type name -> implementation (ArduPilot serial definitions
// table). Add a camera kind by adding a row, never an if/else chain.

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "drivers/anpr_camera/anpr_camera.hpp"
#include "drivers/anpr_camera/dahua_camera.hpp"
#include "drivers/anpr_camera/frame_camera.hpp"
#include "drivers/anpr_camera/isapi_camera.hpp"

namespace kordon::drivers {

namespace {

using CameraFactory = std::unique_ptr<AnprCamera> (*)(const CameraConfig&, EvidenceStore&,
                                                      const Clock&, AnprCamera::PlateCallback,
                                                      AnprCamera::StatusCallback);

template <typename Camera>
std::unique_ptr<AnprCamera> makeCamera(const CameraConfig& config, EvidenceStore& evidence,
                                       const Clock& clock, AnprCamera::PlateCallback on_plate,
                                       AnprCamera::StatusCallback on_status) {
  return std::make_unique<Camera>(config, evidence, clock, std::move(on_plate),
                                  std::move(on_status));
}

constexpr std::pair<std::string_view, CameraFactory> kCameraFactories[] = {
    {"isapi-push", &makeCamera<IsapiPushCamera>},
    {"dahua-itsapi", &makeCamera<DahuaItsapiCamera>},
    {"frames", &makeCamera<FrameCamera>},
};

}  // namespace

Result<std::unique_ptr<AnprCamera>> makeAnprCamera(const CameraConfig& config,
                                                   const DeviceContext& context,
                                                   AnprCamera::Sink sink) {
  if (config.device_id.empty()) return Status::error("anpr camera: device_id is empty");
  if (context.evidence == nullptr) {
    return Status::error("anpr camera " + config.device_id + ": no evidence store");
  }
  if (config.path.empty() || config.path.front() != '/') {
    return Status::error("anpr camera " + config.device_id + ": path '" + config.path +
                         "' must start with '/'");
  }
  if (config.stale_after_ms <= 0) {
    return Status::error("anpr camera " + config.device_id + ": stale_after_ms must be > 0");
  }
  if (config.type == "frames") {
    if (config.url.empty()) {
      return Status::error("anpr camera " + config.device_id + ": type frames needs a url");
    }
    if (config.poll_interval_ms <= 0 || config.workers < 1 || config.fuse_gap_ms <= 0) {
      return Status::error("anpr camera " + config.device_id +
                           ": poll_ms, workers and fuse_gap_ms must be > 0");
    }
  }
  std::string known;
  for (const auto& [name, factory] : kCameraFactories) {
    if (name == config.type) {
      // Cameras already deliver on the loop (a push's completion, a frame camera's tick).
      return factory(config, *context.evidence, context.clock, std::move(sink.plate),
                     std::move(sink.status));
    }
    known += (known.empty() ? "" : ", ") + std::string(name);
  }
  return Status::error("anpr camera " + config.device_id + ": unknown type '" + config.type +
                       "' (known: " + known + ")");
}

}  // namespace kordon::drivers
