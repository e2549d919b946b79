// SPDX-License-Identifier: Apache-2.0
#pragma once

// One licence-plate read from a camera (pushed event or Kordon's own reader). The raw text is
// kept as the camera sent it; normalisation happens in the lane. Images travel as content
// hashes into the evidence store, never by value.

#include <string>
#include <vector>

#include "edge/base/clock.hpp"

namespace kordon::msg {

struct Evidence {
  std::string sha256;      // content address in the evidence store
  std::string media_type;  // "image/jpeg"
  std::string role;        // "plate", "scene", ...
  std::size_t size_bytes = 0;
};

struct PlateRead {
  std::string camera_id;
  std::string lane;
  std::string plate_raw;
  int confidence_pct = 0;       // 0..100
  std::string direction;        // "forward" | "reverse" | "unknown"
  std::string source_event_id;  // the camera's own event UUID, when it sends one
  WallMs time_ms = 0;           // camera time when given, else receive time
  std::vector<Evidence> evidence;
  // Kordon's own reader (frame cameras): per character of plate_raw, the candidates best first,
  // e.g. {"1", "2", "3", "A", "B", "C", "0O", "2Z"}. Empty for cameras that read themselves.
  std::vector<std::string> char_alternatives;
};

}  // namespace kordon::msg
