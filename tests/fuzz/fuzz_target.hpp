// SPDX-License-Identifier: Apache-2.0
#pragma once

// Every parser of untrusted input has a libFuzzer target (Mosquitto fuzzing/). With clang and
// KORDON_FUZZ=ON they link against libFuzzer (scripts/fuzz.sh); otherwise regression_main.cpp
// replays the seed corpus in tests/fuzz/corpus/<target>/ as a ctest test.

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

inline std::string_view fuzzText(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}
