// SPDX-License-Identifier: Apache-2.0
#pragma once

// Fuses the reads of one vehicle (successive frames, front and rear cameras) into one plate.
// A read joins the open track whose plate is within kMaxJoinDistance edits of it; a track
// closes when no read joined it for `gap`. The fused plate takes the most common length (by
// summed confidence), then per position the character with the most votes: each read's own
// (format-corrected) character votes with the read's confidence, its other alternatives with
// half their probability; the position's alternatives are the characters by vote. A vehicle that
// stays in view (queued at the barrier) is delivered once after `max_open` and its track stays
// open, silently absorbing further reads, until it leaves (is silent for `gap`).
// Not thread-safe: the owner serialises add() and flush().

#include <chrono>
#include <string>
#include <vector>

#include "drivers/plate_reader/plate_reader.hpp"

namespace kordon::drivers::anpr {

struct FusedPlate {
  std::string plate;
  float confidence = 0;                // 0..1
  std::vector<CharRead> alternatives;  // per position, best first
  int reads = 0;                       // reads fused
  long long first_wall_ms = 0;         // wall time of the first read
  std::string best_frame;              // the encoded frame of the most confident read
};

class PlateFusion {
 public:
  static constexpr int kMaxJoinDistance = 2;
  explicit PlateFusion(std::chrono::milliseconds gap) : PlateFusion(gap, 3 * gap) {}
  PlateFusion(std::chrono::milliseconds gap, std::chrono::milliseconds max_open)
      : gap_(gap), max_open_(max_open) {}

  void add(const PlateResult& read, std::chrono::steady_clock::time_point at, long long wall_ms,
           std::string frame = {});
  // Tracks silent for `gap` or more, or open for `max_open`, at `now`: fused, oldest first,
  // each vehicle once.
  std::vector<FusedPlate> flush(std::chrono::steady_clock::time_point now);
  std::size_t openTracks() const { return tracks_.size(); }

 private:
  struct Track {
    std::vector<PlateResult> reads;
    std::chrono::steady_clock::time_point first;
    std::chrono::steady_clock::time_point last;
    long long first_wall_ms = 0;
    bool delivered = false;
    std::string best_frame;
    float best_confidence = -1;
  };
  static FusedPlate fuse(const Track& track);

  std::chrono::milliseconds gap_;
  std::chrono::milliseconds max_open_;
  std::vector<Track> tracks_;
};

}  // namespace kordon::drivers::anpr
