// SPDX-License-Identifier: Apache-2.0
// kordond: the border-post edge daemon. Wiring only: configuration, the control loop, devices,
// lanes, the store and the MQTT sync (STYLE.md §D threads):
//   - one io_context thread (this one) runs lanes, decisions, the store, HTTP and MQTT callbacks;
//   - each weighbridge polls on its own worker thread and post()s readings here;
//   - Paho's threads only post() here (sync/mqtt_client).
// Signals: SIGTERM/SIGINT drain the outbox (bounded) and stop; SIGHUP reloads what can change
// at run time (log level and format, rule set) and says what needs a restart.
//
//   kordond [--config FILE] [--state-dir DIR] [--check-config]

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <systemd/sd-daemon.h>

#include "drivers/anpr_camera/anpr_camera.hpp"
#include "drivers/barrier/barrier.hpp"
#include "drivers/common/evidence_store.hpp"
#include "drivers/radiation_portal/radiation_portal.hpp"
#include "drivers/weighbridge/weighbridge.hpp"
#include "drivers/xray_scanner/xray_scanner.hpp"
#include "edge/base/address_filter.hpp"
#include "edge/base/clock.hpp"
#include "edge/base/clock_watch.hpp"
#include "edge/base/crypto.hpp"
#include "edge/base/http.hpp"
#include "edge/base/http_auth.hpp"
#include "edge/base/log.hpp"
#include "edge/base/loop_call.hpp"
#include "edge/base/options.hpp"
#include "edge/base/signals.hpp"
#include "edge/base/work_queue.hpp"
#include "edge/kordond/config/config.hpp"
#include "edge/kordond/lane/lane.hpp"
#include "edge/msg/event_types.hpp"
#include "edge/msg/topics.hpp"
#include "edge/store/retention.hpp"
#include "edge/store/store.hpp"
#include "sync/downlink.hpp"
#include "sync/mqtt_client.hpp"
#include "sync/outbox_pump.hpp"

namespace kordon {
namespace {

namespace asio = boost::asio;

constexpr const char* kVersion = "0.1.0";
// What one event adds to the journal and its outbox, about, between retention's measurements.
constexpr std::int64_t kJournalBytesPerEvent = 2048;

struct LaneRuntime {
  std::unique_ptr<drivers::Barrier> barrier;
  std::unique_ptr<lane::Lane> lane;
  std::unique_ptr<drivers::Weighbridge> weighbridge;
  std::unique_ptr<drivers::AnprCamera> camera;
  // Push cameras: who may push to the camera's path (allow-list, credentials).
  std::unique_ptr<http::DeviceAccess> camera_access;
  std::optional<std::chrono::steady_clock::time_point> refusal_logged;
  std::uint64_t refusals_since_log = 0;
  std::unique_ptr<drivers::RadiationPortal> radiation;  // optional
  std::unique_ptr<drivers::XrayScanner> xray;           // optional
  std::string xray_device_id;

  void stopDevices() {
    if (camera) camera->stop();
    if (weighbridge) weighbridge->stop();
    if (radiation) radiation->stop();
    if (xray) xray->stop();
  }
};

class Daemon {
 public:
  Daemon(config::DaemonConfig config, std::string config_path, std::string state_dir_override)
      : state_dir_override_(std::move(state_dir_override)),
        config_(std::move(config)),
        config_path_(std::move(config_path)),
        // SIGTERM/SIGINT drain and stop; SIGHUP reloads. Handled on the loop once it runs.
        signals_(
            io_, [this](int signo) { beginShutdown(signo); }, [this] { reload(); }),
        tick_timer_(io_),
        retention_timer_(io_),
        drain_timer_(io_),
        loop_caller_(io_),
        storage_gauge_(config_.state_dir, config_.storage.limits()),
        evidence_(config_.evidenceDir(), &storage_gauge_) {}

  int run() {
    std::error_code ec;
    std::filesystem::create_directories(config_.evidenceDir(), ec);
    if (ec) {
      log::error("cannot create state directory",
                 {{"path", config_.state_dir}, {"error", ec.message()}});
      return 1;
    }
    auto signing_key = SigningKey::loadOrCreate(config_.signingKeyPath());
    if (!signing_key.isOk()) {
      log::error("cannot load the signing key", {{"error", signing_key.status().message()}});
      return 1;
    }
    auto store =
        store::Store::open(config_.storePath(), config_.post_id, clock_, std::move(*signing_key));
    if (!store.isOk()) {
      log::error("cannot open store", {{"error", store.status().message()}});
      return 1;
    }
    store_ = std::move(*store);
    // The one place committed events are announced: the outbox, the storage level (and next
    // the kiosk) hang on it, whoever wrote them.
    store_->onCommitted([this](const std::vector<msg::Event>& e) { onEventsCommitted(e); });
    // The high-water mark starts at the journal's last event, so a clock that comes back from a
    // restart behind it cannot bring expired declarations back.
    clock_watch_ =
        std::make_unique<ClockWatch>(clock_, store_->lastEventTimeMs(), readKernelClockSync);
    applyClock();
    log::info("store open", {{"path", config_.storePath()},
                             {"schema_version", store_->schemaVersion()},
                             {"last_seq", store_->lastSeq()}});
    if (Status s = loadPolicies(); !s) {
      log::error("cannot load policies", {{"error", s.message()}});
      return 1;
    }
    startRetention();
    if (Status s = startSync(); !s) {
      log::error("cannot start sync", {{"error", s.message()}});
      return 1;
    }
    if (Status s = startLanes(); !s) {
      log::error("cannot start lanes", {{"error", s.message()}});
      return 1;
    }
    if (Status s = startHttp(); !s) {
      log::error("cannot start HTTP server", {{"error", s.message()}});
      return 1;
    }
    scheduleTick();
    sd_notify(0, "READY=1");
    log::info("kordond ready", {{"post", config_.post_id},
                                {"version", kVersion},
                                {"lanes", config_.lanes.size()},
                                {"http", config_.http_listen},
                                {"mqtt", config_.mqtt_uri}});
    io_.run();
    loop_caller_.stop();
    for (auto& l : lanes_) l.stopDevices();
    if (receivers_) receivers_->stop();
    // What was posted meanwhile (answers to pushes) runs while everything it uses still exists.
    io_.restart();
    io_.poll();
    log::info("kordond stopped", {{"last_seq", store_->lastSeq()}});
    return 0;
  }

 private:
  void onEventsCommitted(const std::vector<msg::Event>& events) {
    if (events.empty()) return;
    if (pump_) pump_->poke();
    // The storage level on the write path, not only on the retention timer: a burst of writes
    // turns green into yellow at once.
    storage_gauge_.addWritten(static_cast<std::int64_t>(events.size()) * kJournalBytesPerEvent);
    if (retention_) {
      retention_->check();
      applyStorageLevel();
    }
  }

  void applyClock() {
    condition_.clock = clock_watch_->sync();
    condition_.high_water = clock_watch_->highWater();
  }

  // A step of the wall clock is journalled: the events around it carry wall times that do not
  // compare, and central must know why (durations are measured on the monotonic clock).
  void watchClock() {
    const std::optional<ClockStep> step = clock_watch_->sample();
    applyClock();
    if (!step) return;
    const msg::ClockStepped event{step->step_ms, formatUtcMs(step->expected_ms),
                                  formatUtcMs(step->wall_ms), msg::clockState(condition_.clock)};
    log::warn("wall clock stepped", {{"step_ms", event.step_ms},
                                     {"from", event.from},
                                     {"to", event.to},
                                     {"synchronized", event.clock.synchronized}});
    auto events =
        store_->transact([&](store::Transaction& tx) { return tx.emit(msg::draft(event)); });
    if (!events.isOk()) {
      log::error("cannot journal clock.stepped", {{"error", events.status().message()}});
      return;
    }
  }

  void applyStorageLevel() {
    condition_.storage_full = retention_->level() == store::StorageLevel::kFull;
    condition_.storage_used_bytes = storage_gauge_.read().used_bytes;
    condition_.storage_max_bytes = retention_->maxBytes();
  }

  // Central's policies in force survive a restart: the store holds the last of each kind.
  Status loadPolicies() {
    policies_.rules = config_.rules;
    auto stored = store_->policies();
    if (!stored.isOk()) return stored.status();
    for (const auto& p : *stored) policies_.apply(p);
    auto last = store_->lastCommandMs();
    if (!last.isOk()) return last.status();
    condition_.last_command_ms = *last;
    log::info("policies in force", {{"policies", policies_.versionsJson()}});
    return Status::ok();
  }

  // Bounded disk: one pass now, so a full disk limits green from the first passage, then one
  // every check_interval_s on the loop (each pass is a few bounded batches).
  void startRetention() {
    retention_ = std::make_unique<store::Retention>(
        *store_, clock_, config_.storage, storage_gauge_,
        [this](const store::EvidenceRow& r) { return evidence_.pathFor(r.sha256, r.media_type); });
    runRetention();
  }

  void runRetention() {
    retention_->run();
    applyStorageLevel();
    retention_timer_.expires_after(std::chrono::seconds(config_.storage.check_interval_s));
    retention_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) runRetention();
    });
  }

  Status startSync() {
    sync::MqttOptions options;
    options.server_uri = config_.mqtt_uri;
    options.client_id = config_.mqtt_client_id;
    options.keep_alive_s = config_.mqtt_keep_alive_s;
    options.ca_file = config_.mqtt_ca_file;
    options.cert_file = config_.mqtt_cert_file;
    options.key_file = config_.mqtt_key_file;
    // A persistent session: the broker queues central's commands (declarations) while the post
    // is offline. Upward durability does not depend on it; the outbox re-sends after reconnect.
    options.clean_session = false;
    options.will_topic = msg::statusTopic(config_.post_id);
    options.will_payload = nlohmann::json{{"post", config_.post_id}, {"state", "offline"}}.dump();
    mqtt_ = std::make_unique<sync::MqttClient>(io_, options);
    pump_ = std::make_unique<sync::OutboxPump>(io_, *store_, *mqtt_, clock_, config_.outbox_window);
    std::optional<VerifyKey> central_key;
    if (config_.central_key_path.empty()) {
      log::warn("sync.central_key is not set: commands from central are accepted unsigned");
    } else {
      auto key = VerifyKey::load(config_.central_key_path);
      if (!key.isOk()) return key.status().withContext("sync.central_key");
      central_key = std::move(*key);
    }
    downlink_ = std::make_unique<sync::Downlink>(*store_, clock_, std::move(central_key));
    downlink_->onPolicyApplied([this](const msg::Policy& p) { policies_.apply(p); });
    downlink_->onCommandAccepted([this](WallMs t) { condition_.last_command_ms = t; });
    downlink_->onBackfill([this](const msg::BackfillRequest& r) { pump_->replay(r.from, r.to); });
    mqtt_->addSubscription(msg::commandTopic(config_.post_id, "#"), 1);
    mqtt_->onConnected([this] {
      publishStatus("online");
      pump_->onConnected();
    });
    mqtt_->onConnectionLost([this](const std::string&) { pump_->onConnectionLost(); });
    mqtt_->onMessage([this](const std::string& topic, const std::string& payload) {
      downlink_->onMessage(topic, payload);
    });
    return mqtt_->start();
  }

  void publishStatus(const std::string& state) {
    ticks_since_status_ = 0;
    nlohmann::json status = {{"post", config_.post_id},
                             {"state", state},
                             {"version", kVersion},
                             {"time", formatUtcMs(clock_.nowWallMs())},
                             {"last_seq", store_->lastSeq()}};
    status["storage"] = store::toString(retention_->level());  // "ok" | "warn" | "full"
    status["clock"] = toJson(clock_watch_->sync());
    (void)mqtt_->publish(msg::statusTopic(config_.post_id), status.dump(), 1, true, nullptr);
  }

  // Every device's sink is called on this loop (drivers/common/device_context.hpp): main only
  // says which lane hears what.
  Status startLanes() {
    const drivers::DeviceContext devices{io_, loop_caller_, clock_, &evidence_};
    for (const auto& setup : config_.lanes) {
      LaneRuntime rt;
      // The barrier exists before its lane, so its reports find the lane by id.
      auto barrier = drivers::makeBarrier(setup.barrier, devices,
                                          {[this, id = setup.lane.id](const msg::BarrierStatus& s) {
                                            if (auto* l = findLane(id)) l->onBarrier(s);
                                          }});
      if (!barrier.isOk()) return barrier.status().withContext("lane " + setup.lane.id);
      rt.barrier = std::move(*barrier);
      rt.lane = std::make_unique<lane::Lane>(setup.lane, *store_, rt.barrier.get(), clock_,
                                             policies_, condition_);
      lane::Lane* lane_ptr = rt.lane.get();
      auto weighbridge = drivers::makeWeighbridge(
          setup.weighbridge, devices,
          {[lane_ptr](const msg::WeightReading& r) { lane_ptr->onWeight(r); }});
      if (!weighbridge.isOk()) return weighbridge.status().withContext("lane " + setup.lane.id);
      rt.weighbridge = std::move(*weighbridge);
      // The camera answers "saved" only once onPlate is ok.
      auto on_status = [lane_ptr](const msg::DeviceStatus& s) { lane_ptr->onDeviceStatus(s); };
      auto camera = drivers::makeAnprCamera(
          setup.camera, devices,
          {[lane_ptr](const msg::PlateRead& p) { return lane_ptr->onPlate(p); }, on_status});
      if (!camera.isOk()) return camera.status().withContext("lane " + setup.lane.id);
      rt.camera = std::move(*camera);
      if (setup.camera.type != "frames") {
        auto allow = AddressFilter::parse(setup.camera.allow_from);
        auto scheme = http::parseAuthScheme(setup.camera.auth);
        if (!allow || !scheme) {
          return Status::error("lane " + setup.lane.id + ": camera access: " +
                               (allow ? scheme.status() : allow.status()).message());
        }
        rt.camera_access = std::make_unique<http::DeviceAccess>(
            std::move(allow).value(),
            http::DeviceCredentials{*scheme, setup.camera.realm, setup.camera.username,
                                    setup.camera.password},
            clock_);
        log::info("camera receiver", {{"lane", setup.lane.id},
                                      {"path", setup.camera.path},
                                      {"allow_from", setup.camera.allow_from},
                                      {"auth", setup.camera.auth}});
      }
      // The device (or its folder) is told "saved" only once the reading is journalled.
      if (setup.radiation) {
        auto portal = drivers::makeRadiationPortal(
            *setup.radiation, devices,
            {[lane_ptr](const msg::RadiationOccupancy& o) { return lane_ptr->onRadiation(o); },
             on_status});
        if (!portal.isOk()) return portal.status().withContext("lane " + setup.lane.id);
        rt.radiation = std::move(*portal);
      }
      if (setup.xray) {
        auto scanner = drivers::makeXrayScanner(
            *setup.xray, devices,
            {[lane_ptr](const msg::XrayResult& x) { return lane_ptr->onXray(x); }, on_status});
        if (!scanner.isOk()) return scanner.status().withContext("lane " + setup.lane.id);
        rt.xray = std::move(*scanner);
        rt.xray_device_id = setup.xray->device_id;
      }
      lanes_.push_back(std::move(rt));
    }
    for (auto& rt : lanes_) {
      rt.barrier->start();
      rt.weighbridge->start();
      rt.camera->start();  // pulled (frame) cameras only; push cameras answer HTTP
      if (rt.radiation) rt.radiation->start();
      if (rt.xray) {
        // A scanner that cannot listen is a device fault, not a reason to stop the lane:
        // vehicles needing an X-ray go yellow (XRAY-MISSING) until it is fixed.
        if (Status s = rt.xray->start(); !s) {
          log::error("x-ray scanner did not start",
                     {{"lane", rt.lane->config().id}, {"error", s.message()}});
          msg::DeviceStatus down;
          down.device_id = rt.xray_device_id;
          down.lane = rt.lane->config().id;
          down.device_class = "xray_scanner";
          down.time_ms = clock_.nowWallMs();
          down.health = msg::DeviceHealth::kNotConnected;
          down.reason = s.message();
          rt.lane->onDeviceStatus(down);
        }
      }
    }
    return Status::ok();
  }

  lane::Lane* findLane(const std::string& id) {
    for (auto& rt : lanes_) {
      if (rt.lane && rt.lane->config().id == id) return rt.lane.get();
    }
    return nullptr;
  }

  Status startHttp() {
    receivers_ = std::make_unique<WorkQueue>(config_.receiver_workers,
                                             static_cast<std::size_t>(config_.receiver_queue));
    http_ = std::make_unique<http::Server>(
        io_, http::AsyncHandler([this](http::Request req, http::Responder respond) {
          route(std::move(req), std::move(respond));
        }),
        config_.http_limits);
    std::string host;
    std::uint16_t port = 0;
    http::splitHostPort(config_.http_listen, &host, &port);
    auto bound = http_->listen(host, port);
    if (!bound.isOk()) return bound.status();
    return Status::ok();
  }

  // Cameras' paths: checked against the camera's access first (on the loop, before the body is
  // looked at), parsed on a receiver worker, answered once the lane has the read (on the loop).
  // /healthz: open. Anything else: 404.
  void route(http::Request req, const http::Responder& respond) {
    for (auto& rt : lanes_) {
      if (!rt.camera->handles(req.path)) continue;
      if (draining_) return respond(http::Response::text(503, "shutting down\n"));
      if (rt.camera_access) {
        const http::AccessDecision access = rt.camera_access->check(req);
        if (!access.allowed) {
          noteRefusal(rt, req, access);
          return respond(access.response());
        }
      }
      drivers::AnprCamera* camera = rt.camera.get();
      auto job = [this, camera, req = std::move(req), respond]() {
        drivers::PushCompletion complete = camera->prepare(req);
        asio::post(io_, [complete = std::move(complete), respond] { respond(complete()); });
      };
      if (!receivers_->submit(std::move(job))) {
        ++receivers_busy_;
        http::Response busy = http::Response::text(503, "busy: too many pushes waiting\n");
        busy.headers["Retry-After"] = "1";
        return respond(std::move(busy));
      }
      return;
    }
    if (req.path == "/healthz" && req.method == "GET") {
      const nlohmann::json status = statusJson();
      return respond(http::Response::json(status["ok"] ? 200 : 503, status.dump()));
    }
    respond(http::Response::json(404, R"({"error":"no such endpoint"})"));
  }

  // One warn line for the first refusal, then at most one every 10 s with the count since.
  void noteRefusal(LaneRuntime& rt, const http::Request& req, const http::AccessDecision& d) {
    ++rt.refusals_since_log;
    const auto now = std::chrono::steady_clock::now();
    if (rt.refusal_logged && now - *rt.refusal_logged < std::chrono::seconds(10)) return;
    log::warn("camera push refused", {{"lane", rt.lane->config().id},
                                      {"camera", rt.camera->config().device_id},
                                      {"remote", req.remote},
                                      {"status", d.status},
                                      {"reason", d.reason},
                                      {"refused_since_last_log", rt.refusals_since_log}});
    rt.refusal_logged = now;
    rt.refusals_since_log = 0;
  }

  nlohmann::json statusJson() {
    nlohmann::json lanes = nlohmann::json::array();
    nlohmann::json alarms = nlohmann::json::array();
    for (auto& rt : lanes_) {
      auto j = lane::toJson(rt.lane->snapshot());
      j["weighbridge_counters"] = rt.weighbridge->counters().toJson();
      j["camera_counters"] = rt.camera->counters().toJson();
      if (rt.camera_access) j["camera_access"] = rt.camera_access->counters().toJson();
      if (rt.radiation) j["radiation_counters"] = rt.radiation->counters().toJson();
      if (rt.xray) j["xray_counters"] = rt.xray->counters().toJson();
      lanes.push_back(j);
    }
    const store::StorageLevel storage = retention_->level();
    if (storage != store::StorageLevel::kOk) {
      alarms.push_back({{"alarm", "storage"},
                        {"level", store::toString(storage)},
                        {"reason", retention_->reason()}});
    }
    if (policies_.rules.require_synced_clock && !clock_watch_->sync().synchronized) {
      alarms.push_back({{"alarm", "clock"},
                        {"reason", "the clock is not synchronised: no green (CLOCK-UNTRUSTED)"}});
    }
    // Not ok while the post cannot record everything it is told: a full disk.
    const bool ok = storage != store::StorageLevel::kFull;
    return {{"ok", ok},
            {"post", config_.post_id},
            {"version", kVersion},
            {"alarms", alarms},
            {"lanes", lanes},
            {"outbox", pump_->statusJson()},
            {"downlink", downlink_->statusJson()},
            {"policies", policies_.versionsJson()},
            {"storage", retention_->statusJson()},
            {"clock", clock_watch_->statusJson()},
            {"http", http_ ? http_->statsJson() : nlohmann::json()},
            {"receivers",
             {{"pending", receivers_ ? receivers_->pending() : 0}, {"busy", receivers_busy_}}}};
  }

  void scheduleTick() {
    tick_timer_.expires_after(std::chrono::seconds(1));
    tick_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      watchClock();
      for (auto& rt : lanes_) {
        rt.lane->tick();
        rt.camera->tick();  // push cameras go stale by silence, which only a clock can see
      }
      // Central compares last_seq with what it holds, which is how it sees a missing tail.
      if (++ticks_since_status_ >= config_.status_interval_s && mqtt_->isConnected()) {
        publishStatus("online");
      }
      // The watchdog is fed from the loop itself, so a stalled loop gets restarted by systemd.
      sd_notify(0, "WATCHDOG=1");
      scheduleTick();
    });
  }

  void reload() {
    sd_notify(0, "RELOADING=1");
    auto fresh = config::loadConfig(config_path_, state_dir_override_);
    if (!fresh.isOk()) {
      log::error("reload rejected, keeping the running configuration",
                 {{"error", fresh.status().message()}});
      sd_notify(0, "READY=1");
      return;
    }
    log::configure(fresh->log_level, fresh->log_format, "kordond");
    // Lanes hold a reference: the next decision uses the new rules. A rule set from central
    // outranks the file's [rules] until central replaces it, so a reload cannot undo it.
    if (policies_.ruleset_version == 0) {
      policies_.rules = fresh->rules;
    } else {
      log::warn("rules from central stay in force; the file's [rules] apply to none",
                {{"central_ruleset", policies_.rules.version}});
    }
    std::vector<std::string> restart_needed;
    if (fresh->post_id != config_.post_id) restart_needed.push_back("post.id");
    if (fresh->state_dir != config_.state_dir) restart_needed.push_back("post.state_dir");
    if (fresh->mqtt_uri != config_.mqtt_uri) restart_needed.push_back("mqtt.uri");
    if (fresh->http_listen != config_.http_listen) restart_needed.push_back("http.listen");
    if (fresh->lanes.size() != config_.lanes.size()) restart_needed.push_back("lanes");
    log::info("configuration reloaded",
              {{"rules", policies_.rules.version}, {"restart_needed_for", restart_needed}});
    sd_notify(0, "READY=1");
  }

  void beginShutdown(int signo) {
    if (draining_) return;
    draining_ = true;
    sd_notify(0, "STOPPING=1");
    log::info("draining before stop",
              {{"signal", strsignal(signo)}, {"timeout_ms", config_.drain_timeout_ms}});
    // Workers waiting for the loop are released first: stopping a device joins its worker.
    loop_caller_.stop();
    for (auto& rt : lanes_) rt.stopDevices();
    drain_deadline_ =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.drain_timeout_ms);
    checkDrained();
  }

  void checkDrained() {
    auto pending = store_->undeliveredCount();
    const bool drained = pending.isOk() && *pending == 0;
    if (drained || std::chrono::steady_clock::now() >= drain_deadline_) {
      if (!drained) {
        log::warn("stopping with undelivered events; they are kept and sent after restart",
                  {{"undelivered", pending.isOk() ? *pending : -1}});
      }
      publishStatus("offline");
      tick_timer_.cancel();
      retention_timer_.cancel();
      http_->stop();
      loop_caller_.stop();
      for (auto& rt : lanes_) rt.barrier->stop();
      mqtt_->stop(std::chrono::milliseconds(1000));
      signals_.cancel();
      io_.stop();
      return;
    }
    drain_timer_.expires_after(std::chrono::milliseconds(50));
    drain_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) checkDrained();
    });
  }

  std::string state_dir_override_;
  config::DaemonConfig config_;
  std::string config_path_;
  SystemClock clock_;
  std::unique_ptr<ClockWatch> clock_watch_;  // steps, sync state, high-water mark
  asio::io_context io_;
  StopSignals signals_;
  asio::steady_timer tick_timer_;
  int ticks_since_status_ = 0;
  asio::steady_timer retention_timer_;
  asio::steady_timer drain_timer_;
  std::chrono::steady_clock::time_point drain_deadline_{};
  bool draining_ = false;
  lane::Policies policies_;        // from central (store) over the file's [rules]
  lane::PostCondition condition_;  // what limits green besides the policies
  LoopCaller loop_caller_;         // bus workers wait here for their readings to be journalled
  StorageGauge storage_gauge_;     // the disk as the write path sees it (evidence, journal)
  drivers::EvidenceStore evidence_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::Retention> retention_;
  std::unique_ptr<sync::MqttClient> mqtt_;
  std::unique_ptr<sync::OutboxPump> pump_;
  std::unique_ptr<sync::Downlink> downlink_;
  std::vector<LaneRuntime> lanes_;
  std::unique_ptr<WorkQueue> receivers_;  // parse camera pushes off the loop
  std::uint64_t receivers_busy_ = 0;
  std::unique_ptr<http::Server> http_;
};

}  // namespace
}  // namespace kordon

int main(int argc, char** argv) {
  using namespace kordon;
  std::string config_path;
  std::string state_dir;
  bool check_only = false;
  bool version = false;
  OptionParser options("kordond",
                       "The border-post edge daemon. Every setting has a default; see\n"
                       "systemd/kordond.toml.example for all keys.");
  options.value("--config", "FILE", "kordond.toml", &config_path);
  options.value("--state-dir", "DIR", "where the store, keys and evidence live", &state_dir);
  options.flag("--check-config", "validate the configuration and exit", &check_only);
  options.flag("--version", "print the version and exit", &version);
  if (Status s = options.parse(argc, argv); !s) {
    if (s.message() == OptionParser::kHelp) {
      std::fputs(options.usage().c_str(), stdout);
      return 0;
    }
    std::fprintf(stderr, "%s (try --help)\n", s.message().c_str());
    return 2;
  }
  if (version) {
    std::printf("kordond %s\n", kVersion);
    return 0;
  }
  auto config = config::loadConfig(config_path, state_dir);
  if (!config.isOk()) {
    std::fprintf(stderr, "kordond: config error: %s\n", config.status().message().c_str());
    return 2;
  }
  if (check_only) {
    std::printf("kordond: configuration OK (%zu lane(s))\n", config->lanes.size());
    return 0;
  }
  log::configure(config->log_level, config->log_format, "kordond");
  log::info("open file limit", {{"nofile", http::raiseOpenFileLimit()}});
  Daemon daemon(std::move(*config), config_path, state_dir);
  return daemon.run();
}
