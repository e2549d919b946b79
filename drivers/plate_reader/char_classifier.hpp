// SPDX-License-Identifier: Apache-2.0
#pragma once

// Character classifier: a small multi-layer perceptron (cv::ml::ANN_MLP), or an ensemble of a
// few, on HOG + coarse pixel features of a normalised glyph: of its ink mask and of the grey
// pixels under it. An MLP rather than KNN or an RBF SVM because its cost per character does not
// grow with the training set (the reader classifies ~50 blobs per frame within a 50 ms budget)
// and its 36 outputs give the top-k alternatives directly.
//
// The reader only loads and runs the model. Training is tooling (simulators/anpr_tools,
// char_training.hpp): the build runs `kordon-anpr train` once, on rendered glyphs and on the
// reader's own crops of synthetic scenes, whatever the build options.

#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/ml.hpp>

#include "drivers/plate_reader/plate_format.hpp"
#include "edge/base/status.hpp"

namespace kordon::drivers::anpr {

inline constexpr std::string_view kCharClasses = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

// One segmented character as the classifier sees it: its ink mask (255 = ink) and the grey
// pixels under the same box (dark ink on a light plate). The mask says which ink is this
// character's; the grey pixels keep the strokes that binarising a blurred plate breaks or
// merges. `gray` may be empty (the mask alone then stands in for it).
struct Glyph {
  cv::Mat ink;
  cv::Mat gray;
};

// One character, any size -> fixed-size float feature row (HOG and coarse pixels of the mask
// and of the contrast-normalised grey patch).
cv::Mat glyphFeatures(const Glyph& glyph);

// One training example: a glyph and the character it shows.
struct LabelledGlyph {
  Glyph glyph;
  char c = 0;
};

class CharClassifier {
 public:
  static Result<CharClassifier> load(const std::string& path);
  // An ensemble of trained MLPs (simulators/anpr_tools trains them); classifies by their mean.
  static CharClassifier fromMembers(std::vector<cv::Ptr<cv::ml::ANN_MLP>> members);
  Status save(const std::string& path) const;

  // Top `k` classes for one glyph, probabilities normalised over all classes.
  CharRead classify(const Glyph& glyph, int k) const;
  // Same for a feature row from glyphFeatures().
  CharRead classifyFeatures(const cv::Mat& features, int k) const;

 private:
  explicit CharClassifier(std::vector<cv::Ptr<cv::ml::ANN_MLP>> members)
      : members_(std::move(members)) {}
  std::vector<cv::Ptr<cv::ml::ANN_MLP>> members_;
};

}  // namespace kordon::drivers::anpr
