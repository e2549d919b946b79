// SPDX-License-Identifier: Apache-2.0
#include "simulators/anpr_tools/ground_truth.hpp"

#include <charconv>
#include <vector>

namespace kordon::anpr_tools {
namespace {

constexpr std::size_t kMaxLineBytes = 4096;
constexpr int kMaxCoordinate = 1 << 20;

bool parseCoordinate(std::string_view text, int* out) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && *out >= 0 &&
         *out <= kMaxCoordinate;
}

}  // namespace

Result<GroundTruth> parseGroundTruth(std::string_view text) {
  if (text.size() > kMaxLineBytes) return Status::error("ground truth: line too long");
  const std::size_t newline = text.find('\n');
  if (newline != std::string_view::npos) {
    if (text.find_first_not_of("\r\n", newline) != std::string_view::npos) {
      return Status::error("ground truth: expected one line");
    }
    text = text.substr(0, newline);
  }
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (fields.size() < 5) {
    const std::size_t tab = text.find('\t', start);
    if (tab == std::string_view::npos) break;
    fields.push_back(text.substr(start, tab - start));
    start = tab + 1;
  }
  if (fields.size() != 5) return Status::error("ground truth: expected 6 tab-separated fields");
  fields.push_back(text.substr(start));
  GroundTruth truth;
  truth.file = std::string(fields[0]);
  if (truth.file.empty()) return Status::error("ground truth: empty file name");
  int v[4];
  for (int i = 0; i < 4; ++i) {
    if (!parseCoordinate(fields[static_cast<std::size_t>(i + 1)], &v[i])) {
      return Status::error("ground truth: field " + std::to_string(i + 2) +
                           " is not a non-negative integer");
    }
  }
  truth.box = cv::Rect(v[0], v[1], v[2], v[3]);
  truth.plate = std::string(fields[5]);
  if (truth.plate.empty()) return Status::error("ground truth: empty plate text");
  return truth;
}

std::string formatGroundTruth(const GroundTruth& truth) {
  return truth.file + "\t" + std::to_string(truth.box.x) + "\t" + std::to_string(truth.box.y) +
         "\t" + std::to_string(truth.box.width) + "\t" + std::to_string(truth.box.height) + "\t" +
         truth.plate + "\n";
}

}  // namespace kordon::anpr_tools
