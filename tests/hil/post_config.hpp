// SPDX-License-Identifier: Apache-2.0
#pragma once

// kordond configuration for the sync HIL tests (backfill, TLS, chaos): `lanes` lanes with push
// cameras on /anpr/L<n>, no screening devices, and weighbridges on a port where nothing
// listens (their health events are part of the traffic). `mqtt_extra` goes into the [mqtt]
// table (TLS files); `extra` is appended as is.

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "edge/base/http.hpp"

namespace kordon::test {

inline std::string postConfig(const std::string& post, const std::string& state_dir,
                              const std::string& mqtt_uri, std::uint16_t http_port,
                              std::uint16_t dead_port, int lanes, const std::string& extra = "",
                              const std::string& mqtt_extra = "") {
  std::string text = "[post]\nid = \"" + post + "\"\nstate_dir = \"" + state_dir +
                     "\"\n[mqtt]\nuri = \"" + mqtt_uri + "\"\nkeep_alive_s = 2\n" + mqtt_extra +
                     "[http]\nlisten = \"127.0.0.1:" + std::to_string(http_port) +
                     "\"\n[log]\nformat = \"text\"\n" + extra + "\n";
  for (int i = 1; i <= lanes; ++i) {
    text += "[[lanes]]\nid = \"L" + std::to_string(i) +
            "\"\n[lanes.weighbridge]\nport = " + std::to_string(dead_port) +
            "\n[lanes.radiation]\ntype = \"none\"\n[lanes.xray]\ntype = \"none\"\n";
  }
  return text;
}

// GET /healthz as JSON; null when it does not answer.
inline nlohmann::json postHealth(std::uint16_t http_port) {
  auto r = http::request("GET", "http://127.0.0.1:" + std::to_string(http_port) + "/healthz", "",
                         "application/json", std::chrono::seconds(2));
  if (!r || r->status != 200) return nullptr;
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  return j.is_discarded() ? nlohmann::json() : j;
}

// Polls `predicate(health)` until it holds or `timeout` passes.
template <typename Predicate>
bool waitForPostHealth(std::uint16_t http_port, std::chrono::milliseconds timeout,
                       Predicate predicate) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const nlohmann::json h = postHealth(http_port);
    if (!h.is_null() && predicate(h)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace kordon::test
