// SPDX-License-Identifier: Apache-2.0
// makeRadiationPortal(): a name -> factory table (ArduPilot serial_rangefinder_definitions[]).

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

#include "drivers/radiation_portal/n42_folder_portal.hpp"
#include "drivers/radiation_portal/radiation_portal.hpp"
#include "drivers/radiation_portal/vm250_portal.hpp"

namespace kordon::drivers {
namespace {

using Factory = Result<std::unique_ptr<RadiationPortal>> (*)(const RadiationPortalConfig&,
                                                             EvidenceStore&, const Clock&,
                                                             RadiationPortal::OccupancyCallback,
                                                             RadiationPortal::StatusCallback);

Result<std::unique_ptr<RadiationPortal>> makeVm250Tcp(const RadiationPortalConfig& config,
                                                      EvidenceStore&, const Clock& clock,
                                                      RadiationPortal::OccupancyCallback on_occ,
                                                      RadiationPortal::StatusCallback on_status) {
  if (config.host.empty()) return Status::error("host must not be empty");
  if (config.port == 0) return Status::error("port must be in 1..65535");
  return std::unique_ptr<RadiationPortal>(
      std::make_unique<Vm250Portal>(config, clock, std::move(on_occ), std::move(on_status)));
}

Result<std::unique_ptr<RadiationPortal>> makeN42Folder(const RadiationPortalConfig& config,
                                                       EvidenceStore& evidence, const Clock& clock,
                                                       RadiationPortal::OccupancyCallback on_occ,
                                                       RadiationPortal::StatusCallback on_status) {
  if (config.folder.empty()) return Status::error("folder must not be empty for n42-folder");
  return std::unique_ptr<RadiationPortal>(std::make_unique<N42FolderPortal>(
      config, evidence, clock, std::move(on_occ), std::move(on_status)));
}

struct FactoryEntry {
  std::string_view type;
  Factory make;
};

constexpr std::array kFactories{
    FactoryEntry{"vm250-tcp", &makeVm250Tcp},
    FactoryEntry{"n42-folder", &makeN42Folder},
};

std::string knownTypes() {
  std::string names;
  for (const auto& entry : kFactories) {
    if (!names.empty()) names += ", ";
    names += entry.type;
  }
  return names;
}

Status checkConfig(const RadiationPortalConfig& config) {
  if (config.device_id.empty()) return Status::error("device_id must not be empty");
  const std::pair<const char*, int> positive[] = {
      {"poll_interval_ms", config.poll_interval_ms},
      {"stale_after_ms", config.stale_after_ms},
      {"backoff_initial_ms", config.backoff_initial_ms}};
  for (const auto& [field, value] : positive) {
    if (value <= 0) {
      return Status::error(std::string(field) + " must be > 0 (got " + std::to_string(value) + ")");
    }
  }
  if (config.backoff_max_ms < config.backoff_initial_ms) {
    return Status::error("backoff_max_ms (" + std::to_string(config.backoff_max_ms) +
                         ") must be >= backoff_initial_ms (" +
                         std::to_string(config.backoff_initial_ms) + ")");
  }
  if (!(config.alarm_sigma >= 0)) return Status::error("alarm_sigma must be >= 0 (0 disables)");
  return Status::ok();
}

}  // namespace

Result<std::unique_ptr<RadiationPortal>> makeRadiationPortal(const RadiationPortalConfig& config,
                                                             const DeviceContext& devices,
                                                             RadiationPortal::Sink sink) {
  const auto entry = std::find_if(kFactories.begin(), kFactories.end(),
                                  [&](const FactoryEntry& e) { return e.type == config.type; });
  if (entry == kFactories.end()) {
    return Status::error("unknown radiation portal type '" + config.type +
                         "' (known: " + knownTypes() + ")");
  }
  const std::string context = "radiation portal '" + config.device_id + "'";
  if (Status status = checkConfig(config); !status) return status.withContext(context);
  if (!sink.occupancy || !sink.status) return Status::error(context + ": missing callback");
  if (devices.evidence == nullptr) return Status::error(context + ": no evidence store");
  // The worker's occupancy is journalled on the loop while it waits; reports are posted.
  auto made = entry->make(config, *devices.evidence, devices.clock,
                          calledOnLoop(devices.loop_caller, std::move(sink.occupancy)),
                          postedToLoop(devices.loop, std::move(sink.status)));
  if (!made) return made.status().withContext(context);
  return made;
}

}  // namespace kordon::drivers
