// SPDX-License-Identifier: Apache-2.0
#pragma once

// A real mosquitto for HIL tests, on a free loopback port, that a test can kill, restart,
// freeze (SIGSTOP) and thaw. Its config is `listener <port> 127.0.0.1`, then `listener_config`
// (options of that listener: TLS files, require_certificate, ...), then `global_config`.
// Persistence is off: a restart loses every queued message and session, as a crash would.
//
// Thread-safety: one thread, like Process.

#include <cstdint>
#include <optional>
#include <string>

#include "edge/base/status.hpp"
#include "tests/hil/process.hpp"

namespace kordon::test {

class Broker {
 public:
  [[nodiscard]] static Result<Broker> start(
      const std::string& dir, const std::string& listener_config = "",
      const std::string& global_config = "allow_anonymous true\n");
  Broker(Broker&&) = default;
  Broker& operator=(Broker&&) = default;
  ~Broker();

  std::uint16_t port() const { return port_; }
  std::string uri() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
  std::string logPath() const { return dir_ + "/mosquitto.log"; }

  [[nodiscard]] Status kill();     // SIGKILL, reaped
  [[nodiscard]] Status restart();  // same port and config; waits until it accepts
  [[nodiscard]] Status freeze();   // SIGSTOP: connections stay open, nothing is answered
  [[nodiscard]] Status thaw();     // SIGCONT

 private:
  Broker(std::string dir, std::uint16_t port) : dir_(std::move(dir)), port_(port) {}
  Status launch();

  std::string dir_;
  std::uint16_t port_ = 0;
  std::optional<Process> process_;
};

}  // namespace kordon::test
