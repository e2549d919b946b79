// SPDX-License-Identifier: Apache-2.0
#pragma once

// kordond's configuration: TOML, every setting with a default, so `kordond` with no file runs
// one simulated lane on loopback (what scripts/demo.sh uses). The reference with every key is
// systemd/kordond.toml.example. A bad file yields one error line naming the key.

#include <optional>
#include <string>
#include <vector>

#include "drivers/anpr_camera/anpr_camera.hpp"
#include "drivers/barrier/barrier.hpp"
#include "drivers/radiation_portal/radiation_portal.hpp"
#include "drivers/weighbridge/weighbridge.hpp"
#include "drivers/xray_scanner/xray_scanner.hpp"
#include "edge/base/http.hpp"
#include "edge/base/log.hpp"
#include "edge/base/status.hpp"
#include "edge/kordond/lane/decision.hpp"
#include "edge/kordond/lane/lane.hpp"
#include "edge/store/retention.hpp"

namespace kordon::config {

struct LaneSetup {
  lane::LaneConfig lane;
  drivers::WeighbridgeConfig weighbridge;
  drivers::CameraConfig camera;
  drivers::BarrierConfig barrier;
  std::optional<drivers::RadiationPortalConfig> radiation;  // absent: type = "none"
  std::optional<drivers::XrayScannerConfig> xray;           // absent: type = "none"
};

struct DaemonConfig {
  std::string post_id = "KZ-DEMO";
  std::string state_dir = "/var/lib/kordon";  // kordon.db and evidence/ live here

  std::string mqtt_uri = "tcp://127.0.0.1:1883";
  std::string mqtt_client_id;  // default "kordond-<post>"
  int mqtt_keep_alive_s = 10;
  int outbox_window = 64;
  // TLS (with an ssl:// uri): the CA that signed the broker's certificate, and the post's own
  // client certificate and key, whose CN the broker's ACLs take as the post's identity.
  std::string mqtt_ca_file;
  std::string mqtt_cert_file;
  std::string mqtt_key_file;

  // Ed25519 key that signs every event; created on first start. "" = <state_dir>/post.key.
  std::string signing_key_path;
  // Central's public key; when set, commands from central must carry its signature.
  std::string central_key_path;
  // The retained status (with last_seq) is re-published this often, so central sees a tail gap.
  int status_interval_s = 30;

  std::string http_listen = "127.0.0.1:8080";
  // What one client may take of the HTTP listener (edge/base/http.hpp), and the workers that
  // parse camera pushes off the control loop (and how many pushes may wait for them).
  http::ServerLimits http_limits;
  int receiver_workers = 1;
  int receiver_queue = 64;

  log::Level log_level = log::Level::kInfo;
  log::Format log_format = log::Format::kJson;

  lane::RuleSet rules;
  store::StorageConfig storage;  // [storage]: bounded disk
  int drain_timeout_ms = 5000;

  std::vector<LaneSetup> lanes;

  std::string storePath() const { return state_dir + "/kordon.db"; }
  std::string evidenceDir() const { return state_dir + "/evidence"; }
  std::string signingKeyPath() const {
    return signing_key_path.empty() ? state_dir + "/post.key" : signing_key_path;
  }
};

// path "" means defaults only. state_dir_override (from --state-dir) wins over the file.
Result<DaemonConfig> loadConfig(const std::string& path,
                                const std::string& state_dir_override = "");
// The same from text; `source` names the text in errors. Used by the config fuzz target.
Result<DaemonConfig> parseConfig(const std::string& text, const std::string& source);

}  // namespace kordon::config
