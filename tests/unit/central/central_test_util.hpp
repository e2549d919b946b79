// SPDX-License-Identifier: Apache-2.0
#pragma once

// Helpers shared by the kordon-central unit tests: a fresh temporary directory per test and a
// journal that produces properly chained event envelopes, as a post would.

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "edge/msg/event.hpp"

#include <unistd.h>

namespace kordon::central::testing {

class TempDir {
 public:
  TempDir() {
    std::string templ =
        (std::filesystem::temp_directory_path() / "kordon-central-test-XXXXXX").string();
    if (mkdtemp(templ.data()) != nullptr) path_ = templ;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Builds a post's chained events: seq 1.. with prev_hash linking to the previous hash.
class Journal {
 public:
  explicit Journal(std::string post, std::optional<SigningKey> key = std::nullopt)
      : post_(std::move(post)), key_(std::move(key)) {}

  msg::Event next(const std::string& type = "passage.decided", const std::string& lane = "L1",
                  nlohmann::json payload = {{"corridor", "green"}}) {
    msg::Event e;
    e.post = post_;
    e.seq = ++seq_;
    e.id = "00000000-0000-4000-8000-" + std::string(12 - std::to_string(e.seq).size(), '0') +
           std::to_string(e.seq);
    e.type = type;
    e.time_ms = kBaseTimeMs + e.seq * 1000;
    e.lane = lane;
    e.passage = "p" + std::to_string(e.seq);
    e.prev_hash = prev_hash_;
    e.payload = std::move(payload);
    e.hash = msg::computeEventHash(e);
    if (key_) msg::signEvent(e, *key_);
    prev_hash_ = e.hash;
    return e;
  }

  static constexpr WallMs kBaseTimeMs = 1795602300000;  // 2026-11-25T10:25:00Z

 private:
  std::string post_;
  std::optional<SigningKey> key_;
  std::int64_t seq_ = 0;
  std::string prev_hash_ = msg::kGenesisHash;
};

inline std::string wire(const msg::Event& e) { return msg::toWireString(e); }

}  // namespace kordon::central::testing
