// SPDX-License-Identifier: Apache-2.0
#pragma once

// openalpr "endtoend" ground truth: one tab-separated line per image,
//   <image file> <x> <y> <width> <height> <plate text>
// e.g. "eu1.jpg\t396\t340\t203\t46\tM5XSX". A trailing newline (LF or CRLF) is allowed; the
// plate text may contain spaces (it is normalised by the caller).

#include <string>
#include <string_view>

#include <opencv2/core.hpp>

#include "edge/base/status.hpp"

namespace kordon::anpr_tools {

struct GroundTruth {
  std::string file;
  cv::Rect box;
  std::string plate;  // as written
};

Result<GroundTruth> parseGroundTruth(std::string_view text);
std::string formatGroundTruth(const GroundTruth& truth);

}  // namespace kordon::anpr_tools
