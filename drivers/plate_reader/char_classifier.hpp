// SPDX-License-Identifier: Apache-2.0
#pragma once

// Character classifier: a small multi-layer perceptron (cv::ml::ANN_MLP), or an ensemble of a
// few, on HOG + coarse pixel features of a normalised glyph: of its ink mask and of the grey
// pixels under it. An MLP rather than KNN or an RBF SVM because its cost per character does not
// grow with the training set (the reader classifies ~50 blobs per frame within a 50 ms budget)
// and its 36 outputs give the top-k alternatives directly.
//
// Training data is generated, never downloaded: glyphs of the DejaVu, Liberation Sans and Roboto
// fonts (Debian fonts-dejavu-core, fonts-liberation2, fonts-roboto-unhinted) rendered with
// FreeType, condensed, sheared, rotated, blurred, noised and binarised the way the reader
// binarises a plate (renderTrainingGlyph(), seeded). The build runs `kordon-anpr train` once to
// write the model, which adds the reader's own segmented crops of synthetic training scenes
// (kordon_anpr_main.cpp, trainCommand); a reader without a model file trains a glyph-only model
// in-process (a few seconds).

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
  // Renders the training set (seeded) and trains on it plus `extra` (e.g. characters segmented
  // from synthetic scenes). `samples_per_class` ~150 takes a few s; `epochs` RPROP epochs.
  // With `members` > 1, trains that many MLPs, each on its own rendering of the glyphs and from
  // its own initial weights (in parallel), and classifies by their mean output: an ensemble
  // makes fewer mistakes than any one of its members, whose errors differ.
  static Result<CharClassifier> train(unsigned seed, int samples_per_class,
                                      const std::vector<LabelledGlyph>& extra = {},
                                      int epochs = 150, int members = 1);
  // An ensemble whose member m also learns from extra_by_member[m] (bagging: members that see
  // different scenes make more different errors, which their mean then cancels).
  static Result<CharClassifier> trainBagged(
      unsigned seed, int samples_per_class,
      const std::vector<std::vector<LabelledGlyph>>& extra_by_member, int epochs);
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

// Renders one augmented training glyph as the reader would see it; empty ink on failure.
// Exposed for tests.
Glyph renderTrainingGlyph(char c, unsigned seed);

}  // namespace kordon::drivers::anpr
