// SPDX-License-Identifier: Apache-2.0
#include "simulators/anpr_tools/plate_eval.hpp"

#include <algorithm>
#include <cmath>

#include "edge/msg/plate.hpp"

namespace kordon::anpr_tools {

using drivers::anpr::CharAlternative;
using drivers::anpr::CharRead;
using drivers::anpr::PlateResult;
using msg::levenshtein;
namespace {

double percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index =
      static_cast<std::size_t>(std::lround(q * static_cast<double>(values.size() - 1)));
  return values[index];
}

double round2(double v) { return std::round(v * 100) / 100; }

}  // namespace

bool boxMatches(const cv::Rect& truth, const cv::Rect& read) {
  const double overlap = (truth & read).area();
  const double joined = truth.area() + read.area() - overlap;
  if (joined > 0 && overlap / joined >= 0.3) return true;
  const cv::Point centre(read.x + read.width / 2, read.y + read.height / 2);
  return truth.contains(centre);
}

bool EvalTally::add(const std::string& truth_plate, const cv::Rect& truth_box,
                    const std::optional<PlateResult>& read, double ms) {
  ++images_;
  ms_.push_back(ms);
  const std::string truth = msg::normalisePlate(truth_plate);
  const std::string got = read ? read->plate : "";
  if (read && boxMatches(truth_box, read->box)) ++detected_;
  const bool exact = !truth.empty() && got == truth;
  if (exact) ++exact_;
  if (!truth.empty()) {
    char_accuracy_sum_ += std::max(0.0, 1.0 - static_cast<double>(levenshtein(got, truth)) /
                                                  static_cast<double>(truth.size()));
  }
  return exact;
}

nlohmann::json EvalTally::summary() const {
  const double n = images_ ? images_ : 1;
  return {{"images", images_},
          {"errors", errors_},
          {"detected", round2(detected_ / n * 100) / 100},
          {"exact", round2(exact_ / n * 100) / 100},
          {"char_accuracy", round2(char_accuracy_sum_ / n * 100) / 100},
          {"ms_median", round2(percentile(ms_, 0.5))},
          {"ms_p95", round2(percentile(ms_, 0.95))}};
}

nlohmann::json resultJson(const PlateResult& result) {
  nlohmann::json alternatives = nlohmann::json::array();
  for (const CharRead& read : result.alternatives) {
    nlohmann::json position = nlohmann::json::array();
    for (const CharAlternative& alt : read.top) {
      position.push_back({{"c", std::string(1, alt.c)}, {"p", round2(alt.p * 100) / 100}});
    }
    alternatives.push_back(std::move(position));
  }
  return {{"plate", result.plate},
          {"confidence", round2(result.confidence * 100) / 100},
          {"box", {result.box.x, result.box.y, result.box.width, result.box.height}},
          {"format", result.format},
          {"country", result.country},
          {"alternatives", std::move(alternatives)}};
}

}  // namespace kordon::anpr_tools
