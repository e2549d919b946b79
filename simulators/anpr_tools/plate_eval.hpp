// SPDX-License-Identifier: Apache-2.0
#pragma once

// Scoring of reads against ground truth, shared by `kordon-anpr eval`, the accuracy tests and
// the benchmarks, so all three count the same way:
//   detected       a read whose box overlaps the truth box (IoU >= 0.3, or its centre inside);
//   exact          normalised read == normalised truth;
//   char_accuracy  mean over images of 1 - Levenshtein(read, truth) / |truth| (floored at 0);
//   ms_median/p95  time of PlateReader::read() per image (decode excluded).

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "drivers/plate_reader/plate_reader.hpp"

namespace kordon::anpr_tools {

using drivers::anpr::PlateResult;

bool boxMatches(const cv::Rect& truth, const cv::Rect& read);

class EvalTally {
 public:
  // Returns true when the read is exact.
  bool add(const std::string& truth_plate, const cv::Rect& truth_box,
           const std::optional<PlateResult>& read, double ms);
  void addError() { ++errors_; }
  int images() const { return images_; }
  double exactShare() const { return images_ ? static_cast<double>(exact_) / images_ : 0; }
  nlohmann::json summary() const;

 private:
  int images_ = 0;
  int detected_ = 0;
  int exact_ = 0;
  int errors_ = 0;
  double char_accuracy_sum_ = 0;
  std::vector<double> ms_;
};

// {"plate", "confidence", "box":[x,y,w,h], "format", "country", "alternatives":[[{c,p}..]..]}
nlohmann::json resultJson(const PlateResult& result);

}  // namespace kordon::anpr_tools
