// SPDX-License-Identifier: Apache-2.0
#pragma once

// TrueType glyph rasteriser over FreeType. cv::putText only has the Hershey stroke fonts, which
// look nothing like a plate font; the DejaVu fonts (Debian fonts-dejavu-core, installed by
// scripts/setup.sh) are close enough to the DIN/GOST-style plate fonts to train a character
// classifier on and to render synthetic plates with. Used at build time (training) and by the
// scene generator; never at run time by the reader.

#include <memory>
#include <string>

#include <opencv2/core.hpp>

#include "edge/base/status.hpp"

namespace kordon::sim {

// Directory of the DejaVu fonts on Debian.
inline constexpr const char* kDejaVuDir = "/usr/share/fonts/truetype/dejavu";
// Liberation (Debian fonts-liberation2): Arial-like shapes with a '1' without a foot, as on
// European plates, which DejaVu does not have; the classifier trains on both.
inline constexpr const char* kLiberationDir = "/usr/share/fonts/truetype/liberation2";
// Directory of the Roboto fonts on Debian (fonts-roboto-unhinted): a condensed grotesque with a
// flagged, foot-less 1, close to the DIN-style fonts of European plates.
inline constexpr const char* kRobotoDir = "/usr/share/fonts/truetype/roboto/unhinted";

class GlyphFont {
 public:
  static Result<GlyphFont> load(const std::string& path);
  GlyphFont(GlyphFont&&) noexcept;
  GlyphFont& operator=(GlyphFont&&) noexcept;
  ~GlyphFont();

  // Coverage (0 = empty, 255 = ink) of one code point at `pixel_height` (em size), cropped to
  // its ink. Empty Mat when the font has no such glyph.
  cv::Mat render(char32_t code_point, int pixel_height) const;

 private:
  struct Impl;
  explicit GlyphFont(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace kordon::sim
