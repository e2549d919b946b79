// SPDX-License-Identifier: Apache-2.0
#pragma once

// Helpers for the sync HIL tests (backfill, TLS, policy, chaos, attack).
//
// postConfig: kordond configuration with `lanes` lanes with push
// cameras on /anpr/L<n>, no screening devices, and weighbridges on a port where nothing
// listens (their health events are part of the traffic). `mqtt_extra` goes into the [mqtt]
// table (TLS files); `extra` is appended as is.

#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "edge/base/crypto.hpp"
#include "edge/base/http.hpp"

namespace kordon::test {

// kordon-central's API takes a bearer token (sync/central/api_access.hpp). The HIL tests use one
// admin token of their own; its tokens file is written here, independently of central's code.
inline const std::string& testCentralToken() {
  static const std::string token = "kct_" + sha256Hex("kordon hil test admin token");
  return token;
}

// A tokens file for kordon-central: `name` holds `token` with `roles` (TOML array body, e.g.
// "\"admin\"") on `posts` (e.g. "\"*\"").
inline std::string centralTokenEntry(const std::string& name, const std::string& token,
                                     const std::string& roles, const std::string& posts) {
  return "[[token]]\nname = \"" + name + "\"\nroles = [" + roles + "]\nposts = [" + posts +
         "]\nsha256 = \"" + sha256Hex(token) + "\"\n";
}

// Writes a tokens file holding testCentralToken() as admin; returns its path.
inline std::string writeCentralTokens(const std::string& path, const std::string& extra = "") {
  std::ofstream(path) << centralTokenEntry("hil-admin", testCentralToken(), "\"admin\"", "\"*\"")
                      << extra;
  return path;
}

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

// GET `url` with the test's central token.
inline Result<http::Response> centralGet(const std::string& url) {
  http::ClientOptions options;
  options.headers["Authorization"] = "Bearer " + testCentralToken();
  return http::request("GET", url, "", "application/json", options);
}

// GET http://127.0.0.1:<port><path> as JSON, with the test's central token (kordond's /healthz
// needs none and ignores it); null when it does not answer 200 with JSON.
inline nlohmann::json getJson(std::uint16_t port, const std::string& path) {
  http::ClientOptions options;
  options.timeout = std::chrono::seconds(3);
  options.headers["Authorization"] = "Bearer " + testCentralToken();
  auto r = http::request("GET", "http://127.0.0.1:" + std::to_string(port) + path, "",
                         "application/json", options);
  if (!r || r->status != 200) return nullptr;
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  return j.is_discarded() ? nlohmann::json() : j;
}

// kordond's GET /healthz; null when it does not answer.
inline nlohmann::json postHealth(std::uint16_t http_port) { return getJson(http_port, "/healthz"); }

// kordon-central's GET /v1/posts entry for `post`; null when central or the post is unknown.
inline nlohmann::json centralPostStatus(std::uint16_t central_port, const std::string& post) {
  const nlohmann::json posts = getJson(central_port, "/v1/posts");
  if (posts.is_null()) return nullptr;
  for (const auto& p : posts.is_array() ? posts : posts.value("posts", nlohmann::json::array())) {
    if (p.value("post", "") == post) return p;
  }
  return nullptr;
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
