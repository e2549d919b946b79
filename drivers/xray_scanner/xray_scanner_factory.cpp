// SPDX-License-Identifier: Apache-2.0
// makeXrayScanner(): configuration type name -> implementation (ArduPilot serial definitions
// table). Add a scanner kind by adding a row, never an if/else chain.

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "drivers/xray_scanner/dicos_folder_scanner.hpp"
#include "drivers/xray_scanner/dicos_scp_scanner.hpp"
#include "drivers/xray_scanner/xray_scanner.hpp"

namespace kordon::drivers {

namespace {

using ScannerFactory = std::unique_ptr<XrayScanner> (*)(const XrayScannerConfig&, EvidenceStore&,
                                                        const Clock&, XrayScanner::ResultCallback,
                                                        XrayScanner::StatusCallback);

template <typename Scanner>
std::unique_ptr<XrayScanner> make(const XrayScannerConfig& config, EvidenceStore& evidence,
                                  const Clock& clock, XrayScanner::ResultCallback on_result,
                                  XrayScanner::StatusCallback on_status) {
  return std::make_unique<Scanner>(config, evidence, clock, std::move(on_result),
                                   std::move(on_status));
}

constexpr std::pair<std::string_view, ScannerFactory> kScannerFactories[] = {
    {"dicos-scp", &make<DicosScpScanner>},
    {"dicos-folder", &make<DicosFolderScanner>},
};

}  // namespace

Result<std::unique_ptr<XrayScanner>> makeXrayScanner(const XrayScannerConfig& config,
                                                     const DeviceContext& context,
                                                     XrayScanner::Sink sink) {
  if (config.device_id.empty()) return Status::error("x-ray scanner: device_id is empty");
  if (context.evidence == nullptr) {
    return Status::error("x-ray scanner " + config.device_id + ": no evidence store");
  }
  std::string known;
  for (const auto& [name, factory] : kScannerFactories) {
    if (name == config.type) {
      // The worker's result is journalled on the loop while it waits; reports are posted.
      return factory(config, *context.evidence, context.clock,
                     calledOnLoop(context.loop_caller, std::move(sink.result)),
                     postedToLoop(context.loop, std::move(sink.status)));
    }
    known += (known.empty() ? "" : ", ") + std::string(name);
  }
  return Status::error("x-ray scanner " + config.device_id + ": unknown type '" + config.type +
                       "' (known: " + known + ")");
}

}  // namespace kordon::drivers
