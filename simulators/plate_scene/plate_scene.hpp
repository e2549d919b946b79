// SPDX-License-Identifier: Apache-2.0
#pragma once

// Synthetic ANPR scenes (issue 6): a Kazakh or Russian plate rendered from a TrueType font
// (DejaVu Sans Bold, condensed) with its furniture (KZ flag and "KZ" strip, region box with
// separator; RU region box with "RUS" and tricolour), placed on a 1280x720 car-and-road scene
// under a random perspective and scale, then degraded: motion blur, defocus, sensor noise, dirt,
// partial occlusion, night/IR, JPEG artefacts. Everything derives from one seed, so a seed is a
// labelled test image.
//
// Seeds: evaluation sets use seeds from kHeldOutSeedBase up; the reader's model is trained on
// glyphs rendered from its own seed stream (char_classifier.cpp) and on characters segmented
// from scenes with seeds 100000..102999 (`kordon-anpr train`, static_assert there), so
// evaluation scenes are held out by construction. kordon-plate-scenes dumps a set with
// openalpr-style ground truth for `kordon-anpr eval`.
//
// Formats: kz2012 "123 ABC 02", kz2012-short "123 AB 02", kz1993 "A 123 BCD", ru "A 123 BC 77"
// / "A 123 BC 777", kz2012-2row ("123 ABC" over flag + "02").

#include <cstdint>
#include <string>

#include <opencv2/core.hpp>

#include "edge/base/status.hpp"

namespace kordon::sim {

inline constexpr std::uint64_t kHeldOutSeedBase = 1'000'000;

struct SceneOptions {
  int width = 1280;
  int height = 720;
  bool degrade = true;  // false: clean daylight scene (the camera simulator's default look)
};

struct Scene {
  std::string text;    // as printed, e.g. "123 ABC 02" (RU letters in Cyrillic)
  std::string plate;   // normalised, e.g. "123ABC02"
  std::string format;  // "kz2012", "kz2012-short", "kz1993", "ru", "kz2012-2row", "custom"
  cv::Rect box;        // plate's bounding box in the scene
  cv::Mat image;       // BGR, as decoded from `jpeg` (what a reader receives)
  std::string jpeg;    // the encoded scene
  cv::Mat plate_crop;  // the upright plate, BGR (ISAPI licensePlatePicture)
};

// A random plate of a random format.
Result<Scene> renderScene(std::uint64_t seed, const SceneOptions& options = {});
// A given plate text (spaces and Cyrillic allowed); the format is guessed from its shape.
Result<Scene> renderScene(std::uint64_t seed, const std::string& text,
                          const SceneOptions& options = {});

}  // namespace kordon::sim
