// SPDX-License-Identifier: Apache-2.0
// kordon-central: subscribes to every post's events, stores them (deduplicated by post+seq,
// hash- and chain-checked), serves the pull API, and pushes declarations down.
//
//   kordon-central serve [--config FILE]
//   kordon-central events --db FILE [--post P] [--after N] [--limit N] [--type T] [--lane L]
//                         [--from RFC3339] [--to RFC3339] [--format json|csv]
//   kordon-central declare --api URL --post P [--token-file F] [--ca-file F] FILE
//   kordon-central policy  --api URL --post P [--token-file F] [--ca-file F] FILE
//   kordon-central token add|revoke|list --tokens FILE ...
//
// Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>
#include <systemd/sd-daemon.h>

#include "edge/base/clock.hpp"
#include "edge/base/config_reader.hpp"
#include "edge/base/http.hpp"
#include "edge/base/log.hpp"
#include "edge/base/thread_annotations.hpp"
#include "edge/msg/topics.hpp"
#include "sync/central/api_access.hpp"
#include "sync/central/backfill.hpp"
#include "sync/central/central_api.hpp"
#include "sync/central/central_store.hpp"
#include "sync/mqtt_client.hpp"

namespace kordon::central {
namespace {

namespace asio = boost::asio;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
// Tries of one event's ingest before central gives up on its database (and exits).
constexpr int kIngestAttempts = 3;

constexpr const char* kUsage = R"(usage:
  kordon-central serve [--config FILE]
      Subscribe to kordon/v1/+/events and kordon/v1/+/status, store every event, ask posts
      to re-send what is missing (kordon/v1/{post}/cmd/backfill), serve the HTTP API.
      Config (TOML, every key optional):
        [central] db = "/var/lib/kordon-central/central.db"   a SQLite file, or PostgreSQL:
                                    "postgresql://user@host:port/dbname"
                  post_keys = ""    directory of <post-id>.pub (Ed25519 PEM); when set, an
                                    event without a valid signature by its post is rejected;
                                    "" stores events as "unverified" (demo) and warns
                  signing_key = ""  central's Ed25519 key (PKCS#8 PEM, created if missing; the
                                    public key goes beside it as FILE.pub) signing declarations
                                    and backfill requests; "" sends them unsigned
                  backfill_retry_s = 10   a gap (or a tail behind a post's status last_seq)
                                    that persists this long is requested from the post, again
                                    after 1x, 2x, 4x ... (max 32x) while it persists; 0 = never
                  backfill_max_seqs = 5000  seqs asked of one post per round, lowest first
        [mqtt]    uri = "tcp://127.0.0.1:1883"  client_id = "kordon-central"
                  username = ""  password = ""
                  ca_file = ""  cert_file = ""  key_file = ""   TLS (ssl:// uri): the broker's
                                    CA, and central's client certificate (CN kordon-central)
                  version = 5       MQTT v5 (4 = 3.1.1); v5 keeps the session 7 days
                  shared_group = ""  e.g. "kordon-central": instances with one group share
                                    the events ($share/GROUP/kordon/v1/+/events); "" = plain
                                    subscription (events wait in the broker while central is
                                    down; with a group they come back by backfill instead)
        [http]    listen = "127.0.0.1:8090"
                  cert_file = ""  key_file = ""   HTTPS (PEM); required unless listen is a
                                    loopback address
                  tokens_file = "/etc/kordon-central/tokens.toml"   API tokens (see `token`);
                                    absent: no caller is accepted but /healthz
        [log]     level = "info" (debug|info|warn|error)  format = "json" (json|text)
      SIGTERM/SIGINT stop; SIGHUP re-reads [log] level and format, [central] post_keys and the
      tokens file (which is also re-read by itself within a second of changing).
      An event is acknowledged to the broker only once stored; if the database fails, central
      exits 1 without acknowledging and the broker re-sends it after the restart.
  kordon-central events --db FILE|URI [--post P] [--after N] [--limit N] [--type T] [--lane L]
                        [--from RFC3339] [--to RFC3339] [--format json|csv]
      Print stored events (read-only): one JSON envelope per line, or CSV.
      --after is the post's seq with --post, else central's ingest cursor. No --limit: all.
  kordon-central declare --api URL --post P [--token-file F] [--ca-file F] FILE
      POST the declaration in FILE to URL/v1/posts/P/declarations and print the reply. The
      token (role declarant) is read from --token-file, else from $KORDON_CENTRAL_TOKEN;
      --ca-file is the CA of central's HTTPS certificate (https:// URLs).
  kordon-central policy --api URL --post P [--token-file F] [--ca-file F] FILE
      The same for a policy (role risk): URL/v1/posts/P/policies.
  kordon-central token add --tokens FILE --name N --roles R[,R] [--posts P[,P]|*] [--days D]
      Makes a token (roles viewer, declarant, risk, admin; posts default "*"; no expiry by
      default), adds its SHA-256 to FILE and prints the token: the only time it is shown.
  kordon-central token revoke --tokens FILE --name N
      Refuses the token from now on (it stays listed, with the time it was revoked).
  kordon-central token list --tokens FILE
      One line per token: name, roles, posts, created, expires, revoked.
  kordon-central --help
)";

int usageError(const std::string& message) {
  std::cerr << "kordon-central: " << message << "\n(see kordon-central --help)\n";
  return kExitUsage;
}

// Parses "--name value" pairs and positional arguments. Every option takes a value.
struct Args {
  std::map<std::string, std::string> options;
  std::vector<std::string> positional;
};

Result<Args> parseArgs(int argc, char** argv, int first, const std::vector<std::string>& known) {
  Args args;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      args.positional.push_back(arg);
      continue;
    }
    std::string value;
    bool has_value = false;
    if (const auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    const std::string name = arg.substr(2);
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return Status::error("unknown option " + arg);
    }
    if (!has_value) {
      if (i + 1 >= argc) return Status::error(arg + ": missing value");
      value = argv[++i];
    }
    if (args.options.count(name)) return Status::error(arg + ": given twice");
    args.options[name] = value;
  }
  return args;
}

// ---------------------------------------------------------------------------------------------
// serve

struct ServeConfig {
  std::string db;
  std::string post_keys;               // directory of <post>.pub; "" = events stored unverified
  std::string signing_key;             // central's Ed25519 key for its commands; "" = unsigned
  std::int64_t backfill_retry_s = 10;  // 0 = never ask posts to re-send
  std::int64_t backfill_max_seqs = kDefaultBackfillMaxSeqs;
  std::string shared_group;  // "" = a plain subscription to every post's events
  sync::MqttOptions mqtt;
  std::string http_host;
  std::uint16_t http_port = 0;
  http::TlsFiles http_tls;
  std::string tokens_file;
  log::Level log_level = log::Level::kInfo;
  log::Format log_format = log::Format::kJson;
};

Result<ServeConfig> loadConfig(const std::string& path) {
  auto reader = ConfigReader::fromFile(path);
  if (!reader) return reader.status();
  ConfigReader& r = *reader;
  ServeConfig cfg;
  cfg.db = r.getString("central.db", "/var/lib/kordon-central/central.db");
  if (cfg.db.empty()) r.fail("central.db", "expected a file path");
  cfg.post_keys = r.getString("central.post_keys", "");
  cfg.signing_key = r.getString("central.signing_key", "");
  cfg.backfill_retry_s = r.getInt("central.backfill_retry_s", 10, 0, 86400);
  cfg.backfill_max_seqs =
      r.getInt("central.backfill_max_seqs", kDefaultBackfillMaxSeqs, 1, 1000000);
  cfg.mqtt.server_uri = r.getString("mqtt.uri", "tcp://127.0.0.1:1883");
  // A fixed id and a persistent session: the broker queues QoS1 events while central is down.
  cfg.mqtt.client_id = r.getString("mqtt.client_id", "kordon-central");
  if (cfg.mqtt.client_id.empty()) r.fail("mqtt.client_id", "expected a non-empty client id");
  cfg.mqtt.clean_session = false;
  cfg.mqtt.mqtt_version = static_cast<int>(r.getInt("mqtt.version", 5, 4, 5));
  // Instances with one group share the events between them (each event goes to one of them).
  // Off by default: mosquitto 2.0 queues nothing for a shared group while every member is
  // offline, whereas a plain subscription's persistent session holds the events; with a group,
  // what was published meanwhile comes back by backfill (the posts' status last_seq).
  cfg.shared_group = r.getString("mqtt.shared_group", "");
  if (!cfg.shared_group.empty() &&
      (!isValidPostId(cfg.shared_group) || cfg.mqtt.mqtt_version != 5)) {
    r.fail("mqtt.shared_group",
           "expected \"\" or 1..64 characters of [A-Za-z0-9._-], with mqtt.version = 5");
  }
  cfg.mqtt.username = r.getString("mqtt.username", "");
  cfg.mqtt.password = r.getString("mqtt.password", "");
  const TlsClientFiles tls = r.getTlsClientFiles("mqtt", cfg.mqtt.server_uri);
  cfg.mqtt.ca_file = tls.ca_file;
  cfg.mqtt.cert_file = tls.cert_file;
  cfg.mqtt.key_file = tls.key_file;
  const std::string listen = r.getString("http.listen", "127.0.0.1:8090");
  if (!http::splitHostPort(listen, &cfg.http_host, &cfg.http_port)) {
    r.fail("http.listen", "expected host:port, e.g. \"127.0.0.1:8090\"");
  }
  cfg.http_tls.cert_file = r.getString("http.cert_file", "");
  cfg.http_tls.key_file = r.getString("http.key_file", "");
  if (cfg.http_tls.cert_file.empty() != cfg.http_tls.key_file.empty()) {
    r.fail(cfg.http_tls.cert_file.empty() ? "http.cert_file" : "http.key_file",
           "HTTPS needs both cert_file and key_file");
  }
  // Tokens travel in every request: off the box, only over TLS.
  if (!cfg.http_tls.enabled() && !cfg.http_host.empty() && !http::isLoopbackHost(cfg.http_host)) {
    r.fail("http.cert_file", "required when http.listen is not a loopback address (" + listen +
                                 "): the API's tokens must not cross the network in clear");
  }
  cfg.tokens_file = r.getString("http.tokens_file", "/etc/kordon-central/tokens.toml");
  const std::string level = r.getEnum("log.level", "info", {"debug", "info", "warn", "error"});
  const std::string format = r.getEnum("log.format", "json", {"json", "text"});
  log::parseLevel(level, &cfg.log_level);
  log::parseFormat(format, &cfg.log_format);
  if (Status s = r.finish(); !s) return s;
  return cfg;
}

class CentralServer {
 public:
  CentralServer(std::string config_path, ServeConfig cfg, std::unique_ptr<CentralStore> store)
      : config_path_(std::move(config_path)),
        cfg_(std::move(cfg)),
        store_(std::move(store)),
        mqtt_(io_, cfg_.mqtt),
        api_(
            *store_,
            [this](const std::string& topic, const std::string& payload) {
              return publish(topic, payload);
            },
            clock_, [this] { return mqtt_.isConnected(); }),
        http_(io_,
              [this](const http::Request& request) {
                reloadTokensIfChanged();
                MutexLock lock(store_mutex_);
                http::Response response = api_.handle(request);
                if (request.path == "/healthz") response = withServerStats(std::move(response));
                return response;
              }),
        signals_(io_, SIGTERM, SIGINT, SIGHUP),
        watchdog_(io_),
        backfill_(cfg_.backfill_retry_s * 1000, cfg_.backfill_max_seqs),
        backfill_timer_(io_) {
    // Called from the API with store_mutex_ held (the HTTP handler takes it), which the analysis
    // cannot follow into a callback.
    api_.setPostExtras([this](const std::string& post,
                              nlohmann::json& entry) NO_THREAD_SAFETY_ANALYSIS {
      const auto& all = backfill_.counters();
      auto it = all.find(post);
      if (it == all.end()) return;
      const BackfillCounters& c = it->second;
      entry["backfill"] = {
          {"announced_last_seq",
           c.announced_last_seq ? nlohmann::json(*c.announced_last_seq) : nlohmann::json()},
          {"missing", c.missing},
          {"requests", c.requests},
          {"requested_seqs", c.requested_seqs},
          {"last_request", c.last_request_ms > 0 ? nlohmann::json(formatUtcMs(c.last_request_ms))
                                                 : nlohmann::json()}};
    });
  }

  int run() {
    const std::string events_filter =
        cfg_.shared_group.empty() ? std::string(msg::kAllEventsFilter)
                                  : "$share/" + cfg_.shared_group + "/" + msg::kAllEventsFilter;
    mqtt_.addSubscription(events_filter, 1);
    // Not shared: every instance needs every post's retained status, and brokers do not send
    // retained messages to shared subscriptions.
    mqtt_.addSubscription(msg::kAllStatusFilter, 1);
    mqtt_.onMessageCommit([this](const std::string& topic, const std::string& payload) {
      if (postFromEventsTopic(topic)) {
        onEvent(topic, payload);
      } else {
        onStatus(topic, payload);
      }
    });
    if (Status s = mqtt_.start(); !s) {
      log::error("cannot start mqtt client", {{"error", s.message()}});
      return kExitFailure;
    }
    if (Status s = loadTokens(); !s) {
      log::error("cannot load the API tokens", {{"error", s.message()}});
      mqtt_.stop();
      return kExitFailure;
    }
    if (Status s = http_.useTls(cfg_.http_tls); !s) {
      log::error("cannot start https", {{"error", s.message()}});
      mqtt_.stop();
      return kExitFailure;
    }
    auto port = http_.listen(cfg_.http_host, cfg_.http_port);
    if (!port) {
      log::error("cannot start http api", {{"error", port.status().message()}});
      mqtt_.stop();
      return kExitFailure;
    }
    waitForSignal();
    startWatchdog();
    if (cfg_.backfill_retry_s > 0) scheduleBackfill();
    log::info("kordon-central started", {{"db", cfg_.db},
                                         {"mqtt", cfg_.mqtt.server_uri},
                                         {"client_id", cfg_.mqtt.client_id},
                                         {"http", cfg_.http_host + ":" + std::to_string(*port)},
                                         {"https", cfg_.http_tls.enabled()}});
    sd_notify(0, "READY=1");
    io_.run();
    // Anything still posted (HTTP replies, publish completions) finishes before leaving.
    io_.restart();
    io_.poll();
    log::info("kordon-central stopped");
    return kExitOk;
  }

 private:
  // Called with store_mutex_ held (from the API), so the Paho call is deferred to the io thread
  // with no lock held: Paho's receive thread holds Paho's lock while it waits for that mutex.
  Status publish(const std::string& topic, const std::string& payload) {
    if (!mqtt_.isConnected()) return Status::error("mqtt: not connected");
    asio::post(io_, [this, topic, payload] {
      Status s = mqtt_.publish(topic, payload, 1, false, [topic](const Status& result) {
        if (result) {
          log::info("command delivered to broker", {{"topic", topic}});
        } else {
          log::warn("command not delivered", {{"topic", topic}, {"error", result.message()}});
        }
      });
      if (!s) log::warn("command not published", {{"topic", topic}, {"error", s.message()}});
    });
    return Status::ok();
  }

  // Runs on Paho's receive thread before the message's PUBACK (MqttClient::onMessageCommit).
  void onEvent(const std::string& topic, const std::string& payload) {
    IngestDetail d;
    Result<IngestOutcome> outcome = Status::error("not ingested");
    // A failed ingest rolled back, so it can be tried again: another instance on the same
    // SQLite file may hold the write lock past the busy timeout.
    for (int attempt = 0; attempt < kIngestAttempts; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(200 * attempt));
      MutexLock lock(store_mutex_);
      outcome = store_->ingestFromTopic(topic, payload, clock_.nowWallMs(), &d);
      if (outcome) break;
      log::warn(
          "event not stored; trying again",
          {{"topic", topic}, {"attempt", attempt + 1}, {"error", outcome.status().message()}});
    }
    if (!outcome) {
      // The database failed (disk full, I/O error). Returning would acknowledge an event that
      // is not stored, so end the process here instead: the broker keeps the event in central's
      // persistent session and delivers it again once systemd has restarted central
      // (Restart=on-failure). SQLite has rolled the transaction back; nothing else is pending
      // that a clean shutdown would save.
      log::error("event not stored; exiting without acknowledging it",
                 {{"topic", topic},
                  {"post", d.post},
                  {"seq", d.seq},
                  {"error", outcome.status().message()}});
      std::fflush(nullptr);
      std::_Exit(kExitFailure);
    }
    switch (*outcome) {
      case IngestOutcome::kStored:
        if (!d.reason.empty()) {
          log::warn("event chain break", {{"post", d.post}, {"seq", d.seq}, {"reason", d.reason}});
        } else {
          log::debug("event stored", {{"post", d.post}, {"seq", d.seq}});
        }
        if (!d.contract.empty()) {
          log::warn("event payload does not match its contract (stored all the same)",
                    {{"post", d.post}, {"seq", d.seq}, {"reason", d.contract}});
        }
        break;
      case IngestOutcome::kDuplicate:
      case IngestOutcome::kConflict:
      case IngestOutcome::kRejected:
        log::warn(std::string("event ") + toString(*outcome),
                  {{"topic", topic}, {"post", d.post}, {"seq", d.seq}, {"reason", d.reason}});
        break;
      case IngestOutcome::kUnacceptable:
        // Settled: the seq is not a gap that backfill asks for again (GET /v1/posts shows it).
        log::error("event can never be stored: recorded as unacceptable",
                   {{"topic", topic}, {"post", d.post}, {"seq", d.seq}, {"reason", d.reason}});
        break;
    }
  }

  // On Paho's receive thread, like onEvent.
  void onStatus(const std::string& topic, const std::string& payload) {
    auto announcement = parsePostStatusMessage(topic, payload);
    if (!announcement) {
      log::warn("post status ignored",
                {{"topic", topic}, {"error", announcement.status().message()}});
      return;
    }
    log::debug("post status",
               {{"post", announcement->post}, {"last_seq", announcement->last_seq.value_or(-1)}});
    MutexLock lock(store_mutex_);
    backfill_.announce(*announcement);
  }

  // Once a second: ask posts to re-send what is missing (sync/central/backfill.hpp).
  void scheduleBackfill() {
    backfill_timer_.expires_after(std::chrono::seconds(1));
    backfill_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      requestBackfills();
      scheduleBackfill();
    });
  }

  void requestBackfills() {
    if (!mqtt_.isConnected()) return;
    std::vector<BackfillScheduler::Request> due;
    {
      MutexLock lock(store_mutex_);
      auto posts = store_->postStatus();
      if (!posts) {
        log::warn("backfill: cannot read post status", {{"error", posts.status().message()}});
        return;
      }
      due = backfill_.due(*posts, clock_.nowWallMs());
    }
    // Published with no lock held (see store_mutex_).
    for (const auto& request : due) {
      const std::string topic = msg::commandTopic(request.post, msg::kBackfillCommand);
      log::info("backfill requested",
                {{"post", request.post}, {"from", request.range.from}, {"to", request.range.to}});
      Status s = mqtt_.publish(
          topic, backfillRequestJson(request.range, signing_key_ ? &*signing_key_ : nullptr), 1,
          false, [topic](const Status& result) {
            if (!result) {
              log::warn("backfill request not delivered",
                        {{"topic", topic}, {"error", result.message()}});
            }
          });
      if (!s)
        log::warn("backfill request not published", {{"topic", topic}, {"error", s.message()}});
    }
  }

  // Stops everything on the io thread; run() then returns.
  void shutdown() {
    sd_notify(0, "STOPPING=1");
    http_.stop();
    mqtt_.stop();
    watchdog_.cancel();
    backfill_timer_.cancel();
    signals_.cancel();
    io_.stop();
  }

  void waitForSignal() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      if (signo == SIGHUP) {
        reload();
        waitForSignal();
        return;
      }
      log::info("stopping", {{"signal", signo == SIGTERM ? "TERM" : "INT"}});
      shutdown();
    });
  }

  void reload() {
    auto cfg = loadConfig(config_path_);
    if (!cfg) {
      log::warn("SIGHUP: config not reloaded", {{"error", cfg.status().message()}});
      return;
    }
    log::configure(cfg->log_level, cfg->log_format, "central");
    if (Status s = applyPostKeys(cfg->post_keys); !s) {
      log::warn("SIGHUP: post keys not reloaded; keeping the previous ones",
                {{"error", s.message()}});
    }
    if (Status s = loadTokens(); !s) {
      log::warn("SIGHUP: API tokens not reloaded; keeping the previous ones",
                {{"error", s.message()}});
    }
    log::info("SIGHUP: log settings, post keys and API tokens reloaded");
  }

  // The tokens file, read now; kept on error (a half-edited file never locks everyone out).
  Status loadTokens() {
    std::error_code ec;
    const auto mtime = std::filesystem::last_write_time(cfg_.tokens_file, ec);
    auto tokens = ApiTokens::load(cfg_.tokens_file);
    if (!tokens) return tokens.status();
    tokens_mtime_ = ec ? std::filesystem::file_time_type() : mtime;
    if (tokens->tokens().empty()) {
      log::warn("no API tokens: every API request but /healthz is refused",
                {{"tokens_file", cfg_.tokens_file}});
    } else {
      log::info("API tokens loaded",
                {{"tokens_file", cfg_.tokens_file}, {"tokens", tokens->tokens().size()}});
    }
    MutexLock lock(store_mutex_);
    api_.setTokens(std::move(tokens).value());
    return Status::ok();
  }

  // At most once a second, on the io thread: a revocation takes effect without a reload.
  void reloadTokensIfChanged() {
    const auto now = std::chrono::steady_clock::now();
    if (now - tokens_checked_ < std::chrono::seconds(1)) return;
    tokens_checked_ = now;
    std::error_code ec;
    const auto mtime = std::filesystem::last_write_time(cfg_.tokens_file, ec);
    if ((ec ? std::filesystem::file_time_type() : mtime) == tokens_mtime_) return;
    if (Status s = loadTokens(); !s) {
      log::warn("API tokens file changed but is not valid; keeping the previous tokens",
                {{"error", s.message()}});
    }
  }

  // /healthz also says what the HTTP server refused.
  http::Response withServerStats(http::Response response) {
    auto j = nlohmann::json::parse(response.body, nullptr, false);
    if (j.is_object()) {
      j["http"] = http_.statsJson();
      response.body = j.dump();
    }
    return response;
  }

 public:
  // Loads the post keys from `dir` ("" = verify nothing) into the store.
  Status applyPostKeys(const std::string& dir) {
    std::optional<PostKeys> keys;
    if (!dir.empty()) {
      auto loaded = loadPostKeys(dir);
      if (!loaded) return loaded.status();
      log::info("post keys loaded", {{"dir", dir}, {"posts", loaded->size()}});
      keys = std::move(loaded).value();
    } else {
      log::warn(
          "no [central] post_keys: event signatures are NOT verified; events are stored as "
          "\"unverified\"");
    }
    MutexLock lock(store_mutex_);
    store_->setPostKeys(std::move(keys));
    return Status::ok();
  }

  void setSigningKey(const SigningKey& key) {
    signing_key_ = key;
    api_.setSigningKey(key);
  }

 private:
  void startWatchdog() {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
    watchdog_interval_ = std::chrono::microseconds(usec / 2);
    kickWatchdog();
  }

  void kickWatchdog() {
    sd_notify(0, "WATCHDOG=1");
    watchdog_.expires_after(watchdog_interval_);
    watchdog_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) kickWatchdog();
    });
  }

  std::string config_path_;
  ServeConfig cfg_;
  SystemClock clock_;
  asio::io_context io_;
  std::unique_ptr<CentralStore> store_;
  // Guards store_: events are ingested on Paho's receive thread, queries run on the io thread.
  // Never held across a call into mqtt_. Declared before mqtt_, which is destroyed first.
  Mutex store_mutex_;
  sync::MqttClient mqtt_;
  CentralApi api_;
  http::Server http_;
  asio::signal_set signals_;
  asio::steady_timer watchdog_;
  std::chrono::microseconds watchdog_interval_{0};
  std::optional<SigningKey> signing_key_;
  BackfillScheduler backfill_ GUARDED_BY(store_mutex_);
  asio::steady_timer backfill_timer_;
  std::filesystem::file_time_type tokens_mtime_{};
  std::chrono::steady_clock::time_point tokens_checked_{};
};

int serve(int argc, char** argv) {
  auto args = parseArgs(argc, argv, 2, {"config"});
  if (!args) return usageError(args.status().message());
  if (!args->positional.empty()) return usageError("serve: unexpected " + args->positional[0]);
  const std::string config_path = args->options.count("config") ? args->options["config"] : "";
  auto cfg = loadConfig(config_path);
  if (!cfg) {
    std::cerr << "kordon-central: " << cfg.status().message() << "\n";
    return kExitUsage;
  }
  log::configure(cfg->log_level, cfg->log_format, "central");
  log::info("open file limit", {{"nofile", http::raiseOpenFileLimit()}});
  auto store = CentralStore::open(cfg->db);
  if (!store) {
    log::error("cannot open store", {{"error", store.status().message()}});
    return kExitFailure;
  }
  std::optional<SigningKey> signing_key;
  if (!cfg->signing_key.empty()) {
    auto key = SigningKey::loadOrCreate(cfg->signing_key);
    if (!key) {
      log::error("cannot load the signing key", {{"error", key.status().message()}});
      return kExitFailure;
    }
    signing_key = std::move(key).value();
  }
  const std::string post_keys = cfg->post_keys;
  CentralServer server(config_path, std::move(cfg).value(), std::move(store).value());
  if (Status s = server.applyPostKeys(post_keys); !s) {
    log::error("cannot load post keys", {{"error", s.message()}});
    return kExitFailure;
  }
  if (signing_key) server.setSigningKey(*signing_key);
  return server.run();
}

// ---------------------------------------------------------------------------------------------
// events

int events(int argc, char** argv) {
  auto args = parseArgs(argc, argv, 2,
                        {"db", "post", "after", "limit", "type", "lane", "from", "to", "format"});
  if (!args) return usageError(args.status().message());
  if (!args->positional.empty()) return usageError("events: unexpected " + args->positional[0]);
  auto& opts = args->options;
  if (!opts.count("db")) return usageError("events: --db FILE is required");
  const std::string db_path = opts["db"];
  opts.erase("db");
  std::optional<std::int64_t> total;
  if (auto it = opts.find("limit"); it != opts.end()) {
    const std::string& text = it->second;
    if (text.empty() || text.size() > 18 ||
        text.find_first_not_of("0123456789") != std::string::npos) {
      return usageError("--limit: expected a non-negative integer");
    }
    total = std::stoll(text);
    opts.erase(it);
  }
  auto query = parseEventQuery(opts);
  if (!query) return usageError("--" + query.status().message());
  const bool csv = opts.count("format") && opts["format"] == "csv";

  auto store = CentralStore::openReadOnly(db_path);
  if (!store) {
    std::cerr << "kordon-central: " << store.status().message() << "\n";
    return kExitFailure;
  }
  if (csv) std::cout << eventsCsvHeader();
  std::int64_t printed = 0;
  for (;;) {
    std::int64_t want = kMaxQueryLimit;
    if (total) want = std::min<std::int64_t>(want, *total - printed);
    if (want <= 0) break;
    query->limit = static_cast<int>(want);
    auto batch = (*store)->eventsAfter(*query);
    if (!batch) {
      std::cerr << "kordon-central: " << batch.status().message() << "\n";
      return kExitFailure;
    }
    for (const auto& e : *batch) {
      if (csv) {
        std::cout << eventCsvRow(e);
      } else if (e.envelope.find_first_of("\r\n") == std::string::npos) {
        std::cout << e.envelope << '\n';
      } else {  // keep one envelope per line even if a post sent it pretty-printed
        std::cout << nlohmann::json::parse(e.envelope, nullptr, false)
                         .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                  << '\n';
      }
    }
    printed += static_cast<std::int64_t>(batch->size());
    if (batch->size() < static_cast<std::size_t>(want)) break;
    query->after = query->post ? batch->back().seq : batch->back().cursor;
  }
  std::cout.flush();
  if (!std::cout) {
    std::cerr << "kordon-central: write to stdout failed\n";
    return kExitFailure;
  }
  return kExitOk;
}

// ---------------------------------------------------------------------------------------------
// declare, policy

// The bearer token for a client command: --token-file, else $KORDON_CENTRAL_TOKEN.
Result<std::string> clientToken(const std::map<std::string, std::string>& opts) {
  std::string token;
  if (auto it = opts.find("token-file"); it != opts.end()) {
    std::ifstream in(it->second, std::ios::binary);
    if (!in) return Status::error(it->second + ": cannot open");
    std::getline(in, token);
  } else if (const char* env = std::getenv("KORDON_CENTRAL_TOKEN")) {
    token = env;
  }
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.empty()) {
    return Status::error("no API token: give --token-file FILE or set KORDON_CENTRAL_TOKEN");
  }
  return token;
}

// POSTs FILE to URL/v1/posts/P/<resource> with the caller's token; prints the reply.
int postCommand(int argc, char** argv, const std::string& command, const std::string& resource) {
  auto args = parseArgs(argc, argv, 2, {"api", "post", "token-file", "ca-file"});
  if (!args) return usageError(args.status().message());
  auto& opts = args->options;
  if (!opts.count("api")) return usageError(command + ": --api URL is required");
  if (!opts.count("post")) return usageError(command + ": --post P is required");
  if (args->positional.size() != 1) return usageError(command + ": expected exactly one FILE");
  if (!isValidPostId(opts["post"])) {
    return usageError("--post: expected 1..64 characters of [A-Za-z0-9._-]");
  }
  auto token = clientToken(opts);
  if (!token) return usageError(token.status().message());
  const std::string& file = args->positional[0];
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::cerr << "kordon-central: " << file << ": cannot open\n";
    return kExitFailure;
  }
  std::ostringstream body;
  body << in.rdbuf();
  std::string api = opts["api"];
  while (!api.empty() && api.back() == '/') api.pop_back();
  const std::string url = api + "/v1/posts/" + http::percentEncode(opts["post"]) + "/" + resource;
  http::ClientOptions client;
  client.headers["Authorization"] = "Bearer " + *token;
  if (opts.count("ca-file")) client.ca_file = opts["ca-file"];
  auto response = http::request("POST", url, body.str(), "application/json", client);
  if (!response) {
    std::cerr << "kordon-central: " << response.status().message() << "\n";
    return kExitFailure;
  }
  const bool ok = response->status >= 200 && response->status < 300;
  (ok ? std::cout : std::cerr) << response->body
                               << (response->body.empty() || response->body.back() != '\n' ? "\n"
                                                                                           : "");
  if (!ok) {
    std::cerr << "kordon-central: " << url << ": HTTP " << response->status << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

// ---------------------------------------------------------------------------------------------
// token

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const std::string item =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

int token(int argc, char** argv) {
  if (argc < 3) return usageError("token: expected add, revoke or list");
  const std::string verb = argv[2];
  auto args = parseArgs(argc, argv, 3, {"tokens", "name", "roles", "posts", "days"});
  if (!args) return usageError(args.status().message());
  if (!args->positional.empty()) return usageError("token: unexpected " + args->positional[0]);
  auto& opts = args->options;
  if (!opts.count("tokens")) return usageError("token: --tokens FILE is required");
  const std::string path = opts["tokens"];
  auto tokens = ApiTokens::load(path);
  if (!tokens) {
    std::cerr << "kordon-central: " << tokens.status().message() << "\n";
    return kExitFailure;
  }
  SystemClock clock;
  const WallMs now = clock.nowWallMs();
  if (verb == "list") {
    for (const ApiToken& t : tokens->tokens()) {
      std::string posts;
      for (const auto& p : t.posts) posts += (posts.empty() ? "" : ",") + p;
      std::cout << t.name << " roles=" << t.rolesText() << " posts=" << posts
                << " created=" << (t.created_ms ? formatUtcMs(t.created_ms) : "-")
                << " expires=" << (t.expires_ms ? formatUtcMs(*t.expires_ms) : "never")
                << " revoked=" << (t.revoked_ms ? formatUtcMs(*t.revoked_ms) : "no") << "\n";
    }
    return kExitOk;
  }
  if (!opts.count("name")) return usageError("token " + verb + ": --name N is required");
  if (verb == "revoke") {
    if (Status s = tokens->revoke(opts["name"], now); !s) return usageError(s.message());
  } else if (verb == "add") {
    if (!opts.count("roles")) return usageError("token add: --roles R[,R] is required");
    std::set<Role> roles;
    for (const auto& r : splitList(opts["roles"])) {
      auto role = parseRole(r);
      if (!role) return usageError("--roles: " + role.status().message());
      roles.insert(*role);
    }
    const std::vector<std::string> posts =
        opts.count("posts") ? splitList(opts["posts"]) : std::vector<std::string>{kAllPosts};
    std::optional<WallMs> expires;
    if (opts.count("days")) {
      const std::string& d = opts["days"];
      if (d.empty() || d.size() > 5 || d.find_first_not_of("0123456789") != std::string::npos ||
          std::stoi(d) < 1) {
        return usageError("--days: expected a whole number of days, 1..99999");
      }
      expires = now + std::int64_t{std::stoi(d)} * 24 * 3600 * 1000;
    }
    auto made = tokens->add(opts["name"], roles, posts, now, expires);
    if (!made) return usageError(made.status().message());
    if (Status s = tokens->save(path); !s) {
      std::cerr << "kordon-central: " << s.message() << "\n";
      return kExitFailure;
    }
    std::cout << *made << "\n";
    return kExitOk;
  } else {
    return usageError("token: expected add, revoke or list, not \"" + verb + "\"");
  }
  if (Status s = tokens->save(path); !s) {
    std::cerr << "kordon-central: " << s.message() << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

int run(int argc, char** argv) {
  if (argc < 2) return usageError("missing command");
  const std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return kExitOk;
  }
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return kExitOk;
    }
  }
  if (command == "serve") return serve(argc, argv);
  if (command == "events") return events(argc, argv);
  if (command == "declare") return postCommand(argc, argv, "declare", "declarations");
  if (command == "policy") return postCommand(argc, argv, "policy", "policies");
  if (command == "token") return token(argc, argv);
  return usageError("unknown command \"" + command + "\"");
}

}  // namespace
}  // namespace kordon::central

int main(int argc, char** argv) {
  try {
    return kordon::central::run(argc, argv);
  } catch (const std::exception& e) {  // last resort: a bug, not a control path
    std::cerr << "kordon-central: fatal: " << e.what() << "\n";
    return kordon::central::kExitFailure;
  }
}
