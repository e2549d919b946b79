// SPDX-License-Identifier: Apache-2.0
#pragma once

// Paho MQTT C++ behind a small value-returning interface.
//
// Thread-safety: every callback (connected, disconnected, message, publish completion) is
// post()ed onto the io_context given at construction, so callers touch no state on Paho's
// threads. publish() and subscribe() may be called from any thread.
//
// Acknowledging after commit (onMessageCommit): Paho sends the PUBACK of a QoS1 message when
// its arrival callback returns, so a message posted to the io_context is acknowledged before
// it is handled. A commit handler instead runs on Paho's receive thread, one message at a time,
// and the PUBACK follows its return: the broker forgets a message only once the handler has
// committed it. Paho holds its client lock meanwhile, so the handler must not call into this
// client nor wait for a thread that may (the io thread publishing); share state with a mutex
// that is never held across a publish(). A handler that cannot take a message must not return
// (end the process): the broker then re-sends it to the next session.
//
// Durability is NOT Paho's job here: the client is created without persistence and publish()
// fails at once while disconnected. Kordon's outbox is the record, and re-sends after a
// reconnect (STYLE.md, DESIGN.md "Offline semantics").

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "edge/base/status.hpp"

namespace kordon::sync {

struct MqttOptions {
  std::string server_uri = "tcp://127.0.0.1:1883";
  std::string client_id;
  bool clean_session = true;  // v5: clean start
  // MQTT protocol version: 4 is 3.1.1, 5 is MQTT v5 (shared subscriptions, session expiry).
  int mqtt_version = 4;
  // v5 with clean_session false: how long the broker keeps the session after a disconnect.
  int session_expiry_s = 7 * 24 * 3600;
  int keep_alive_s = 10;
  int connect_timeout_s = 5;
  int reconnect_min_s = 1;
  int reconnect_max_s = 10;
  std::string username;
  std::string password;
  // TLS, for an ssl:// server_uri: CA bundle to verify the broker, and an optional client
  // certificate and key (PEM) that identify this client to the broker.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  // Last will, published by the broker if the connection drops (retained).
  std::string will_topic;
  std::string will_payload;
};

class MqttClient {
 public:
  using MessageHandler = std::function<void(const std::string& topic, const std::string& payload)>;
  using ConnectionHandler = std::function<void()>;
  using LostHandler = std::function<void(const std::string& reason)>;
  using PublishDone = std::function<void(const Status& result)>;

  MqttClient(boost::asio::io_context& io, MqttOptions options);
  ~MqttClient();
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  // Set before start().
  void onConnected(ConnectionHandler handler);
  void onConnectionLost(LostHandler handler);
  void onMessage(MessageHandler handler);
  // Instead of onMessage: runs on a Paho thread and the PUBACK waits for it (see above).
  void onMessageCommit(MessageHandler handler);
  // Remembered and re-applied after every (re)connect.
  void addSubscription(const std::string& filter, int qos);

  // Starts connecting in the background; reconnects forever with backoff until stop().
  Status start();
  // Disconnects, waiting up to `timeout` for in-flight work. Idempotent.
  void stop(std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));

  // Connected AND every subscription acknowledged.
  bool isConnected() const;
  // QoS 0 or 1. For QoS1 `done` runs (on the io_context) when the PUBACK arrives, or with an
  // error if the connection is lost first. Returns an error at once when not connected.
  Status publish(const std::string& topic, const std::string& payload, int qos, bool retained,
                 PublishDone done);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace kordon::sync
