// SPDX-License-Identifier: Apache-2.0
#pragma once

// Real test inputs that none of us wrote live beside the checkout in ../shared/data (or
// $KORDON_SHARED_DATA) and are never committed. Tests that use them skip, with a message, when
// they are absent:
//
//   const auto dir = kordon::test::sharedDataDir("n42");
//   if (!dir) GTEST_SKIP() << kordon::test::kSharedDataMissing;

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

namespace kordon::test {

inline constexpr const char* kSharedDataMissing =
    "shared test data not found: put it in ../shared/data beside the checkout or point "
    "KORDON_SHARED_DATA at it";

inline std::optional<std::string> sharedDataDir(const std::string& sub) {
  std::filesystem::path root;
  if (const char* env = std::getenv("KORDON_SHARED_DATA"); env && *env) {
    root = env;
  } else {
    root = std::filesystem::path(KORDON_SOURCE_DIR).parent_path() / "shared" / "data";
  }
  const auto dir = root / sub;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return std::nullopt;
  return dir.string();
}

}  // namespace kordon::test
