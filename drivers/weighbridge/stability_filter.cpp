// SPDX-License-Identifier: Apache-2.0
#include "drivers/weighbridge/stability_filter.hpp"

#include <algorithm>

namespace kordon::drivers {

StabilityFilter::StabilityFilter(std::int64_t stable_band_kg, std::chrono::milliseconds stable_time)
    : stable_band_kg_(stable_band_kg), stable_time_(stable_time) {}

void StabilityFilter::reset() {
  run_started_at_.reset();
  window_.clear();
  stable_ = false;
}

bool StabilityFilter::feed(TimePoint sampled_at, std::int64_t gross_kg, bool indicator_stable) {
  if (!indicator_stable || (!window_.empty() && sampled_at < window_.back().at)) {
    reset();
    return false;
  }
  // A gap longer than the window means nothing is known about the weight in between.
  if (!window_.empty() && sampled_at - window_.back().at > stable_time_) reset();
  if (!run_started_at_) run_started_at_ = sampled_at;
  window_.push_back({sampled_at, gross_kg});
  while (window_.front().at < sampled_at - stable_time_) window_.pop_front();

  const auto [min_it, max_it] =
      std::minmax_element(window_.begin(), window_.end(),
                          [](const Sample& a, const Sample& b) { return a.gross_kg < b.gross_kg; });
  const bool within_band = max_it->gross_kg - min_it->gross_kg <= stable_band_kg_;
  const bool lasted = sampled_at - *run_started_at_ >= stable_time_;
  stable_ = within_band && lasted;
  return stable_;
}

}  // namespace kordon::drivers
