// SPDX-License-Identifier: Apache-2.0
// makeAnprCamera(): configuration type name -> implementation (ArduPilot serial definitions
// table). Add a camera kind by adding a row, never an if/else chain.

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "drivers/anpr_camera/anpr_camera.hpp"
#include "drivers/anpr_camera/isapi_camera.hpp"

namespace kordon::drivers {

namespace {

using CameraFactory = std::unique_ptr<AnprCamera> (*)(const CameraConfig&, EvidenceStore&,
                                                      const Clock&, AnprCamera::PlateCallback);

std::unique_ptr<AnprCamera> makeIsapiPush(const CameraConfig& config, EvidenceStore& evidence,
                                          const Clock& clock, AnprCamera::PlateCallback on_plate) {
  return std::make_unique<IsapiPushCamera>(config, evidence, clock, std::move(on_plate));
}

constexpr std::pair<std::string_view, CameraFactory> kCameraFactories[] = {
    {"isapi-push", &makeIsapiPush},
};

}  // namespace

Result<std::unique_ptr<AnprCamera>> makeAnprCamera(const CameraConfig& config,
                                                   EvidenceStore& evidence, const Clock& clock,
                                                   AnprCamera::PlateCallback on_plate) {
  if (config.device_id.empty()) return Status::error("anpr camera: device_id is empty");
  if (config.path.empty() || config.path.front() != '/') {
    return Status::error("anpr camera " + config.device_id + ": path '" + config.path +
                         "' must start with '/'");
  }
  std::string known;
  for (const auto& [name, factory] : kCameraFactories) {
    if (name == config.type) return factory(config, evidence, clock, std::move(on_plate));
    known += (known.empty() ? "" : ", ") + std::string(name);
  }
  return Status::error("anpr camera " + config.device_id + ": unknown type '" + config.type +
                       "' (known: " + known + ")");
}

}  // namespace kordon::drivers
