// SPDX-License-Identifier: Apache-2.0
#include "simulators/plate_scene/plate_scene.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "edge/msg/plate.hpp"
#include "simulators/plate_scene/glyph_font.hpp"

namespace kordon::sim {
namespace {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  double uniform(double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(engine_);
  }
  int integer(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(engine_); }
  bool chance(double p) { return uniform(0, 1) < p; }
  template <typename T, std::size_t N>
  const T& pick(const std::array<T, N>& items) {
    return items[static_cast<std::size_t>(integer(0, static_cast<int>(N) - 1))];
  }
  std::mt19937_64& engine() { return engine_; }

 private:
  std::mt19937_64 engine_;
};

const GlyphFont* plateFont() {
  static const auto font = GlyphFont::load(std::string(kDejaVuDir) + "/DejaVuSans-Bold.ttf");
  return font ? &*font : nullptr;
}
const GlyphFont* smallFont() {
  static const auto font = GlyphFont::load(std::string(kDejaVuDir) + "/DejaVuSans.ttf");
  return font ? &*font : nullptr;
}

// UTF-8 -> code points (input is validated by the callers' normalisation).
std::u32string decodeUtf8(const std::string& text) {
  std::u32string out;
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    int extra = lead < 0x80 ? 0 : (lead & 0xE0) == 0xC0 ? 1 : (lead & 0xF0) == 0xE0 ? 2 : 3;
    char32_t cp = extra == 0   ? lead
                  : extra == 1 ? (lead & 0x1F)
                  : extra == 2 ? (lead & 0x0F)
                               : (lead & 0x07);
    for (int k = 1; k <= extra && i + static_cast<std::size_t>(k) < text.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]) & 0x3F);
    }
    out.push_back(cp);
    i += static_cast<std::size_t>(extra) + 1;
  }
  return out;
}

// Glyphs of `text` at height `glyph_h`, condensed by `condense`; a space is an empty Mat.
std::vector<cv::Mat> layoutGlyphs(const std::string& text, int glyph_h, double condense,
                                  const GlyphFont& font, int* total_width) {
  std::vector<cv::Mat> glyphs;
  const int gap = std::max(1, glyph_h / 9);
  *total_width = 0;
  for (char32_t cp : decodeUtf8(text)) {
    if (cp == ' ') {
      glyphs.emplace_back();
      *total_width += glyph_h / 3;
      continue;
    }
    const cv::Mat coverage = font.render(cp, glyph_h * 4 / 3);
    if (coverage.empty()) continue;
    const double scale = static_cast<double>(glyph_h) / coverage.rows;
    cv::Mat sized;
    cv::resize(coverage, sized,
               cv::Size(std::max(1, static_cast<int>(coverage.cols * scale * condense)), glyph_h),
               0, 0, cv::INTER_AREA);
    *total_width += sized.cols + gap;
    glyphs.push_back(std::move(sized));
  }
  return glyphs;
}

// Draws `text` in dark ink into `area` of `plate`: glyph height `glyph_h`, condensed by
// `condense` (more when needed to fit the area), centred in the area.
void drawText(cv::Mat& plate, const cv::Rect& area, const std::string& text, int glyph_h,
              double condense, const cv::Scalar& ink, const GlyphFont& font) {
  int total = 0;
  std::vector<cv::Mat> glyphs = layoutGlyphs(text, glyph_h, condense, font, &total);
  if (total > area.width) {
    glyphs = layoutGlyphs(text, glyph_h, condense * area.width / total * 0.97, font, &total);
  }
  const int gap = std::max(1, glyph_h / 9);
  int x = area.x + std::max(0, (area.width - total) / 2);
  const int y = area.y + (area.height - glyph_h) / 2;
  for (const cv::Mat& glyph : glyphs) {
    if (glyph.empty()) {
      x += glyph_h / 3;
      continue;
    }
    const cv::Rect where =
        cv::Rect(x, y, glyph.cols, glyph.rows) & cv::Rect(0, 0, plate.cols, plate.rows);
    if (where.area() > 0) {
      cv::Mat roi = plate(where);
      cv::Mat alpha;
      glyph(cv::Rect(0, 0, where.width, where.height)).convertTo(alpha, CV_32F, 1.0 / 255);
      cv::Mat alpha3;
      cv::merge(std::vector<cv::Mat>{alpha, alpha, alpha}, alpha3);
      cv::Mat roi_f;
      roi.convertTo(roi_f, CV_32FC3);
      cv::Mat ink_f(roi.size(), CV_32FC3, ink);
      cv::Mat blended = roi_f.mul(cv::Scalar::all(1.0) - alpha3) + ink_f.mul(alpha3);
      blended.convertTo(roi, CV_8UC3);
    }
    x += glyph.cols + gap;
  }
}

const cv::Scalar kInk(25, 25, 25);
const cv::Scalar kWhite(245, 245, 245);

void drawKzFlagStrip(cv::Mat& plate, const cv::Rect& strip) {
  const cv::Rect flag(strip.x + strip.width / 8, strip.y + strip.height / 10, strip.width * 3 / 4,
                      strip.height / 2);
  cv::rectangle(plate, flag, cv::Scalar(202, 175, 0), cv::FILLED);  // sky blue (BGR)
  cv::circle(plate, cv::Point(flag.x + flag.width / 2, flag.y + flag.height / 2), flag.height / 4,
             cv::Scalar(0, 200, 250), cv::FILLED);  // the sun
  if (const GlyphFont* font = smallFont()) {
    drawText(plate,
             cv::Rect(strip.x, flag.y + flag.height, strip.width,
                      strip.y + strip.height - flag.y - flag.height),
             "KZ", strip.height / 4, 1.0, kInk, *font);
  }
}

// Upright plate image for a format; text pieces as printed.
cv::Mat drawPlate(const std::string& format, const std::string& main, const std::string& region,
                  const GlyphFont& font) {
  if (format == "kz2012-2row") {
    cv::Mat plate(200, 290, CV_8UC3, kWhite);
    cv::rectangle(plate, cv::Rect(3, 3, 284, 194), kInk, 4);
    drawText(plate, cv::Rect(22, 14, 246, 86), main, 68, 0.78, kInk, font);  // clear of the frame
    drawKzFlagStrip(plate, cv::Rect(20, 105, 70, 88));
    drawText(plate, cv::Rect(100, 105, 170, 88), region, 72, 0.78, kInk, font);
    return plate;
  }
  cv::Mat plate(112, 520, CV_8UC3, kWhite);
  cv::rectangle(plate, cv::Rect(2, 2, 516, 108), kInk, 4);
  if (format == "ru") {
    // Letters are smaller than digits on GOST plates; region box at the right.
    const int box_x = 400;
    cv::line(plate, cv::Point(box_x, 4), cv::Point(box_x, 108), kInk, 3);
    // main = "L NNN LL": draw pieces with their own heights.
    const std::size_t first_space = main.find(' ');
    const std::size_t last_space = main.rfind(' ');
    drawText(plate, cv::Rect(14, 14, 80, 90), main.substr(0, first_space), 58, 0.85, kInk, font);
    drawText(plate, cv::Rect(86, 8, 170, 96),
             main.substr(first_space + 1, last_space - first_space - 1), 76, 0.8, kInk, font);
    drawText(plate, cv::Rect(250, 14, 145, 90), main.substr(last_space + 1), 58, 0.85, kInk, font);
    // GOST: the region digits sit clear of the frame, above "RUS" and the flag.
    drawText(plate, cv::Rect(box_x + 8, 12, 104, 60), region, 50, region.size() > 2 ? 0.7 : 0.8,
             kInk, font);
    if (const GlyphFont* small = smallFont()) {
      drawText(plate, cv::Rect(box_x + 4, 76, 66, 28), "RUS", 16, 1.0, kInk, *small);
    }
    const cv::Rect flag(box_x + 74, 80, 34, 22);
    cv::rectangle(plate, cv::Rect(flag.x, flag.y, flag.width, 7), kWhite, cv::FILLED);
    cv::rectangle(plate, cv::Rect(flag.x, flag.y + 7, flag.width, 8), cv::Scalar(160, 60, 0),
                  cv::FILLED);
    cv::rectangle(plate, cv::Rect(flag.x, flag.y + 15, flag.width, 7), cv::Scalar(30, 30, 200),
                  cv::FILLED);
    cv::rectangle(plate, flag, kInk, 1);
    return plate;
  }
  if (format == "kz1993") {
    drawText(plate, cv::Rect(10, 8, 500, 96), main, 74, 0.8, kInk, font);
    return plate;
  }
  // kz2012 / kz2012-short / custom: flag strip, main text, separator, region.
  drawKzFlagStrip(plate, cv::Rect(8, 8, 62, 96));
  if (region.empty()) {
    drawText(plate, cv::Rect(74, 8, 440, 96), main, 76, 0.8, kInk, font);
    return plate;
  }
  const int box_x = 420;
  cv::line(plate, cv::Point(box_x, 4), cv::Point(box_x, 108), kInk, 3);
  drawText(plate, cv::Rect(76, 8, box_x - 86, 96), main, 76, 0.8, kInk, font);
  drawText(plate, cv::Rect(box_x + 10, 12, 520 - box_x - 22, 88), region, 66, 0.8, kInk, font);
  return plate;
}

constexpr std::array<char, 23> kKzLetters = {'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H',
                                             'J', 'K', 'L', 'M', 'N', 'P', 'R', 'S',
                                             'T', 'U', 'V', 'W', 'X', 'Y', 'Z'};
// RU letters as printed (Cyrillic) and their Latin look-alike.
constexpr std::array<const char*, 12> kRuLetters = {"А", "В", "Е", "К", "М", "Н",
                                                    "О", "Р", "С", "Т", "У", "Х"};
constexpr std::array<int, 24> kRuRegions = {1,  2,  16, 23, 24,  50,  54,  55,  61,  63,  66,  74,
                                            77, 78, 86, 99, 102, 116, 150, 177, 190, 197, 777, 799};

std::string digits(Rng& rng, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out.push_back(static_cast<char>('0' + rng.integer(0, 9)));
  if (out.find_first_not_of('0') == std::string::npos) out.back() = '1';
  return out;
}
std::string kzLetters(Rng& rng, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out.push_back(rng.pick(kKzLetters));
  return out;
}
std::string ruLetters(Rng& rng, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += rng.pick(kRuLetters);
  return out;
}
std::string twoDigits(int v) {
  return std::string(1, static_cast<char>('0' + v / 10)) + static_cast<char>('0' + v % 10);
}

struct PlateSpec {
  std::string format, main, region;
};

PlateSpec randomPlate(Rng& rng) {
  const double f = rng.uniform(0, 1);
  if (f < 0.35)
    return {"kz2012", digits(rng, 3) + " " + kzLetters(rng, 3), twoDigits(rng.integer(1, 20))};
  if (f < 0.5)
    return {"kz2012-short", digits(rng, 3) + " " + kzLetters(rng, 2),
            twoDigits(rng.integer(1, 20))};
  if (f < 0.8) {
    const int region = rng.pick(kRuRegions);
    return {"ru", ruLetters(rng, 1) + " " + digits(rng, 3) + " " + ruLetters(rng, 2),
            region < 100 ? twoDigits(region) : std::to_string(region)};
  }
  if (f < 0.9)
    return {"kz1993", kzLetters(rng, 1) + " " + digits(rng, 3) + " " + kzLetters(rng, 3), ""};
  return {"kz2012-2row", digits(rng, 3) + " " + kzLetters(rng, 3), twoDigits(rng.integer(1, 20))};
}

bool allOf(const std::string& s, std::size_t from, std::size_t n, bool want_digit) {
  if (from + n > s.size()) return false;
  for (std::size_t i = from; i < from + n; ++i) {
    if ((s[i] >= '0' && s[i] <= '9') != want_digit) return false;
  }
  return true;
}

// The format of a given text, by its normalised shape.
PlateSpec specFor(const std::string& text) {
  const std::string n = msg::normalisePlate(text);
  if (n.size() == 8 && allOf(n, 0, 3, true) && allOf(n, 3, 3, false) && allOf(n, 6, 2, true)) {
    return {"kz2012", n.substr(0, 3) + " " + n.substr(3, 3), n.substr(6)};
  }
  if (n.size() == 7 && allOf(n, 0, 3, true) && allOf(n, 3, 2, false) && allOf(n, 5, 2, true)) {
    return {"kz2012-short", n.substr(0, 3) + " " + n.substr(3, 2), n.substr(5)};
  }
  if ((n.size() == 8 || n.size() == 9) && allOf(n, 0, 1, false) && allOf(n, 1, 3, true) &&
      allOf(n, 4, 2, false) && allOf(n, 6, n.size() - 6, true)) {
    return {"ru", n.substr(0, 1) + " " + n.substr(1, 3) + " " + n.substr(4, 2), n.substr(6)};
  }
  return {"custom", n, ""};
}

// Places the plate in a scene under a perspective; returns the plate's bounding box.
cv::Rect placePlate(cv::Mat& scene, const cv::Mat& plate, Rng& rng, bool degrade) {
  const double aspect = static_cast<double>(plate.cols) / plate.rows;
  const double width = aspect > 2.5 ? rng.uniform(170, 330) : rng.uniform(110, 190);
  const double height = width / aspect;
  const cv::Point2d centre(rng.uniform(width, scene.cols - width),
                           rng.uniform(scene.rows * 0.35, scene.rows - height * 1.5));
  const double angle = (degrade ? rng.uniform(-5, 5) : 0) * CV_PI / 180;
  // Camera geometry: yaw makes one side taller than the other, pitch makes the top edge
  // narrower or wider than the bottom; a little shear from the lens.
  const double yaw = degrade ? rng.uniform(-0.12, 0.12) : 0;
  const double pitch = degrade ? rng.uniform(-0.08, 0.08) : 0;
  const double shear = degrade ? rng.uniform(-0.08, 0.08) : 0;
  const std::array<cv::Point2d, 4> corners = {
      cv::Point2d(-width / 2 * (1 + pitch) + shear * height / 2, -height / 2 * (1 - yaw)),
      cv::Point2d(width / 2 * (1 + pitch) + shear * height / 2, -height / 2 * (1 + yaw)),
      cv::Point2d(width / 2 - shear * height / 2, height / 2 * (1 + yaw)),
      cv::Point2d(-width / 2 - shear * height / 2, height / 2 * (1 - yaw))};
  std::array<cv::Point2f, 4> dst;
  for (std::size_t i = 0; i < 4; ++i) {
    const cv::Point2d c = corners[i];
    dst[i] =
        cv::Point2f(static_cast<float>(centre.x + c.x * std::cos(angle) - c.y * std::sin(angle)),
                    static_cast<float>(centre.y + c.x * std::sin(angle) + c.y * std::cos(angle)));
  }
  const std::array<cv::Point2f, 4> src = {
      cv::Point2f(0, 0), cv::Point2f(static_cast<float>(plate.cols), 0),
      cv::Point2f(static_cast<float>(plate.cols), static_cast<float>(plate.rows)),
      cv::Point2f(0, static_cast<float>(plate.rows))};
  const cv::Mat h = cv::getPerspectiveTransform(src.data(), dst.data());

  // The car around the plate: body, grille, bumper shadow.
  const cv::Scalar body(rng.integer(20, 230), rng.integer(20, 230), rng.integer(20, 230));
  const cv::Rect car(static_cast<int>(centre.x - width * 1.6),
                     static_cast<int>(centre.y - height * 6), static_cast<int>(width * 3.2),
                     static_cast<int>(height * 7.5));
  cv::rectangle(scene, car, body, cv::FILLED);
  for (int i = 0; i < 5; ++i) {
    const int y = static_cast<int>(centre.y - height * (4.5 - i * 0.6));
    cv::line(scene, cv::Point(static_cast<int>(centre.x - width), y),
             cv::Point(static_cast<int>(centre.x + width), y), body * 0.4, 4);
  }
  cv::rectangle(scene,
                cv::Rect(car.x, static_cast<int>(centre.y + height * 1.2), car.width,
                         static_cast<int>(height * 0.5)),
                body * 0.5, cv::FILLED);
  cv::Mat warped, mask;
  cv::warpPerspective(plate, warped, h, scene.size(), cv::INTER_LINEAR);
  cv::warpPerspective(cv::Mat(plate.size(), CV_8UC1, cv::Scalar(255)), mask, h, scene.size(),
                      cv::INTER_LINEAR);
  warped.copyTo(scene, mask > 128);
  std::vector<cv::Point2f> quad(dst.begin(), dst.end());
  return cv::boundingRect(quad) & cv::Rect(0, 0, scene.cols, scene.rows);
}

void background(cv::Mat& scene, Rng& rng) {
  const double top = rng.uniform(90, 200);
  const double bottom = rng.uniform(40, 140);
  for (int y = 0; y < scene.rows; ++y) {
    const double v = top + (bottom - top) * y / scene.rows;
    scene.row(y).setTo(cv::Scalar(v, v * rng.uniform(0.97, 1.03), v));
  }
  for (int i = 0; i < 6; ++i) {  // clutter: posts, signs, lane marks
    const cv::Point a(rng.integer(0, scene.cols), rng.integer(0, scene.rows));
    const cv::Point b(a.x + rng.integer(-200, 200), a.y + rng.integer(-150, 150));
    const double v = rng.uniform(0, 255);
    if (rng.chance(0.5))
      cv::line(scene, a, b, cv::Scalar(v, v, v), rng.integer(2, 12));
    else
      cv::rectangle(scene, cv::Rect(a, b), cv::Scalar(v, v * 0.9, v * 1.1), cv::FILLED);
  }
}

void dirt(cv::Mat& plate, Rng& rng) {
  cv::Mat overlay = plate.clone();
  for (int i = rng.integer(2, 7); i > 0; --i) {
    cv::ellipse(overlay, cv::Point(rng.integer(0, plate.cols), rng.integer(0, plate.rows)),
                cv::Size(rng.integer(8, 50), rng.integer(4, 18)), rng.uniform(0, 180), 0, 360,
                cv::Scalar(40, 70, 100), cv::FILLED);
  }
  cv::addWeighted(overlay, rng.uniform(0.15, 0.35), plate, 1.0, 0, plate);
}

// A tow bar, a bolt cap or a frame edge over part of the plate, clear of most characters.
void occlude(cv::Mat& plate, Rng& rng) {
  const cv::Scalar colour(rng.integer(0, 80), rng.integer(0, 80), rng.integer(0, 80));
  if (rng.chance(0.5)) {
    cv::rectangle(plate, cv::Rect(0, 0, plate.cols, plate.rows / 9), colour, cv::FILLED);
  } else {
    const int r = plate.rows / 10;
    cv::circle(plate, cv::Point(rng.integer(r, plate.cols - r), plate.rows - r), r, colour,
               cv::FILLED);
  }
}

void degradeScene(cv::Mat& scene, Rng& rng) {
  if (rng.chance(0.4)) {  // motion blur along a random short direction
    const int len = rng.integer(3, 9);
    cv::Mat kernel = cv::Mat::zeros(len, len, CV_32F);
    const double a = rng.uniform(0, CV_PI);
    cv::line(kernel,
             cv::Point(len / 2 - static_cast<int>(std::cos(a) * len / 2),
                       len / 2 - static_cast<int>(std::sin(a) * len / 2)),
             cv::Point(len / 2 + static_cast<int>(std::cos(a) * len / 2),
                       len / 2 + static_cast<int>(std::sin(a) * len / 2)),
             cv::Scalar(1), 1);
    kernel /= std::max(1.0, cv::sum(kernel)[0]);
    cv::filter2D(scene, scene, -1, kernel);
  } else if (rng.chance(0.3)) {
    cv::GaussianBlur(scene, scene, cv::Size(0, 0), rng.uniform(0.5, 1.3));
  }
  if (rng.chance(0.2)) {  // night / IR: grey, dark surround, bright retro-reflective plate
    cv::Mat gray;
    cv::cvtColor(scene, gray, cv::COLOR_BGR2GRAY);
    gray.convertTo(gray, CV_8U, rng.uniform(0.5, 0.9), rng.uniform(-30, 0));
    cv::cvtColor(gray, scene, cv::COLOR_GRAY2BGR);
  } else {
    scene.convertTo(scene, -1, rng.uniform(0.75, 1.2), rng.uniform(-30, 30));
  }
  cv::Mat noise(scene.size(), CV_16SC3);
  // From the scene's own seed, not cv::theRNG(): a seed must always give the same picture.
  cv::RNG noise_rng(rng.engine()());
  noise_rng.fill(noise, cv::RNG::NORMAL, 0, rng.uniform(1, 9));
  cv::Mat noisy;
  scene.convertTo(noisy, CV_16SC3);
  noisy += noise;
  noisy.convertTo(scene, CV_8UC3);
}

Result<Scene> render(std::uint64_t seed, PlateSpec spec, const SceneOptions& options) {
  const GlyphFont* font = plateFont();
  if (font == nullptr) {
    return Status::error(std::string("plate_scene: DejaVuSans-Bold.ttf not found in ") +
                         kDejaVuDir + " (install fonts-dejavu-core)");
  }
  Rng rng(seed ^ 0x9E3779B97F4A7C15ull);
  Scene out;
  out.format = spec.format;
  out.text = spec.region.empty() ? spec.main : spec.main + " " + spec.region;
  out.plate = msg::normalisePlate(out.text);
  cv::Mat plate = drawPlate(spec.format, spec.main, spec.region, *font);
  out.plate_crop = plate.clone();
  if (options.degrade && rng.chance(0.3)) dirt(plate, rng);
  if (options.degrade && rng.chance(0.15)) occlude(plate, rng);
  cv::Mat scene(options.height, options.width, CV_8UC3);
  background(scene, rng);
  out.box = placePlate(scene, plate, rng, options.degrade);
  if (options.degrade) degradeScene(scene, rng);
  const int quality = options.degrade ? rng.integer(35, 95) : 90;
  std::vector<std::uint8_t> bytes;
  if (!cv::imencode(".jpg", scene, bytes, {cv::IMWRITE_JPEG_QUALITY, quality})) {
    return Status::error("plate_scene: JPEG encoding failed");
  }
  out.jpeg.assign(bytes.begin(), bytes.end());
  out.image = cv::imdecode(bytes, cv::IMREAD_COLOR);
  return out;
}

}  // namespace

Result<Scene> renderScene(std::uint64_t seed, const SceneOptions& options) {
  Rng rng(seed);
  return render(seed, randomPlate(rng), options);
}

Result<Scene> renderScene(std::uint64_t seed, const std::string& text,
                          const SceneOptions& options) {
  const PlateSpec spec = specFor(text);
  if (spec.main.empty()) return Status::error("plate_scene: empty plate text");
  return render(seed, spec, options);
}

}  // namespace kordon::sim
