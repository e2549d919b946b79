// SPDX-License-Identifier: Apache-2.0
#include "edge/kordond/config/config.hpp"

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <set>

#include "edge/base/address_filter.hpp"
#include "edge/base/config_reader.hpp"
#include "edge/base/http.hpp"

namespace kordon::config {
namespace {

// Ids end up in MQTT topics and file names: no wildcards, slashes or spaces.
bool isSafeId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

LaneSetup readLane(ConfigReader& r, const std::string& prefix, std::size_t index) {
  LaneSetup s;
  const std::string default_id = "L" + std::to_string(index + 1);
  s.lane.id = r.getString(prefix + "id", default_id);
  if (!isSafeId(s.lane.id)) r.fail(prefix + "id", "expected letters, digits, '-', '_' or '.'");
  s.lane.direction = r.getEnum(prefix + "direction", "entry", {"entry", "exit"});
  s.lane.occupied_threshold_kg = r.getInt(prefix + "occupied_threshold_kg", 500, 1, 100000);
  s.lane.identify_timeout_ms =
      static_cast<int>(r.getInt(prefix + "identify_timeout_ms", 20000, 1000, 600000));
  s.lane.plate_hold_ms =
      static_cast<int>(r.getInt(prefix + "plate_hold_ms", s.lane.plate_hold_ms, 1000, 600000));

  const std::string wb = prefix + "weighbridge.";
  auto& w = s.weighbridge;
  w.lane = s.lane.id;
  w.device_id = r.getString(wb + "id", s.lane.id + "-wb");
  w.type = r.getString(wb + "type", "modbus-tcp");
  w.host = r.getString(wb + "host", "127.0.0.1");
  w.port = static_cast<std::uint16_t>(r.getInt(wb + "port", 1502, 1, 65535));
  w.unit_id = static_cast<int>(r.getInt(wb + "unit", 1, 0, 247));
  w.register_map = r.getString(wb + "map", "laumas");
  w.poll_interval_ms = static_cast<int>(r.getInt(wb + "poll_ms", 200, 20, 10000));
  w.response_timeout_ms = static_cast<int>(r.getInt(wb + "timeout_ms", 500, 20, 10000));
  w.stable_band_kg = r.getInt(wb + "stable_band_kg", 20, 0, 10000);
  w.stable_time_ms = static_cast<int>(r.getInt(wb + "stable_time_ms", 1000, 0, 60000));
  w.stale_after_ms =
      static_cast<int>(r.getInt(wb + "stale_after_ms", w.stale_after_ms, 100, 600000));
  // Serial line (modbus-rtu, toledo-serial).
  w.serial_device = r.getString(wb + "serial_device", w.serial_device);
  w.baud = static_cast<int>(r.getInt(wb + "baud", w.baud, 300, 921600));
  w.parity = r.getEnum(wb + "parity", std::string(1, w.parity), {"N", "E", "O"})[0];
  w.data_bits = static_cast<int>(r.getInt(wb + "data_bits", w.data_bits, 5, 8));
  w.stop_bits = static_cast<int>(r.getInt(wb + "stop_bits", w.stop_bits, 1, 2));
  w.toledo_checksum = r.getBool(wb + "toledo_checksum", w.toledo_checksum);

  const std::string cam = prefix + "camera.";
  auto& c = s.camera;
  c.lane = s.lane.id;
  c.device_id = r.getString(cam + "id", s.lane.id + "-cam");
  c.type = r.getString(cam + "type", "isapi-push");
  c.path = r.getString(cam + "path", "/anpr/" + s.lane.id);
  if (c.path.empty() || c.path[0] != '/') r.fail(cam + "path", "expected an absolute URL path");
  c.stale_after_ms = r.getInt(cam + "stale_after_ms", c.stale_after_ms, 1000, 86400000);
  // Who may push (edge/base/http_auth.hpp): addresses, then credentials.
  c.allow_from = r.getStringArray(cam + "allow_from", c.allow_from);
  if (auto allow = AddressFilter::parse(c.allow_from); !allow) {
    r.fail(cam + "allow_from", allow.status().message());
  } else if (allow->empty() && c.type != "frames") {
    r.fail(cam + "allow_from", "expected at least one address: the camera's own");
  }
  c.auth = r.getEnum(cam + "auth", c.auth, {"none", "basic", "digest"});
  c.username = r.getString(cam + "username", "");
  c.password = r.getString(cam + "password", "");
  const std::string password_file = r.getString(cam + "password_file", "");
  if (!password_file.empty()) {
    if (!c.password.empty()) r.fail(cam + "password_file", "give password or password_file");
    std::ifstream in(password_file);
    if (!in) {
      r.fail(cam + "password_file", "cannot read " + password_file);
    } else {
      std::getline(in, c.password);
    }
  }
  c.realm = r.getString(cam + "realm", c.realm);
  if (c.auth != "none" && (c.username.empty() || c.password.empty())) {
    r.fail(cam + "auth", c.auth + " needs username and password (or password_file)");
  }
  // type frames: Kordon reads the plates itself (drivers/anpr_camera/frame_camera.hpp).
  if (c.type == "frames") {
    c.url = r.getString(cam + "url", "");
    if (c.url.empty()) r.fail(cam + "url", "type frames needs the snapshot or stream URL");
    c.poll_interval_ms = r.getInt(cam + "poll_ms", c.poll_interval_ms, 20, 60000);
    c.workers = static_cast<int>(r.getInt(cam + "workers", c.workers, 1, 16));
    c.fuse_gap_ms = r.getInt(cam + "fuse_gap_ms", c.fuse_gap_ms, 100, 60000);
    c.min_confidence = r.getDouble(cam + "min_confidence", c.min_confidence, 0.0, 1.0);
    c.model_path = r.getString(cam + "model", "");
  }

  const std::string rad = prefix + "radiation.";
  const std::string rad_type = r.getString(rad + "type", "vm250-tcp");
  if (rad_type != "none") {
    drivers::RadiationPortalConfig p;
    p.lane = s.lane.id;
    p.type = rad_type;
    p.device_id = r.getString(rad + "id", s.lane.id + "-rpm");
    p.host = r.getString(rad + "host", p.host);
    p.port = static_cast<std::uint16_t>(r.getInt(rad + "port", p.port, 1, 65535));
    p.folder = r.getString(rad + "folder", "");
    p.alarm_sigma = r.getDouble(rad + "alarm_sigma", p.alarm_sigma, 0.0, 100.0);
    p.poll_interval_ms = static_cast<int>(r.getInt(rad + "poll_ms", p.poll_interval_ms, 20, 60000));
    p.stale_after_ms =
        static_cast<int>(r.getInt(rad + "stale_after_ms", p.stale_after_ms, 100, 3600000));
    if (p.type == "n42-folder" && p.folder.empty())
      r.fail(rad + "folder", "required for n42-folder");
    s.radiation = p;
    s.lane.radiation_required = true;
  }

  const std::string xr = prefix + "xray.";
  const std::string xray_type = r.getString(xr + "type", "dicos-scp");
  if (xray_type != "none") {
    drivers::XrayScannerConfig x;
    x.lane = s.lane.id;
    x.type = xray_type;
    x.device_id = r.getString(xr + "id", s.lane.id + "-xray");
    x.listen_host = r.getString(xr + "listen_host", x.listen_host);
    x.port = static_cast<std::uint16_t>(r.getInt(xr + "port", x.port, 1, 65535));
    x.ae_title = r.getString(xr + "ae_title", x.ae_title);
    if (x.ae_title.empty() || x.ae_title.size() > 16)
      r.fail(xr + "ae_title", "expected 1 to 16 characters");
    x.folder = r.getString(xr + "folder", "");
    x.poll_interval_ms = static_cast<int>(r.getInt(xr + "poll_ms", x.poll_interval_ms, 20, 60000));
    if (x.type == "dicos-folder" && x.folder.empty())
      r.fail(xr + "folder", "required for dicos-folder");
    s.xray = x;
    s.lane.xray_policy =
        r.getEnum(xr + "policy", "when_required", {"never", "when_required", "always"});
  }

  const std::string bar = prefix + "barrier.";
  auto& b = s.barrier;
  b.lane = s.lane.id;
  b.device_id = r.getString(bar + "id", s.lane.id + "-barrier");
  b.type = r.getString(bar + "type", b.type);
  b.travel_ms = static_cast<int>(r.getInt(bar + "travel_ms", 1500, 0, 60000));
  // lane-modbus-tcp / lane-modbus-rtu: the lane controller (docs/LANE.md).
  b.host = r.getString(bar + "host", b.host);
  b.port = static_cast<std::uint16_t>(r.getInt(bar + "port", b.port, 1, 65535));
  b.unit_id = static_cast<int>(r.getInt(bar + "unit", b.unit_id, 1, 247));
  b.serial_device = r.getString(bar + "serial_device", b.serial_device);
  b.baud = static_cast<int>(r.getInt(bar + "baud", b.baud, 300, 921600));
  b.parity = r.getEnum(bar + "parity", std::string(1, b.parity), {"N", "E", "O"})[0];
  b.data_bits = static_cast<int>(r.getInt(bar + "data_bits", b.data_bits, 5, 8));
  b.stop_bits = static_cast<int>(r.getInt(bar + "stop_bits", b.stop_bits, 1, 2));
  b.poll_interval_ms = static_cast<int>(r.getInt(bar + "poll_ms", b.poll_interval_ms, 20, 10000));
  b.response_timeout_ms =
      static_cast<int>(r.getInt(bar + "timeout_ms", b.response_timeout_ms, 20, 10000));
  b.heartbeat_ms = static_cast<int>(r.getInt(bar + "heartbeat_ms", b.heartbeat_ms, 50, 30000));
  if (b.type == "lane-modbus-rtu" && b.serial_device.empty()) {
    r.fail(bar + "serial_device", "required for lane-modbus-rtu");
  }
  return s;
}

}  // namespace

namespace {

Result<DaemonConfig> readConfig(ConfigReader& r, const std::string& state_dir_override) {
  DaemonConfig c;

  c.post_id = r.getString("post.id", c.post_id);
  if (!isSafeId(c.post_id)) r.fail("post.id", "expected letters, digits, '-', '_' or '.'");
  // systemd's StateDirectory= exports STATE_DIRECTORY; an explicit setting still wins.
  const char* systemd_state = std::getenv("STATE_DIRECTORY");
  c.state_dir = r.getString("post.state_dir", systemd_state ? systemd_state : c.state_dir);
  if (!state_dir_override.empty()) c.state_dir = state_dir_override;

  c.mqtt_uri = r.getString("mqtt.uri", c.mqtt_uri);
  if (c.mqtt_uri.rfind("tcp://", 0) != 0 && c.mqtt_uri.rfind("ssl://", 0) != 0) {
    r.fail("mqtt.uri", "expected tcp://host:port or ssl://host:port");
  }
  c.mqtt_client_id = r.getString("mqtt.client_id", "kordond-" + c.post_id);
  c.mqtt_keep_alive_s = static_cast<int>(r.getInt("mqtt.keep_alive_s", 10, 1, 3600));
  c.outbox_window = static_cast<int>(r.getInt("mqtt.outbox_window", 64, 1, 10000));
  const TlsClientFiles tls = r.getTlsClientFiles("mqtt", c.mqtt_uri);
  c.mqtt_ca_file = tls.ca_file;
  c.mqtt_cert_file = tls.cert_file;
  c.mqtt_key_file = tls.key_file;
  c.signing_key_path = r.getString("sync.signing_key", "");
  c.central_key_path = r.getString("sync.central_key", "");
  c.status_interval_s = static_cast<int>(r.getInt("sync.status_interval_s", 30, 1, 3600));

  c.http_listen = r.getString("http.listen", c.http_listen);
  std::string host;
  std::uint16_t port = 0;
  if (!http::splitHostPort(c.http_listen, &host, &port)) {
    r.fail("http.listen", "expected host:port, e.g. 127.0.0.1:8080");
  }
  auto& hl = c.http_limits;
  hl.max_connections = static_cast<std::size_t>(
      r.getInt("http.max_connections", static_cast<std::int64_t>(hl.max_connections), 8, 65536));
  hl.max_connections_per_source = static_cast<std::size_t>(
      r.getInt("http.max_connections_per_source",
               static_cast<std::int64_t>(hl.max_connections_per_source), 1, 65536));
  hl.max_body_bytes = static_cast<std::size_t>(r.getInt(
      "http.max_body_bytes", static_cast<std::int64_t>(hl.max_body_bytes), 1024, 256 << 20));
  hl.max_inflight_body_bytes = static_cast<std::size_t>(
      r.getInt("http.max_inflight_body_bytes",
               static_cast<std::int64_t>(hl.max_inflight_body_bytes), 1 << 20, 4LL << 30));
  hl.header_timeout = std::chrono::milliseconds(
      r.getInt("http.header_timeout_ms", hl.header_timeout.count(), 100, 600000));
  hl.read_timeout = std::chrono::milliseconds(
      r.getInt("http.read_timeout_ms", hl.read_timeout.count(), 100, 600000));
  c.receiver_workers =
      static_cast<int>(r.getInt("http.receiver_workers", c.receiver_workers, 1, 16));
  c.receiver_queue = static_cast<int>(r.getInt("http.receiver_queue", c.receiver_queue, 1, 4096));

  const std::string level = r.getEnum("log.level", "info", {"debug", "info", "warn", "error"});
  log::parseLevel(level, &c.log_level);
  const std::string format = r.getEnum("log.format", "json", {"json", "text"});
  log::parseFormat(format, &c.log_format);

  c.rules.version = r.getString("rules.version", c.rules.version);
  c.rules.weight_tolerance_pct = r.getDouble("rules.weight_tolerance_pct", 5.0, 0.0, 100.0);
  c.rules.weight_tolerance_min_kg = r.getInt("rules.weight_tolerance_min_kg", 200, 0, 100000);
  c.rules.max_cache_age_s = r.getInt("rules.max_cache_age_s", 0, 0, 365LL * 24 * 3600);
  c.rules.require_synced_clock = r.getBool("rules.require_synced_clock", false);
  auto& st = c.storage;
  st.max_bytes = r.getInt("storage.max_bytes", st.max_bytes, 64 * 1024, INT64_MAX / 2);
  st.min_free_bytes = r.getInt("storage.min_free_bytes", st.min_free_bytes, 0, INT64_MAX / 2);
  st.warn_free_bytes = r.getInt("storage.warn_free_bytes", st.warn_free_bytes, 0, INT64_MAX / 2);
  if (st.warn_free_bytes < st.min_free_bytes) {
    r.fail("storage.warn_free_bytes", "must be at least storage.min_free_bytes");
  }
  st.warn_pct = static_cast<int>(r.getInt("storage.warn_pct", st.warn_pct, 1, 99));
  st.retain_delivered_days = static_cast<int>(
      r.getInt("storage.retain_delivered_days", st.retain_delivered_days, 1, 3650));
  st.retain_evidence_days =
      static_cast<int>(r.getInt("storage.retain_evidence_days", st.retain_evidence_days, 1, 3650));
  st.check_interval_s =
      static_cast<int>(r.getInt("storage.check_interval_s", st.check_interval_s, 1, 3600));
  c.drain_timeout_ms = static_cast<int>(r.getInt("shutdown.drain_timeout_ms", 5000, 0, 600000));

  const std::size_t lane_count = r.arraySize("lanes");
  if (lane_count == 0 && !r.has("lanes")) {
    c.lanes.push_back(readLane(r, "lanes[0].", 0));  // absent keys: all defaults
  }
  for (std::size_t i = 0; i < lane_count; ++i) {
    c.lanes.push_back(readLane(r, "lanes[" + std::to_string(i) + "].", i));
  }
  std::set<std::string> ids, paths;
  for (std::size_t i = 0; i < c.lanes.size(); ++i) {
    const std::string prefix = "lanes[" + std::to_string(i) + "].";
    if (!ids.insert(c.lanes[i].lane.id).second) r.fail(prefix + "id", "duplicate lane id");
    if (!paths.insert(c.lanes[i].camera.path).second) {
      r.fail(prefix + "camera.path", "duplicate camera path");
    }
  }
  if (Status s = r.finish(); !s) return s;
  return c;
}

}  // namespace

Result<DaemonConfig> loadConfig(const std::string& path, const std::string& state_dir_override) {
  auto reader = ConfigReader::fromFile(path);
  if (!reader.isOk()) return reader.status();
  return readConfig(*reader, state_dir_override);
}

Result<DaemonConfig> parseConfig(const std::string& text, const std::string& source) {
  auto reader = ConfigReader::fromString(text, source);
  if (!reader.isOk()) return reader.status();
  return readConfig(*reader, "");
}

}  // namespace kordon::config
