// SPDX-License-Identifier: Apache-2.0
#pragma once

// Shared by the edge unit tests: a settable clock and a fresh temporary directory.

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "edge/base/clock.hpp"

#include <unistd.h>

namespace kordon::testing {

class FakeClock final : public Clock {
 public:
  WallMs nowWallMs() const override { return wall_ms; }
  std::chrono::steady_clock::time_point nowSteady() const override { return steady; }
  void advance(std::chrono::milliseconds d) {
    wall_ms += d.count();
    steady += d;
  }
  WallMs wall_ms = 1795602300000;  // 2026-11-25T10:25:00Z
  std::chrono::steady_clock::time_point steady{};
};

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "kordon-test-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace kordon::testing
