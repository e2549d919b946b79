// SPDX-License-Identifier: Apache-2.0
#include "sync/mqtt_client.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <utility>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <mqtt/async_client.h>

#include "edge/base/log.hpp"
#include "edge/base/thread_annotations.hpp"

namespace kordon::sync {

namespace asio = boost::asio;

namespace {

// Carried through Paho as the token's user context; deleted when the token completes.
struct PendingPublish {
  MqttClient::PublishDone done;
};

}  // namespace

// Reconnects are ours, not Paho's: Paho's automatic reconnect does not retry a failed first
// connect, and one loop for both cases is easier to reason about.
struct MqttClient::Impl : std::enable_shared_from_this<MqttClient::Impl>, mqtt::iaction_listener {
  Impl(asio::io_context& io_context, MqttOptions opts)
      : io(io_context), options(std::move(opts)), reconnect_timer(io_context) {}

  asio::io_context& io;
  MqttOptions options;
  asio::steady_timer reconnect_timer;  // io thread only
  int backoff_s = 0;                   // io thread only
  std::atomic<bool> connected{false};
  std::atomic<bool> stopping{false};

  Mutex mutex;
  std::vector<std::pair<std::string, int>> subscriptions GUARDED_BY(mutex);
  // Publishes awaiting their token's completion, by the user context given to Paho; whatever
  // Paho never completes is freed with the client.
  std::map<PendingPublish*, std::unique_ptr<PendingPublish>> pending_publishes GUARDED_BY(mutex);
  ConnectionHandler on_connected;
  LostHandler on_lost;
  MessageHandler on_message;
  MessageHandler on_commit;
  Mutex commit_mutex;  // one commit handler at a time, whichever Paho thread delivers

  // Publish completions (iaction_listener), called on a Paho thread.
  void on_success(const mqtt::token& tok) override { complete(tok, Status::ok()); }
  void on_failure(const mqtt::token& tok) override {
    complete(tok, Status::error("publish failed (paho rc " + std::to_string(tok.get_return_code()) +
                                ")"));
  }

  void complete(const mqtt::token& tok, Status result) {
    std::shared_ptr<PendingPublish> owned;
    {
      MutexLock lock(mutex);
      auto node = pending_publishes.extract(static_cast<PendingPublish*>(tok.get_user_context()));
      if (node.empty()) return;
      owned = std::move(node.mapped());
    }
    // Shared ownership: if the loop has stopped, destroying the handler still frees it.
    asio::post(io, [owned = std::move(owned), result = std::move(result)]() {
      if (owned->done) owned->done(result);
    });
  }

  mqtt::connect_options connectOptions() const {
    mqtt::connect_options_builder builder;
    builder.mqtt_version(options.mqtt_version);
    if (options.mqtt_version >= MQTTVERSION_5) {
      builder.clean_start(options.clean_session);  // properties: see start()
    } else {
      builder.clean_session(options.clean_session);
    }
    builder.keep_alive_interval(std::chrono::seconds(options.keep_alive_s))
        .connect_timeout(std::chrono::seconds(options.connect_timeout_s))
        .automatic_reconnect(false);
    if (!options.username.empty()) builder.user_name(options.username);
    if (!options.password.empty()) builder.password(options.password);
    if (!options.will_topic.empty()) {
      builder.will(mqtt::message(options.will_topic, options.will_payload, 1, true));
    }
    if (!options.ca_file.empty()) {
      mqtt::ssl_options ssl;
      ssl.set_trust_store(options.ca_file);
      ssl.set_enable_server_cert_auth(true);
      ssl.set_verify(true);  // the broker's certificate must also name the host we dialled
      if (!options.cert_file.empty()) {
        ssl.set_key_store(options.cert_file);
        ssl.set_private_key(options.key_file);
      }
      builder.ssl(std::move(ssl));
    }
    return builder.finalize();
  }

  void connect() {
    if (stopping) return;
    try {
      client->connect(connect_options)->set_action_callback(connect_listener);
    } catch (const mqtt::exception& e) {
      log::warn("mqtt connect failed", {{"uri", options.server_uri}, {"error", e.what()}});
      scheduleReconnect();
    }
  }

  void scheduleReconnect() {
    asio::post(io, [self = shared_from_this()] {
      if (self->stopping) return;
      self->backoff_s = self->backoff_s == 0
                            ? self->options.reconnect_min_s
                            : std::min(self->backoff_s * 2, self->options.reconnect_max_s);
      self->reconnect_timer.expires_after(std::chrono::seconds(self->backoff_s));
      self->reconnect_timer.async_wait([self](const boost::system::error_code& ec) {
        if (!ec) self->connect();
      });
    });
  }

  // "Connected" means subscribed too: a caller that sees isConnected() can rely on receiving
  // what is published to its filters from then on.
  void onConnectedPaho() {
    std::vector<std::pair<std::string, int>> subs;
    {
      MutexLock lock(mutex);
      subs = subscriptions;
    }
    pending_subacks = static_cast<int>(subs.size());
    if (subs.empty()) {
      markReady();
      return;
    }
    for (const auto& [filter, qos] : subs) {
      try {
        client->subscribe(filter, qos, nullptr, suback_listener);
      } catch (const mqtt::exception& e) {
        log::warn("mqtt subscribe failed", {{"filter", filter}, {"error", e.what()}});
        onSuback(false);
      }
    }
  }

  void onSuback(bool ok) {
    if (!ok) suback_failed = true;
    if (--pending_subacks > 0) return;
    if (suback_failed.exchange(false)) {
      // Without its subscriptions the client is no use; drop and reconnect.
      log::warn("mqtt subscription refused; reconnecting", {{"uri", options.server_uri}});
      try {
        client->disconnect();
      } catch (const mqtt::exception&) {
      }
      scheduleReconnect();
      return;
    }
    markReady();
  }

  void markReady() {
    connected = true;
    asio::post(io, [self = shared_from_this()] {
      self->backoff_s = 0;
      log::info("mqtt connected", {{"uri", self->options.server_uri}});
      if (self->on_connected) self->on_connected();
    });
  }

  void onLostPaho(const std::string& cause) {
    connected = false;
    asio::post(io, [self = shared_from_this(), cause] {
      log::warn("mqtt connection lost", {{"uri", self->options.server_uri}, {"cause", cause}});
      if (self->on_lost) self->on_lost(cause);
    });
    scheduleReconnect();
  }

  // Connect outcome listener; a failed connect schedules the next try.
  struct ConnectListener : mqtt::iaction_listener {
    Impl* impl = nullptr;
    void on_success(const mqtt::token&) override {}  // the connected handler does the work
    void on_failure(const mqtt::token& tok) override {
      impl->connected = false;
      log::warn("mqtt connect failed",
                {{"uri", impl->options.server_uri}, {"paho_rc", tok.get_return_code()}});
      impl->scheduleReconnect();
    }
  } connect_listener;

  struct SubackListener : mqtt::iaction_listener {
    Impl* impl = nullptr;
    void on_success(const mqtt::token&) override { impl->onSuback(true); }
    void on_failure(const mqtt::token&) override { impl->onSuback(false); }
  } suback_listener;
  std::atomic<int> pending_subacks{0};
  std::atomic<bool> suback_failed{false};
  // Last member, so it is destroyed first: its callbacks use the listeners above.
  mqtt::connect_options connect_options;  // set by start()
  std::unique_ptr<mqtt::async_client> client;
};

MqttClient::MqttClient(asio::io_context& io, MqttOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(options))) {
  impl_->connect_listener.impl = impl_.get();
  impl_->suback_listener.impl = impl_.get();
}

MqttClient::~MqttClient() { stop(std::chrono::milliseconds(500)); }

void MqttClient::onConnected(ConnectionHandler handler) {
  impl_->on_connected = std::move(handler);
}
void MqttClient::onConnectionLost(LostHandler handler) { impl_->on_lost = std::move(handler); }
void MqttClient::onMessage(MessageHandler handler) { impl_->on_message = std::move(handler); }
void MqttClient::onMessageCommit(MessageHandler handler) { impl_->on_commit = std::move(handler); }

void MqttClient::addSubscription(const std::string& filter, int qos) {
  MutexLock lock(impl_->mutex);
  impl_->subscriptions.emplace_back(filter, qos);
}

Status MqttClient::start() {
  try {
    // No persistence object: Paho keeps nothing on disk and buffers nothing offline.
    impl_->client = std::make_unique<mqtt::async_client>(
        impl_->options.server_uri, impl_->options.client_id,
        mqtt::create_options(impl_->options.mqtt_version), nullptr);
  } catch (const mqtt::exception& e) {
    return Status::error("mqtt: bad server uri '" + impl_->options.server_uri + "': " + e.what());
  }
  std::weak_ptr<Impl> weak = impl_;
  impl_->client->set_connected_handler([weak](const std::string&) {
    if (auto self = weak.lock()) self->onConnectedPaho();
  });
  impl_->client->set_connection_lost_handler([weak](const std::string& cause) {
    if (auto self = weak.lock()) self->onLostPaho(cause);
  });
  impl_->client->set_message_callback([weak](mqtt::const_message_ptr m) {
    auto self = weak.lock();
    if (!self) return;
    if (self->on_commit) {
      MutexLock lock(self->commit_mutex);
      self->on_commit(m->get_topic(), m->to_string());
      return;  // Paho sends the PUBACK now
    }
    asio::post(self->io, [self, topic = m->get_topic(), payload = m->to_string()] {
      if (self->on_message) self->on_message(topic, payload);
    });
  });
  impl_->connect_options = impl_->connectOptions();
  const MqttOptions& opts = impl_->options;
  if (opts.mqtt_version >= MQTTVERSION_5 && !opts.clean_session) {
    // Set on the member, which outlives every connect: Paho C++ 1.2.0 copies connect_options
    // (by value into connect()) without re-pointing the C struct at the copy's properties.
    // Not the initializer-list constructor either: in 1.2.0 it leaves the C struct unset.
    mqtt::properties props;
    props.add({mqtt::property::SESSION_EXPIRY_INTERVAL, opts.session_expiry_s});
    impl_->connect_options.set_properties(std::move(props));
  }
  impl_->connect();
  return Status::ok();
}

void MqttClient::stop(std::chrono::milliseconds timeout) {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  impl_->reconnect_timer.cancel();
  if (!impl_->client) return;
  try {
    if (impl_->client->is_connected()) {
      impl_->client->disconnect(static_cast<int>(timeout.count()))->wait_for(timeout);
    }
  } catch (const mqtt::exception& e) {
    log::debug("mqtt disconnect", {{"error", e.what()}});
  }
  impl_->connected = false;
}

bool MqttClient::isConnected() const { return impl_->connected && !impl_->stopping; }

Status MqttClient::publish(const std::string& topic, const std::string& payload, int qos,
                           bool retained, PublishDone done) {
  if (!impl_->client || !isConnected()) return Status::error("mqtt: not connected");
  auto owned = std::make_unique<PendingPublish>();
  owned->done = std::move(done);
  PendingPublish* pending = owned.get();
  {
    MutexLock lock(impl_->mutex);
    impl_->pending_publishes.emplace(pending, std::move(owned));
  }
  try {
    auto msg = mqtt::make_message(topic, payload, qos, retained);
    impl_->client->publish(msg, pending, *impl_);
  } catch (const mqtt::exception& e) {
    MutexLock lock(impl_->mutex);
    impl_->pending_publishes.erase(pending);
    return Status::error(std::string("mqtt publish: ") + e.what());
  }
  return Status::ok();
}

}  // namespace kordon::sync
