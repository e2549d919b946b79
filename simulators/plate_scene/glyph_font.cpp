// SPDX-License-Identifier: Apache-2.0
#include "simulators/plate_scene/glyph_font.hpp"

#include <ft2build.h>
#include FT_FREETYPE_H

#include "edge/base/thread_annotations.hpp"

namespace kordon::sim {

struct GlyphFont::Impl {
  FT_Library library = nullptr;
  FT_Face face = nullptr;
  mutable Mutex mutex;  // an FT_Face is not thread-safe
  ~Impl() {
    if (face) FT_Done_Face(face);
    if (library) FT_Done_FreeType(library);
  }
};

Result<GlyphFont> GlyphFont::load(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  if (FT_Init_FreeType(&impl->library) != 0) return Status::error("freetype: init failed");
  if (FT_New_Face(impl->library, path.c_str(), 0, &impl->face) != 0) {
    return Status::error("freetype: cannot load font " + path);
  }
  return GlyphFont(std::move(impl));
}

GlyphFont::GlyphFont(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GlyphFont::GlyphFont(GlyphFont&&) noexcept = default;
GlyphFont& GlyphFont::operator=(GlyphFont&&) noexcept = default;
GlyphFont::~GlyphFont() = default;

cv::Mat GlyphFont::render(char32_t code_point, int pixel_height) const {
  MutexLock lock(impl_->mutex);
  FT_Face face = impl_->face;
  if (FT_Set_Pixel_Sizes(face, 0, static_cast<FT_UInt>(pixel_height)) != 0) return {};
  const FT_UInt index = FT_Get_Char_Index(face, code_point);
  if (index == 0) return {};
  if (FT_Load_Glyph(face, index, FT_LOAD_RENDER) != 0) return {};
  const FT_Bitmap& bitmap = face->glyph->bitmap;
  if (bitmap.rows == 0 || bitmap.width == 0 || bitmap.pixel_mode != FT_PIXEL_MODE_GRAY) return {};
  cv::Mat view(static_cast<int>(bitmap.rows), static_cast<int>(bitmap.width), CV_8UC1,
               bitmap.buffer, static_cast<std::size_t>(bitmap.pitch));
  return view.clone();
}

}  // namespace kordon::sim
