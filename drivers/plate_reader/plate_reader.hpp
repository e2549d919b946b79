// SPDX-License-Identifier: Apache-2.0
#pragma once

// Reads licence plates from camera frames (issue 6). Pipeline, per frame:
//   1. locate: plate candidates from a black-hat + horizontal-gradient + closing pass on a
//      downscaled grey frame (text rows of dark characters on a light plate), plus Debian's
//      Haar plate cascade (opencv-data) as a second opinion when it is installed;
//   2. rectify: crop each candidate at full resolution, scaled so its characters have one
//      height; deskew it by the slope of the character row, deslant it by the shear with the
//      sharpest column profile;
//   3. segment: three binarisations (global Otsu, local mean, the darkest ink only, which keeps
//      blurred characters apart), long lines cut out; keep connected components shaped like
//      characters (height band, aspect, fill, pen width; coloured flag/strip blobs dropped),
//      order them by row then x (two-row plates read top row first); a wide blob is also cut
//      where its ink is thinnest, as it may be characters run together;
//   4. recognise: CharClassifier (an ensemble of MLPs on HOG) gives top-k per character, for
//      each blob whole and cut;
//   5. correct: plate_format.hpp aligns the blobs to the KZ/RU formats (skipping strays,
//      choosing whole or cut per blob) and validates region codes when they fit, and keeps the
//      generic read otherwise (EU and unknown plates);
//   6. region: when the blobs have a RU plate's shape, its smaller region (which blur runs into
//      the frame) is read again from where it must be, cut into one cell per digit and read as
//      digits; that reading may change the region only.
// The best candidate (most confident plausible read) wins.
//
// Thread-safety: read() is const and may be called from several threads at once.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "drivers/plate_reader/char_classifier.hpp"
#include "drivers/plate_reader/plate_format.hpp"
#include "edge/base/status.hpp"

namespace kordon::drivers::anpr {

struct ReaderOptions {
  std::string model_path;    // empty: the model the build trained (KORDON_ANPR_MODEL)
  std::string cascade_path;  // empty: Debian's opencv-data plate cascade, when present
  bool use_cascade = true;
  int max_candidates = 6;  // candidates read per frame, best first
  int top_k = 3;           // alternatives kept per character
  // Developers: when set, read() writes each candidate crop it tried, with its character boxes
  // and reading, as PNGs into this directory (kordon-anpr --debug-dir). Not for production.
  std::string debug_dir;
};

struct PlateResult {
  std::string plate;                   // normalised text (msg::normalisePlate)
  float confidence = 0;                // 0..1
  cv::Rect box;                        // in frame pixels
  std::vector<CharRead> alternatives;  // per character, top-k (after correction: [0] = chosen)
  std::string format;                  // "kz2012", "ru", ..., "generic"
  std::string country;                 // "KZ", "RU" or ""
};

// Debian opencv-data's plate cascade (a second opinion in the reader; the benchmark baseline).
inline constexpr const char* kDebianPlateCascade =
    "/usr/share/opencv4/haarcascades/haarcascade_russian_plate_number.xml";

// Default model path compiled in by the build (the file `kordon-anpr train` writes).
std::string defaultModelPath();

class PlateReader {
 public:
  // Loads the model (or trains one in-process when the file is absent) and the cascade.
  static Result<std::shared_ptr<const PlateReader>> create(const ReaderOptions& options);
  PlateReader(CharClassifier classifier, ReaderOptions options);
  ~PlateReader();

  // The most plausible plate in the frame (BGR or grey), or nullopt when none was found.
  std::optional<PlateResult> read(const cv::Mat& frame) const;
  // Decodes an encoded image (JPEG, PNG, ...) first. Error for bytes that are not an image.
  Result<std::optional<PlateResult>> readEncoded(const std::string& bytes) const;
  // The characters behind read()'s plate, in plate order; empty when nothing was read.
  // `kordon-anpr train` labels them from synthetic scenes to train on what the segmenter really
  // produces.
  std::vector<Glyph> readGlyphs(const cv::Mat& frame) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kordon::drivers::anpr
