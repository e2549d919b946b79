// SPDX-License-Identifier: Apache-2.0
#include "drivers/plate_reader/plate_fusion.hpp"

#include <algorithm>
#include <map>

#include "edge/msg/plate.hpp"

namespace kordon::drivers::anpr {
namespace {
constexpr std::size_t kMaxReadsPerTrack = 64;
constexpr float kAlternativeWeight = 0.5f;
}  // namespace

void PlateFusion::add(const PlateResult& read, std::chrono::steady_clock::time_point at,
                      long long wall_ms, std::string frame) {
  Track* joined = nullptr;
  int best_distance = kMaxJoinDistance + 1;
  for (Track& track : tracks_) {
    for (const PlateResult& earlier : track.reads) {
      const int d = msg::levenshtein(earlier.plate, read.plate);
      if (d < best_distance) {
        best_distance = d;
        joined = &track;
      }
    }
  }
  if (joined == nullptr) {
    Track track;
    track.first = at;
    track.first_wall_ms = wall_ms;
    tracks_.push_back(std::move(track));
    joined = &tracks_.back();
  }
  joined->last = at;
  // A delivered vehicle still in view only keeps its track open; a long one stops growing.
  if (joined->delivered || joined->reads.size() >= kMaxReadsPerTrack) return;
  joined->reads.push_back(read);
  if (read.confidence > joined->best_confidence) {
    joined->best_confidence = read.confidence;
    joined->best_frame = std::move(frame);
  }
}

std::vector<FusedPlate> PlateFusion::flush(std::chrono::steady_clock::time_point now) {
  std::vector<FusedPlate> out;
  for (auto it = tracks_.begin(); it != tracks_.end();) {
    const bool gone = now - it->last >= gap_;
    if (!it->delivered && (gone || now - it->first >= max_open_)) {
      out.push_back(fuse(*it));
      it->delivered = true;
    }
    if (gone) {
      it = tracks_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

FusedPlate PlateFusion::fuse(const Track& track) {
  std::map<std::size_t, float> mass_by_length;
  for (const PlateResult& read : track.reads) mass_by_length[read.plate.size()] += read.confidence;
  const std::size_t length =
      std::max_element(mass_by_length.begin(), mass_by_length.end(),
                       [](const auto& a, const auto& b) { return a.second < b.second; })
          ->first;
  FusedPlate fused;
  fused.first_wall_ms = track.first_wall_ms;
  fused.best_frame = track.best_frame;
  float confidence_sum = 0;
  for (std::size_t i = 0; i < length; ++i) {
    std::map<char, float> mass;
    float total = 0;
    for (const PlateResult& read : track.reads) {
      if (read.plate.size() != length) continue;
      // The read's own (format-corrected) character votes with the read's confidence; its
      // other alternatives add a little, so a close second can still win across reads.
      mass[read.plate[i]] += read.confidence;
      total += read.confidence;
      if (i < read.alternatives.size()) {
        for (const CharAlternative& alt : read.alternatives[i].top) {
          if (alt.c == read.plate[i]) continue;
          mass[alt.c] += kAlternativeWeight * alt.p * read.confidence;
          total += kAlternativeWeight * alt.p * read.confidence;
        }
      }
    }
    std::vector<CharAlternative> ranked;
    for (const auto& [c, m] : mass) ranked.push_back({c, total > 0 ? m / total : 0});
    std::sort(ranked.begin(), ranked.end(),
              [](const CharAlternative& a, const CharAlternative& b) { return a.p > b.p; });
    if (ranked.size() > 3) ranked.resize(3);
    fused.plate.push_back(ranked.empty() ? '?' : ranked.front().c);
    confidence_sum += ranked.empty() ? 0 : ranked.front().p;
    fused.alternatives.push_back(CharRead{std::move(ranked)});
  }
  float read_confidence = 0;
  for (const PlateResult& read : track.reads) {
    if (read.plate.size() == length) {
      read_confidence = std::max(read_confidence, read.confidence);
      ++fused.reads;
    }
  }
  fused.confidence = length ? confidence_sum / static_cast<float>(length) * read_confidence : 0;
  return fused;
}

}  // namespace kordon::drivers::anpr
