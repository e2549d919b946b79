// SPDX-License-Identifier: Apache-2.0
#include "drivers/plate_reader/plate_reader.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <optional>
#include <utility>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "edge/base/log.hpp"
#include "edge/base/thread_annotations.hpp"
#include "edge/msg/plate.hpp"

namespace kordon::drivers::anpr {
namespace {

constexpr int kDetectWidth = 640;  // locate on a frame this wide (or less)
constexpr int kCropHeight = 96;    // rectified candidate height, px
constexpr int kMinChars = 4;
constexpr int kMaxChars = 12;  // a plate's nine plus strays a format may skip

struct Blob {
  cv::Rect box;             // in crop pixels
  cv::Mat mask;             // ink of this blob only, box-sized
  std::vector<Blob> parts;  // a wide blob's cut into characters, when it may be several
  double stroke = 0;        // width of its thickest stroke, px
  bool digit = false;       // where the plate prints only a digit (a region's cell)
  std::vector<std::vector<Blob>> other_cuts = {};  // the same blob cut into other numbers of parts
};

// Twice the largest distance from ink to background: the width of the blob's thickest stroke.
double strokeWidth(const cv::Mat& mask) {
  cv::Mat framed, distance;
  cv::copyMakeBorder(mask, framed, 1, 1, 1, 1, cv::BORDER_CONSTANT, cv::Scalar(0));
  cv::distanceTransform(framed, distance, cv::DIST_L2, 3);
  double widest = 0;
  cv::minMaxLoc(distance, nullptr, &widest);
  return 2 * widest;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

// True for a blob that is mostly a saturated colour (flag, EU strip, region tricolour).
bool colourful(const cv::Mat& bgr_crop, const Blob& blob) {
  if (bgr_crop.channels() != 3) return false;
  const cv::Scalar mean = cv::mean(bgr_crop(blob.box), blob.mask);
  const double hi = std::max({mean[0], mean[1], mean[2]});
  const double lo = std::min({mean[0], mean[1], mean[2]});
  return hi - lo > 45;
}

// The thinnest character is a bold I (about 0.2 of its height); a region separator or a frame
// edge, even blurred, is thinner.
constexpr double kMinCharAspect = 0.13;
constexpr double kMaybeTwoAspect = 0.85;  // wider blobs may be two characters run together,
constexpr double kMaxCharAspect = 1.05;   // wider ones probably are,
constexpr double kMaxWideAspect = 2.0;    // times the plate's usual aspect: no M or W is wider
constexpr double kWideCharP = 0.5;        // a wide blob read this surely is one character
constexpr double kPartsMargin = 0.3;      // unless its parts are read this much more surely
constexpr double kTypicalCharAspect = 0.6;
constexpr double kThinPen = 0.45;  // of the plate's median stroke width
constexpr float kSureRead = 0.9f;  // a formatted read this confident needs no second look

// Shrinks a blob to the bounding box of its ink; false when no ink is left.
bool tighten(Blob* blob) {
  std::vector<cv::Point> ink;
  cv::findNonZero(blob->mask, ink);
  if (ink.empty()) return false;
  const cv::Rect inner = cv::boundingRect(ink);
  blob->mask = blob->mask(inner).clone();
  blob->box = cv::Rect(blob->box.x + inner.x, blob->box.y + inner.y, inner.width, inner.height);
  return true;
}

// Cuts a blob into `parts` characters, each cut at the column with the least ink near the even
// split.
void cutInto(const Blob& blob, int parts, std::vector<Blob>* out) {
  cv::Mat column_ink;
  cv::reduce(blob.mask, column_ink, 0, cv::REDUCE_SUM, CV_32S);
  int start = 0;
  for (int k = 1; k <= parts; ++k) {
    int cut = blob.box.width;
    if (k < parts) {
      const int centre = blob.box.width * k / parts;
      const int reach = blob.box.width / (parts * 4);
      cut = centre;
      for (int x = std::max(1, centre - reach); x <= std::min(blob.box.width - 2, centre + reach);
           ++x) {
        if (column_ink.at<int>(0, x) < column_ink.at<int>(0, cut)) cut = x;
      }
    }
    if (cut - start >= 2) {
      Blob piece{cv::Rect(blob.box.x + start, blob.box.y, cut - start, blob.box.height),
                 blob.mask(cv::Rect(start, 0, cut - start, blob.box.height)).clone(),
                 {},
                 blob.stroke};
      if (tighten(&piece) && piece.box.height > blob.box.height / 2) {
        out->push_back(std::move(piece));
      }
    }
    start = cut;
  }
}

// Characters that touch (blur, dirt, tight spacing) come as one wide blob: cut it into the
// number of characters its width suggests and, as other ways for the formats to choose from, one
// fewer and one more. A blob's width only suggests: RU letters are narrower than the digits, and
// blur widens what it joins (`BM` of a blurred RU plate measures three characters wide).
void splitMerged(Blob* blob) {
  const int parts = std::max(
      2, static_cast<int>(std::lround(blob->box.width / (kTypicalCharAspect * blob->box.height))));
  cutInto(*blob, parts, &blob->parts);
  for (int other : {parts - 1, parts + 1}) {
    if (other < 2) continue;
    std::vector<Blob> cut;
    cutInto(*blob, other, &cut);
    if (cut.size() == static_cast<std::size_t>(other)) blob->other_cuts.push_back(std::move(cut));
  }
}

// Character-shaped blobs of one binarisation, grouped into rows, in reading order. With
// `two_rows`, only a read of two rows counts (the crop was extended below a text line to look
// for a second row; without one, it only adds clutter to the one-row read).
std::vector<Blob> segment(const cv::Mat& binary, const cv::Mat& bgr_crop, bool two_rows) {
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(binary, labels, stats, centroids, 8);
  const int crop_h = binary.rows;
  std::vector<Blob> blobs;
  for (int i = 1; i < n; ++i) {
    const cv::Rect box(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                       stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
    const double area = stats.at<int>(i, cv::CC_STAT_AREA);
    const double aspect = static_cast<double>(box.width) / box.height;
    const double fill = area / box.area();
    // The smallest character is a share of one text line's crop, also when the crop was
    // extended below to look for a second row.
    if (box.height < 0.16 * std::min(crop_h, kCropHeight) || box.height > 0.9 * crop_h) continue;
    if (aspect < kMinCharAspect || aspect > 2.6 || fill < 0.12 || fill > 0.95) continue;
    if (box.y <= 0 || box.y + box.height >= crop_h) continue;
    Blob blob{box, labels(box) == i, {}, 0};
    if (colourful(bgr_crop, blob)) continue;
    blob.stroke = strokeWidth(blob.mask);
    if (aspect > kMaybeTwoAspect) splitMerged(&blob);
    blobs.push_back(std::move(blob));
  }
  if (blobs.size() < static_cast<std::size_t>(kMinChars)) return {};

  // The plate's characters share a height band: reference = a tall-ish typical height.
  std::vector<double> heights;
  for (const Blob& b : blobs) heights.push_back(b.box.height);
  std::sort(heights.begin(), heights.end());
  const double ref = heights[heights.size() * 3 / 4];
  std::vector<Blob> kept;
  std::vector<double> strokes;
  for (Blob& b : blobs) {
    if (b.box.height < 0.5 * ref || b.box.height > 1.3 * ref) continue;
    // A thin stroke taller than the characters is a separator or border remnant, not an I/1.
    if (b.box.height > 1.1 * ref && b.box.width < 0.2 * b.box.height) continue;
    strokes.push_back(b.stroke);
    kept.push_back(std::move(b));
  }
  // A plate's characters share one pen; a blob drawn with a much thinner one is a separator, a
  // frame corner or a bolt's outline.
  const double pen = median(strokes);
  std::erase_if(kept, [pen](const Blob& b) { return b.stroke < kThinPen * pen; });
  if (kept.size() < static_cast<std::size_t>(kMinChars)) return {};

  // Rows: split at the largest gap between vertical centres if it is wide.
  std::sort(kept.begin(), kept.end(), [](const Blob& a, const Blob& b) {
    return a.box.y + a.box.height / 2 < b.box.y + b.box.height / 2;
  });
  double widest = 0;
  std::size_t split = 0;
  for (std::size_t i = 1; i < kept.size(); ++i) {
    const double gap = (kept[i].box.y + kept[i].box.height / 2.0) -
                       (kept[i - 1].box.y + kept[i - 1].box.height / 2.0);
    if (gap > widest) {
      widest = gap;
      split = i;
    }
  }
  std::vector<std::vector<Blob>> rows;
  const bool found_two_rows = widest > 0.75 * ref && split >= 2 && kept.size() - split >= 2;
  if (two_rows && !found_two_rows) return {};
  if (found_two_rows) {
    rows.emplace_back(std::make_move_iterator(kept.begin()),
                      std::make_move_iterator(kept.begin() + static_cast<long>(split)));
    rows.emplace_back(std::make_move_iterator(kept.begin() + static_cast<long>(split)),
                      std::make_move_iterator(kept.end()));
  } else {
    // One row: drop blobs far off the row's centre line (text above or below the plate).
    std::vector<double> centres;
    for (const Blob& b : kept) centres.push_back(b.box.y + b.box.height / 2.0);
    const double row_centre = median(centres);
    std::vector<Blob> row;
    for (Blob& b : kept) {
      if (std::abs(b.box.y + b.box.height / 2.0 - row_centre) <= 0.45 * ref) {
        row.push_back(std::move(b));
      }
    }
    rows.push_back(std::move(row));
  }
  std::vector<Blob> ordered;
  for (auto& row : rows) {
    std::sort(row.begin(), row.end(),
              [](const Blob& a, const Blob& b) { return a.box.x < b.box.x; });
    // Keep the longest run of characters without a wide horizontal gap (drops border bits).
    std::size_t run_start = 0, best_start = 0, best_len = 0;
    for (std::size_t i = 0; i <= row.size(); ++i) {
      const bool breaks =
          i == row.size() ||
          (i > 0 && row[i].box.x - (row[i - 1].box.x + row[i - 1].box.width) > 1.6 * ref);
      if (breaks) {
        if (i - run_start > best_len) {
          best_len = i - run_start;
          best_start = run_start;
        }
        run_start = i;
      }
    }
    for (std::size_t i = best_start; i < best_start + best_len; ++i) {
      ordered.push_back(std::move(row[i]));
    }
  }
  if (ordered.size() < static_cast<std::size_t>(kMinChars) ||
      ordered.size() > static_cast<std::size_t>(kMaxChars)) {
    return {};
  }
  return ordered;
}

// Plate borders and the region separator often touch characters; long straight runs of ink
// (longer than any character stroke) are cut out before the components are labelled.
// `char_height` is the expected character height in the crop: no stroke of a character is
// longer than it horizontally, while a region box's edge is. Returns the mask of the lines.
cv::Mat lineMask(const cv::Mat& binary, int char_height) {
  const int horizontal = std::min(binary.cols * 2 / 5, char_height * 13 / 10);
  cv::Mat lines;
  cv::morphologyEx(binary, lines, cv::MORPH_OPEN,
                   cv::getStructuringElement(cv::MORPH_RECT, cv::Size(horizontal, 1)));
  cv::Mat vertical;
  cv::morphologyEx(binary, vertical, cv::MORPH_OPEN,
                   cv::getStructuringElement(cv::MORPH_RECT, cv::Size(1, binary.rows * 2 / 3)));
  return lines | vertical;
}

// Cuts the lines either binarisation found out of both: a local threshold breaks a separator
// into pieces too short to be seen as a line, which the global one sees whole.
void removeLines(cv::Mat& global, cv::Mat& local, int char_height) {
  const cv::Mat lines = lineMask(global, char_height) | lineMask(local, char_height);
  global.setTo(0, lines);
  local.setTo(0, lines);
}

// A plate is lighter than what surrounds it, but the surround is often lighter than the ink:
// a grey car, a bumper in the sun. Otsu over the whole crop then splits plate from surround,
// takes the surround for ink, and the characters run into it through the frame; cutting out
// that "ink" as lines cuts the characters' strokes with it. So the plate's paper is found in the
// crop-wide binarisation (the light components that stay clear of the crop's edges, reach into
// its middle rows and are not specks), and the plate is their convex hull. Empty when there is
// no such paper (a plate as light as its surround runs into it: the crop-wide Otsu then works).
constexpr double kMinPaperShare = 0.01;  // of the crop: smaller light components are specks
cv::Mat plateArea(const cv::Mat& crop_ink) {
  const cv::Mat paper = crop_ink == 0;
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(paper, labels, stats, centroids, 4);
  std::vector<cv::Point> points;
  for (int i = 1; i < n; ++i) {
    const cv::Rect box(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                       stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
    const bool at_edge = box.x <= 0 || box.y <= 0 || box.x + box.width >= crop_ink.cols ||
                         box.y + box.height >= crop_ink.rows;
    const bool middle = box.y <= crop_ink.rows * 2 / 3 && box.y + box.height >= crop_ink.rows / 3;
    const bool speck = stats.at<int>(i, cv::CC_STAT_AREA) < kMinPaperShare * crop_ink.total();
    if (at_edge || !middle || speck) continue;
    std::vector<cv::Point> component;
    cv::findNonZero(labels(box) == i, component);
    for (const cv::Point& p : component) points.push_back(p + box.tl());
  }
  if (points.empty()) return {};
  std::vector<cv::Point> hull;
  cv::convexHull(points, hull);
  cv::Mat area = cv::Mat::zeros(crop_ink.size(), CV_8UC1);
  cv::fillConvexPoly(area, hull, cv::Scalar(255));
  return area;
}

// Otsu's threshold over the pixels of `gray` under `mask` (THRESH_BINARY_INV keeps those at or
// below it): OpenCV's Otsu on those pixels gathered into one row.
double otsuLevel(const cv::Mat& gray, const cv::Mat& mask) {
  std::vector<std::uint8_t> pixels;
  for (int y = 0; y < gray.rows; ++y) {
    const std::uint8_t* g = gray.ptr<std::uint8_t>(y);
    const std::uint8_t* m = mask.ptr<std::uint8_t>(y);
    for (int x = 0; x < gray.cols; ++x) {
      if (m[x] != 0) pixels.push_back(g[x]);
    }
  }
  if (pixels.empty()) return 0;
  const cv::Mat row(1, static_cast<int>(pixels.size()), CV_8UC1, pixels.data());
  cv::Mat unused;
  return cv::threshold(row, unused, 0, 255, cv::THRESH_BINARY_INV | cv::THRESH_OTSU);
}

// The slope s in [-max_slope, max_slope] (in steps of `step`) for which the profile of the
// crop's ink is sharpest once each ink point moves by s times its distance from the centre:
// `columns` profiles columns, x' = x + s * (y - rows / 2); else rows, y' = y + s * (x - cols / 2).
double sharpestSlope(const cv::Mat& gray_crop, bool columns, double max_slope, double step) {
  cv::Mat ink;
  cv::threshold(gray_crop, ink, 0, 255, cv::THRESH_BINARY_INV | cv::THRESH_OTSU);
  std::vector<cv::Point> points;
  cv::findNonZero(ink, points);
  if (points.empty()) return 0;
  const double centre = (columns ? gray_crop.rows : gray_crop.cols) / 2.0;
  const int margin = static_cast<int>(std::ceil(max_slope * centre)) + 1;
  std::vector<int> profile(
      static_cast<std::size_t>((columns ? gray_crop.cols : gray_crop.rows) + 2 * margin));
  double best_slope = 0;
  double best_sharpness = -1;
  for (double slope = -max_slope; slope <= max_slope + 1e-9; slope += step) {
    std::fill(profile.begin(), profile.end(), 0);
    for (const cv::Point& p : points) {
      const double moved = columns ? p.x + slope * (p.y - centre) : p.y + slope * (p.x - centre);
      ++profile[static_cast<std::size_t>(std::lround(moved) + margin)];
    }
    double sharpness = 0;
    for (int count : profile) sharpness += static_cast<double>(count) * count;
    // Ties and near-ties go to the smaller slope: no correction without evidence.
    if (sharpness > best_sharpness * (1 + 1e-3) ||
        (sharpness >= best_sharpness && std::abs(slope) < std::abs(best_slope))) {
      best_sharpness = sharpness;
      best_slope = slope;
    }
  }
  return std::abs(best_slope) < step / 2 ? 0 : best_slope;
}

// A plate's region is printed smaller than its main digits, in a box of its own at the right:
// GOST R 50577 (RU) 50 mm against 76, framed; KZ 2012 about 66 against 76, behind a separator.
// On a small, blurred plate the region's strokes break up or run into the frame in every
// binarisation of the whole plate, while the grey image still shows them. So when the blobs
// have a main part's shape (RU L NNN LL, KZ NNN LLL or NNN LL), the region is read again from
// where it must be: right of the last letter, level with the digits.
struct RegionLayout {
  double height;   // region digits' height, of the main digits'
  double top;      // where the region area starts from the digits' top (up: < 0), of their height
  double gap;      // from the last letter to the region area, of the digits' height
  double width;    // of the region area, of the digits' height
  int max_digits;  // 2 or 3 (RU regions above 99)
};
constexpr RegionLayout kRuRegion{50.0 / 76.0, -0.2, 0.15, 2.1, 3};
constexpr RegionLayout kKzRegion{66.0 / 76.0, -0.1, 0.1, 1.6, 2};
constexpr double kMaxLetterShare = 0.97;  // RU letters (58 mm) are shorter than digits
// Region digits are about 0.65 as wide as tall, three a little narrower to fit the same box:
// the region's width tells two digits from three.
constexpr double kMinRegionDigitAspect = 0.47;
constexpr double kMaxRegionDigitAspect = 0.8;

// The main part's blobs among a plate's (after at most one stray: a bolt, a frame corner, the
// KZ flag strip's remnants) and the digits' height and top.
struct MainPart {
  std::size_t start = 0;
  std::size_t count = 0;  // blobs
  std::size_t chars = 0;  // characters (a wide blob may be cut into several)
  double digit_h = 0;
  int top = 0;
  const RegionLayout* region = nullptr;
};

// Whether the three blobs from `digits` are digits of one height; their height and top.
bool digitRun(const Blob* digits, double* tallest, int* top) {
  double shortest = std::numeric_limits<double>::max();
  *tallest = 0;
  *top = std::numeric_limits<int>::max();
  for (std::size_t i = 0; i < 3; ++i) {
    if (!digits[i].parts.empty()) return false;
    *tallest = std::max(*tallest, static_cast<double>(digits[i].box.height));
    shortest = std::min(shortest, static_cast<double>(digits[i].box.height));
    *top = std::min(*top, digits[i].box.y);
  }
  return shortest >= 0.85 * *tallest;
}

// A letter blob on the digits' line, between `min_share` and `max_share` of their height (a
// wide blob's height may be a letter's run into its neighbour's: any height then).
bool letterOnLine(const Blob& blob, double digit_h, int top, double min_share, double max_share) {
  const double centre = blob.box.y + blob.box.height / 2.0;
  const bool height = !blob.parts.empty() || (blob.box.height >= min_share * digit_h &&
                                              blob.box.height < max_share * digit_h);
  return height && std::abs(centre - (top + digit_h / 2)) < 0.35 * digit_h;
}

// RU: L NNN LL, the letters shorter than the digits.
std::optional<MainPart> ruMainPart(const std::vector<Blob>& blobs) {
  for (std::size_t start = 0; start <= 1 && start + 6 <= blobs.size(); ++start) {
    const Blob* main = &blobs[start];
    MainPart part{start, 6, 6, 0, 0, &kRuRegion};
    if (!digitRun(main + 1, &part.digit_h, &part.top)) continue;
    bool letters = true;
    for (std::size_t i : {0U, 4U, 5U}) {
      letters = letters && letterOnLine(main[i], part.digit_h, part.top, 0, kMaxLetterShare);
    }
    if (letters) return part;
  }
  return std::nullopt;
}

// KZ 2012: NNN LLL or NNN LL, the letters as tall as the digits (blurred letters run together
// come as one wide blob, cut).
std::optional<MainPart> kzMainPart(const std::vector<Blob>& blobs) {
  for (std::size_t start = 0; start <= 1 && start + 4 <= blobs.size(); ++start) {
    const Blob* main = &blobs[start];
    MainPart part{start, 3, 3, 0, 0, &kKzRegion};
    if (!digitRun(main, &part.digit_h, &part.top)) continue;
    while (part.chars < 6 && start + part.count < blobs.size()) {
      const Blob& letter = main[part.count];
      if (!letterOnLine(letter, part.digit_h, part.top, 0.85, 1.15)) break;
      part.chars += letter.parts.empty() ? 1 : letter.parts.size();
      ++part.count;
    }
    if (part.chars == 5 || part.chars == 6) return part;
  }
  return std::nullopt;
}

// The region's ink in `area` of the crop, binarised on its own with the frame cut out: a mask
// and its bounding box (empty when there is no ink of a region digit's height).
cv::Rect regionInk(const cv::Mat& area_gray, int region_h, double digit_h, cv::Mat* kept) {
  cv::Mat binary;
  cv::threshold(area_gray, binary, 0, 255, cv::THRESH_BINARY_INV | cv::THRESH_OTSU);
  // The frame's top and the box's sides run across the whole area. Blurred digits that run
  // into each other and into the frame make runs as long as lineMask()'s lines, so only runs
  // nearly the area's size are lines here.
  cv::Mat lines, sides;
  cv::morphologyEx(binary, lines, cv::MORPH_OPEN,
                   cv::getStructuringElement(cv::MORPH_RECT, cv::Size(binary.cols * 7 / 10, 1)));
  cv::morphologyEx(binary, sides, cv::MORPH_OPEN,
                   cv::getStructuringElement(cv::MORPH_RECT, cv::Size(1, binary.rows * 9 / 10)));
  binary.setTo(0, lines | sides);
  // Pieces of digit strokes, not specks or the remnants of frame lines.
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(binary, labels, stats, centroids, 8);
  cv::Rect ink;
  *kept = cv::Mat::zeros(binary.size(), CV_8UC1);
  for (int i = 1; i < n; ++i) {
    const cv::Rect box(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                       stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
    if (box.height < 0.45 * region_h || box.height > 1.3 * region_h) continue;
    if (box.width < 0.08 * digit_h) continue;
    kept->setTo(255, labels == i);
    ink = ink.area() == 0 ? box : (ink | box);
  }
  return ink.height < 0.6 * region_h ? cv::Rect() : ink;
}

// The main part's blobs, then the region's ink cut into two (or three) cells, one per digit
// (each cut where the grey is lightest near the even split), each binarised on its own and
// read as a digit: one reading per digit count the region's width allows. Empty when no region
// ink is found.
std::vector<std::vector<Blob>> withRegionCells(const cv::Mat& blurred,
                                               const std::vector<Blob>& blobs,
                                               const MainPart& part) {
  const Blob* main = &blobs[part.start];
  const RegionLayout& layout = *part.region;
  const double digit_h = part.digit_h;
  const int region_h = static_cast<int>(layout.height * digit_h);
  const cv::Rect& last = main[part.count - 1].box;
  const cv::Rect area = cv::Rect(last.x + last.width + static_cast<int>(layout.gap * digit_h),
                                 part.top + static_cast<int>(layout.top * digit_h),
                                 static_cast<int>(layout.width * digit_h),
                                 region_h + static_cast<int>(0.35 * digit_h)) &
                        cv::Rect(0, 0, blurred.cols, blurred.rows);
  if (area.width < digit_h || area.height < region_h) return {};
  cv::Mat kept;
  const cv::Rect ink = regionInk(blurred(area), region_h, digit_h, &kept);
  if (ink.area() == 0) return {};
  cv::Mat darkness;
  cv::reduce(255 - blurred(ink + area.tl()), darkness, 0, cv::REDUCE_SUM, CV_32S);
  std::vector<std::vector<Blob>> readings;
  for (int digits = 2; digits <= layout.max_digits; ++digits) {
    const double aspect = static_cast<double>(ink.width) / ink.height / digits;
    if (aspect < kMinRegionDigitAspect || aspect > kMaxRegionDigitAspect) continue;
    std::vector<int> cuts{0};
    for (int d = 1; d < digits; ++d) {
      const int even = ink.width * d / digits;
      const int reach = ink.width / (4 * digits);
      int cut = even;
      for (int x = even - reach; x <= even + reach; ++x) {
        if (darkness.at<int>(0, x) < darkness.at<int>(0, cut)) cut = x;
      }
      cuts.push_back(cut);
    }
    cuts.push_back(ink.width);
    if (std::adjacent_find(cuts.begin(), cuts.end(), [](int a, int b) { return b - a < 2; }) !=
        cuts.end()) {
      continue;  // too narrow to cut
    }
    std::vector<Blob> reading(main, main + part.count);
    for (int d = 0; d < digits; ++d) {
      // The whole cell: the area's binarisation lost strokes the grey pixels still show.
      const cv::Rect cell(area.x + ink.x + cuts[d], area.y + ink.y, cuts[d + 1] - cuts[d],
                          ink.height);
      Blob digit{cell, {}, {}, 0, true};
      cv::threshold(blurred(cell), digit.mask, 0, 255, cv::THRESH_BINARY_INV | cv::THRESH_OTSU);
      digit.stroke = strokeWidth(digit.mask);
      reading.push_back(std::move(digit));
    }
    readings.push_back(std::move(reading));
  }
  return readings;
}

// The horizontal shear that stands the characters' vertical strokes up again (a plate seen from
// the side, a lens's shear, an italic-looking perspective): the one whose column profile of the
// ink is sharpest. x' = x + shear * (y - rows / 2).
double uprightShear(const cv::Mat& gray_crop) {
  return sharpestSlope(gray_crop, /*columns=*/true, 0.4, 0.04);
}

// The rotation (degrees, as the candidate's angle) that levels the text lines and the plate's
// frame: the one whose row profile of the ink is sharpest. The locator's angle comes from the
// outline of a blob of text; a two-row plate's blob is nearly square, and its angle is noise.
double levelAngle(const cv::Mat& gray_crop) {
  constexpr double kMaxSlope = 0.18;  // about 10 degrees
  const double slope = sharpestSlope(gray_crop, /*columns=*/false, kMaxSlope, 0.01);
  // y' = y + slope * x levels the lines: a turn by -atan(slope) in OpenCV's convention.
  return -std::atan(slope) * 180 / CV_PI;
}

// Motion blur runs a plate's characters into each other and thins its gaps in every
// binarisation; an unsharp mask steepens the edges again and opens the gaps. An unsure read
// is read once more from the sharpened crop (characters about 53 px tall in it).
constexpr double kSharpenSigma = 2.0;
constexpr double kSharpenAmount = 0.8;
cv::Mat unsharp(const cv::Mat& gray) {
  cv::Mat soft, sharp;
  cv::GaussianBlur(gray, soft, cv::Size(0, 0), kSharpenSigma);
  cv::addWeighted(gray, 1 + kSharpenAmount, soft, -kSharpenAmount, 0, sharp);
  return sharp;
}

// The frame the locators work on: at most kDetectWidth wide; *scale = its size / the frame's.
cv::Mat detectionFrame(const cv::Mat& gray, double* scale) {
  *scale = gray.cols > kDetectWidth ? static_cast<double>(kDetectWidth) / gray.cols : 1;
  if (*scale >= 1) return gray;
  cv::Mat small;
  cv::resize(gray, small, cv::Size(), *scale, *scale, cv::INTER_AREA);
  return small;
}

// A box found on the detection frame, in frame pixels.
cv::Rect toFrame(const cv::Rect& r, double scale) {
  return cv::Rect(static_cast<int>(r.x / scale), static_cast<int>(r.y / scale),
                  static_cast<int>(r.width / scale), static_cast<int>(r.height / scale));
}

// A located text line: its upright box in frame pixels and its slant (degrees, clockwise).
struct Candidate {
  cv::Rect rect;
  double angle_deg = 0;
};

// Whether `blob`, beside `end` (the last or first character of a read), may be the next
// character: on its line, not much shorter (a RU region digit after a letter is 0.86 as tall),
// and no further from it than a character is tall.
bool nextCharacter(const Blob& blob, const Blob& end) {
  const double h = end.box.height;
  const int gap =
      blob.box.x > end.box.x ? blob.box.x - end.box.br().x : end.box.x - blob.box.br().x;
  const double centres = (blob.box.y + blob.box.height / 2.0) - (end.box.y + end.box.height / 2.0);
  return blob.box.height >= 0.65 * h && blob.box.height <= 1.25 * h && gap < h &&
         std::abs(centres) < 0.3 * h;
}

// The segmenter's guess for a blob that may be characters run together: one character (an M, a
// W) when the classifier is surer of it whole than of its parts and it is not much wider than
// the plate's other characters; a blob of an ordinary width is one unless a format says not.
bool readAsOne(const Blob& blob, const BlobReads& reads, double usual_aspect) {
  const double aspect = static_cast<double>(blob.box.width) / blob.box.height;
  if (aspect <= kMaxCharAspect) return true;
  const double whole_p = reads.ways[0][0].top.empty() ? 0 : reads.ways[0][0].top.front().p;
  double parts_log_p = 0;
  for (const CharRead& read : reads.ways[1]) {
    parts_log_p += std::log(std::max(read.top.empty() ? 0.0 : read.top.front().p, 1e-4));
  }
  const double parts_p = std::exp(parts_log_p / static_cast<double>(reads.ways[1].size()));
  // Halves of a W read as two surely-read Vs: the parts must be clearly surer to win.
  return aspect <= kMaxWideAspect * usual_aspect && whole_p >= kWideCharP &&
         whole_p + kPartsMargin >= parts_p;
}

struct Scored {
  PlateResult result;
  std::vector<Glyph> glyphs;  // the characters behind result.plate, in order
  double score = -1e9;
};

}  // namespace

std::string defaultModelPath() {
#ifdef KORDON_ANPR_MODEL
  return KORDON_ANPR_MODEL;
#else
  return "";
#endif
}

struct PlateReader::Impl {
  CharClassifier classifier;
  ReaderOptions options;
  mutable Mutex cascade_mutex;
  // Set once in the constructor; detectMultiScale is not thread-safe, hence the lock.
  mutable std::optional<cv::CascadeClassifier> cascade;  // detectMultiScale under the lock
  mutable std::atomic<int> debug_count{0};

  Impl(CharClassifier c, ReaderOptions o) : classifier(std::move(c)), options(std::move(o)) {}

  std::vector<Candidate> locate(const cv::Mat& gray) const;
  std::vector<Candidate> locateWithCascade(const cv::Mat& gray) const;
  Scored readCandidate(const cv::Mat& frame, const cv::Mat& gray, const Candidate& candidate) const;
  Scored readCrop(const cv::Mat& frame, const cv::Mat& gray, const Candidate& candidate,
                  bool extend_down) const;
  Scored readUpright(const cv::Mat& crop, const cv::Mat& bgr_crop, const cv::Rect& crop_rect,
                     double scale, int char_height, bool extend_down) const;
  Scored readBlobs(const std::vector<Blob>& blobs, const cv::Mat& crop, const cv::Rect& crop_rect,
                   double scale) const;
  Scored best(const cv::Mat& frame) const;
  CharRead readDigit(const Glyph& glyph) const;
  void writeDebug(const cv::Mat& crop, const cv::Mat& binary, const std::vector<Blob>& blobs,
                  const Scored& scored, const char* how) const;
};

PlateReader::PlateReader(CharClassifier classifier, ReaderOptions options)
    : impl_(std::make_unique<Impl>(std::move(classifier), std::move(options))) {
  if (!impl_->options.use_cascade) return;
  const std::string path =
      impl_->options.cascade_path.empty() ? kDebianPlateCascade : impl_->options.cascade_path;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return;
  cv::CascadeClassifier cascade;
  if (cascade.load(path)) impl_->cascade = std::move(cascade);
}

PlateReader::~PlateReader() = default;

Result<std::shared_ptr<const PlateReader>> PlateReader::create(const ReaderOptions& options) {
  const std::string path = options.model_path.empty() ? defaultModelPath() : options.model_path;
  std::error_code ec;
  if (!path.empty() && std::filesystem::exists(path, ec)) {
    auto classifier = CharClassifier::load(path);
    if (!classifier) return classifier.status();
    return std::make_shared<const PlateReader>(std::move(*classifier), options);
  }
  return Status::error("anpr: model not found: " + (path.empty() ? "(none built)" : path) +
                       " (the build trains it: kordon-anpr train)");
}

std::vector<Candidate> PlateReader::Impl::locate(const cv::Mat& gray) const {
  double scale = 1;
  const cv::Mat small = detectionFrame(gray, &scale);
  // Dark strokes thinner than the kernel on a lighter surround: the characters.
  cv::Mat blackhat;
  cv::morphologyEx(small, blackhat, cv::MORPH_BLACKHAT,
                   cv::getStructuringElement(cv::MORPH_RECT, cv::Size(13, 13)));
  cv::Mat grad;
  cv::Sobel(blackhat, grad, CV_32F, 1, 0, 3);
  grad = cv::abs(grad);
  cv::normalize(grad, grad, 0, 255, cv::NORM_MINMAX);
  grad.convertTo(grad, CV_8U);
  cv::GaussianBlur(grad, grad, cv::Size(5, 5), 0);
  cv::morphologyEx(grad, grad, cv::MORPH_CLOSE,
                   cv::getStructuringElement(cv::MORPH_RECT, cv::Size(17, 5)));
  cv::Mat mask;
  cv::threshold(grad, mask, 0, 255, cv::THRESH_BINARY | cv::THRESH_OTSU);
  cv::morphologyEx(mask, mask, cv::MORPH_OPEN,
                   cv::getStructuringElement(cv::MORPH_RECT, cv::Size(5, 3)));
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(mask, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
  std::vector<std::pair<double, Candidate>> found;
  for (const auto& contour : contours) {
    const cv::Rect r = cv::boundingRect(contour);
    // The slant of the line, from its minimum-area rectangle (angles near 90 mean "long side
    // vertical" in OpenCV's convention).
    const cv::RotatedRect turned = cv::minAreaRect(contour);
    double angle = turned.angle;
    if (turned.size.width < turned.size.height) angle -= 90;
    while (angle > 45) angle -= 90;
    while (angle < -45) angle += 90;
    const double aspect = static_cast<double>(r.width) / r.height;
    if (r.width < 24 || r.height < 7 || r.height > small.rows / 3) continue;
    if (aspect < 1.0 || aspect > 10) continue;
    const double strength = cv::mean(grad(r))[0];
    found.push_back({strength * std::sqrt(static_cast<double>(r.area())),
                     Candidate{r, std::abs(angle) <= 15 ? angle : 0}});
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<Candidate> candidates;
  for (const auto& [strength, found_candidate] : found) {
    if (static_cast<int>(candidates.size()) >= options.max_candidates) break;
    const cv::Rect& r = found_candidate.rect;
    candidates.push_back({toFrame(r, scale), found_candidate.angle_deg});
  }
  return candidates;
}

std::vector<Candidate> PlateReader::Impl::locateWithCascade(const cv::Mat& gray) const {
  if (!cascade) return {};
  double scale = 1;
  const cv::Mat small = detectionFrame(gray, &scale);
  std::vector<cv::Rect> hits;
  {
    MutexLock lock(cascade_mutex);
    cascade->detectMultiScale(small, hits, 1.1, 3, 0, cv::Size(40, 10));
  }
  std::vector<Candidate> candidates;
  for (const cv::Rect& r : hits) {
    candidates.push_back({toFrame(r, scale), 0});
  }
  return candidates;
}

// The classifier's reading of a glyph known to be a digit: its digits, their probabilities
// renormalised among the digits.
CharRead PlateReader::Impl::readDigit(const Glyph& glyph) const {
  CharRead all = classifier.classify(glyph, static_cast<int>(kCharClasses.size()));
  CharRead digits;
  float total = 0;
  for (const CharAlternative& a : all.top) {
    if (a.c >= '0' && a.c <= '9') total += a.p;
  }
  for (const CharAlternative& a : all.top) {
    if (a.c < '0' || a.c > '9' || total <= 0) continue;
    digits.top.push_back({a.c, a.p / total});
    if (static_cast<int>(digits.top.size()) == options.top_k) break;
  }
  return digits;
}

Scored PlateReader::Impl::readBlobs(const std::vector<Blob>& blobs, const cv::Mat& crop,
                                    const cv::Rect& crop_rect, double scale) const {
  Scored scored;
  // Every blob read whole and, when it may be characters run together, cut; the pieces (each
  // character of each way) in the order pieceIndex() numbers them.
  std::vector<double> aspects;
  for (const Blob& blob : blobs) {
    if (blob.parts.empty())
      aspects.push_back(static_cast<double>(blob.box.width) / blob.box.height);
  }
  // Without enough ordinary characters to compare with, a typical one's shape stands in.
  const double usual_aspect = aspects.size() >= 3 ? median(aspects) : kTypicalCharAspect;
  std::vector<BlobReads> ways;
  std::vector<CharRead> piece_reads;
  std::vector<Glyph> piece_glyphs;
  cv::Rect ink;
  std::vector<std::size_t> piece_blob;  // the blob each piece comes from
  auto readParts = [&](const std::vector<Blob>& parts, std::size_t b) {
    std::vector<CharRead> cut;
    for (const Blob& part : parts) {
      piece_glyphs.push_back({part.mask, crop(part.box)});
      piece_blob.push_back(b);
      cut.push_back(classifier.classify(piece_glyphs.back(), options.top_k));
      cut.back().height = part.box.height;
      piece_reads.push_back(cut.back());
    }
    return cut;
  };
  for (std::size_t b = 0; b < blobs.size(); ++b) {
    const Blob& blob = blobs[b];
    BlobReads reads;
    piece_glyphs.push_back({blob.mask, crop(blob.box)});
    piece_blob.push_back(b);
    reads.ways.push_back({blob.digit ? readDigit(piece_glyphs.back())
                                     : classifier.classify(piece_glyphs.back(), options.top_k)});
    reads.ways[0][0].height = blob.box.height;
    piece_reads.push_back(reads.ways[0][0]);
    if (!blob.parts.empty()) {
      reads.ways.push_back(readParts(blob.parts, b));
      reads.preferred = readAsOne(blob, reads, usual_aspect) ? 0 : 1;
      for (const std::vector<Blob>& other : blob.other_cuts)
        reads.ways.push_back(readParts(other, b));
    }
    ways.push_back(std::move(reads));
    ink = ink.area() == 0 ? blob.box : (ink | blob.box);
  }
  FormatResult corrected = correctPlate(ways);
  double log_p = 0;
  for (float p : corrected.p) log_p += std::log(std::max(p, 1e-4f));
  // A stray skipped inside the plate counts against the read: else a read that drops a
  // character it was sure of outscores the full one.
  log_p -= corrected.skipped_inside;
  // So does one left out next to either end of the read, when it stands on the line of the
  // character it follows, as tall and as close as a character: a RU region's third digit read
  // unsurely (B766KE19 for B766KE197), a KZ region behind a stray read as a letter.
  if (!corrected.used.empty()) {
    const std::size_t first = piece_blob[corrected.used.front()];
    const std::size_t last = piece_blob[corrected.used.back()];
    if (last + 1 < blobs.size() && nextCharacter(blobs[last + 1], blobs[last])) {
      log_p -= kSkipCost;
    }
    if (first > 0 && nextCharacter(blobs[first - 1], blobs[first])) log_p -= kSkipCost;
  }
  log_p /= static_cast<double>(corrected.p.size());
  scored.score = log_p + (corrected.format == "generic" ? 0.0 : 0.7) +
                 0.05 * static_cast<double>(corrected.p.size());
  PlateResult& r = scored.result;
  r.plate = msg::normalisePlate(corrected.text);
  r.confidence = static_cast<float>(std::exp(log_p));
  r.format = corrected.format;
  r.country = corrected.country;
  // Alternatives after correction: the chosen character first, then the classifier's others.
  for (std::size_t i = 0; i < corrected.text.size(); ++i) {
    CharRead alt;
    alt.top.push_back({corrected.text[i], corrected.p[i]});
    for (const CharAlternative& a : piece_reads[corrected.used[i]].top) {
      if (a.c != corrected.text[i]) alt.top.push_back(a);
    }
    r.alternatives.push_back(std::move(alt));
    scored.glyphs.push_back(piece_glyphs[corrected.used[i]]);
  }
  const int pad_x = ink.height / 3;
  const int pad_y = ink.height / 4;
  const cv::Rect padded(ink.x - pad_x, ink.y - pad_y, ink.width + 2 * pad_x,
                        ink.height + 2 * pad_y);
  r.box = cv::Rect(crop_rect.x + static_cast<int>(padded.x / scale),
                   crop_rect.y + static_cast<int>(padded.y / scale),
                   static_cast<int>(padded.width / scale), static_cast<int>(padded.height / scale));
  return scored;
}

Scored PlateReader::Impl::readCandidate(const cv::Mat& frame, const cv::Mat& gray,
                                        const Candidate& candidate) const {
  const cv::Rect& rect = candidate.rect;
  Scored best = readCrop(frame, gray, candidate, /*extend_down=*/false);
  // A text line of a short aspect may be the top row of a two-row plate: read it with the
  // space below it too.
  if (rect.width < rect.height * 4.5) {
    Scored two_rows = readCrop(frame, gray, candidate, /*extend_down=*/true);
    if (two_rows.score > best.score) best = std::move(two_rows);
  }
  return best;
}

Scored PlateReader::Impl::readCrop(const cv::Mat& frame, const cv::Mat& gray,
                                   const Candidate& candidate, bool extend_down) const {
  const cv::Rect& rect = candidate.rect;
  const int pad_x = rect.width / 4 + rect.height;
  const int pad_y = rect.height * 2 / 5;
  const int below = extend_down ? rect.height * 3 / 2 : pad_y;
  const cv::Rect crop_rect = cv::Rect(rect.x - pad_x, rect.y - pad_y, rect.width + 2 * pad_x,
                                      rect.height + pad_y + below) &
                             cv::Rect(0, 0, gray.cols, gray.rows);
  if (crop_rect.width < 16 || crop_rect.height < 8) return {};
  // The same character height for one row and two: a two-row crop is taller, not smaller.
  const double scale = static_cast<double>(kCropHeight) / (rect.height + 2 * pad_y);
  const int char_height = static_cast<int>(rect.height * scale);
  cv::Mat crop;
  cv::resize(gray(crop_rect), crop, cv::Size(), scale, scale,
             scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  cv::Mat bgr_crop;
  if (frame.channels() == 3) cv::resize(frame(crop_rect), bgr_crop, crop.size());
  // Turned by `angle` (deskew: characters upright, lines level), then deslanted, and read.
  auto readAt = [&](double angle) {
    cv::Mat upright = crop;
    cv::Mat bgr_upright = bgr_crop;
    auto warp = [&](const cv::Mat& transform) {
      cv::Mat warped, bgr_warped;
      cv::warpAffine(upright, warped, transform, crop.size(), cv::INTER_LINEAR,
                     cv::BORDER_REPLICATE);
      if (!bgr_upright.empty()) {
        cv::warpAffine(bgr_upright, bgr_warped, transform, bgr_crop.size(), cv::INTER_LINEAR,
                       cv::BORDER_REPLICATE);
      }
      upright = warped;
      bgr_upright = bgr_warped;
    };
    if (std::abs(angle) >= 1.5) {
      warp(cv::getRotationMatrix2D(
          cv::Point2f(static_cast<float>(crop.cols) / 2, static_cast<float>(crop.rows) / 2), angle,
          1.0));
    }
    if (const double shear = uprightShear(upright); shear != 0) {
      warp((cv::Mat_<double>(2, 3) << 1, shear, -shear * crop.rows / 2.0, 0, 1, 0));
    }
    Scored read = readUpright(upright, bgr_upright, crop_rect, scale, char_height, extend_down);
    if (read.result.format == "generic" || read.result.confidence < kSureRead) {
      Scored sharpened =
          readUpright(unsharp(upright), bgr_upright, crop_rect, scale, char_height, extend_down);
      if (sharpened.score > read.score) read = std::move(sharpened);
    }
    return read;
  };
  // At the locator's angle and, unless that reads a plate surely, at the angle that levels the
  // crop's own lines (the plate frame, the rows of characters).
  Scored best = readAt(candidate.angle_deg);
  if (best.result.format == "generic" || best.result.confidence < kSureRead) {
    if (const double level = levelAngle(crop); std::abs(level - candidate.angle_deg) >= 1.5) {
      Scored levelled = readAt(level);
      if (levelled.score > best.score) best = std::move(levelled);
    }
  }
  return best;
}

Scored PlateReader::Impl::readUpright(const cv::Mat& crop, const cv::Mat& bgr_crop,
                                      const cv::Rect& crop_rect, double scale, int char_height,
                                      bool extend_down) const {
  cv::Mat blurred;
  cv::GaussianBlur(crop, blurred, cv::Size(3, 3), 0);

  Scored best;
  // Otsu over the plate (clean plates), local mean (shadows, dirt, uneven light), and the
  // darkest ink only (blur greys the gaps between characters; only the darkest ink keeps them
  // apart); and Otsu over the whole crop when it differs from the plate's (a plate not told from
  // its surround, a plate whose paper is broken up).
  cv::Mat whole;
  const double whole_level =
      cv::threshold(blurred, whole, 0, 255, cv::THRESH_BINARY_INV | cv::THRESH_OTSU);
  cv::Mat otsu = whole;
  double otsu_level = whole_level;
  const cv::Mat plate = plateArea(whole);
  if (!plate.empty()) {
    const double plate_level = otsuLevel(blurred, plate);
    cv::Mat on_plate;
    cv::threshold(blurred, on_plate, plate_level, 255, cv::THRESH_BINARY_INV);
    on_plate &= plate;
    if (cv::countNonZero(on_plate != whole) > 0) {
      otsu = on_plate;
      otsu_level = plate_level;
    }
  }
  cv::Mat local;
  cv::adaptiveThreshold(blurred, local, 255, cv::ADAPTIVE_THRESH_MEAN_C, cv::THRESH_BINARY_INV,
                        (kCropHeight / 2) | 1, 10);
  cv::Mat dark;
  const double mean_ink = cv::mean(blurred, otsu)[0];
  cv::threshold(blurred, dark, (otsu_level + mean_ink) / 2, 255, cv::THRESH_BINARY_INV);
  if (!plate.empty()) dark &= plate;
  removeLines(otsu, local, char_height);
  dark.setTo(0, lineMask(dark, char_height));
  if (otsu.data == whole.data) {
    whole = cv::Mat();  // the plate's binarisation is the crop's: read it once
  } else {
    whole.setTo(0, lineMask(whole, char_height));
  }
  if (!options.debug_dir.empty()) {
    std::ofstream(options.debug_dir + "/reads.txt", std::ios::app)
        << "candidate " << crop_rect.x << ',' << crop_rect.y << ' ' << crop_rect.width << 'x'
        << crop_rect.height << (extend_down ? " and the space below" : "") << '\n';
  }
  const std::array<std::pair<const char*, const cv::Mat*>, 4> binarisations = {
      {{"otsu", &otsu}, {"local", &local}, {"dark", &dark}, {"whole", &whole}}};
  for (const auto& [name, binary] : binarisations) {
    if (binary->empty()) continue;
    const std::vector<Blob> blobs = segment(*binary, bgr_crop, extend_down);
    if (blobs.empty()) {
      if (!options.debug_dir.empty()) writeDebug(crop, *binary, blobs, {}, "none");
      continue;
    }
    Scored scored = readBlobs(blobs, crop, crop_rect, scale);
    if (!options.debug_dir.empty()) writeDebug(crop, *binary, blobs, scored, name);
    const std::string scored_main = scored.result.plate;
    if (scored.score > best.score) best = std::move(scored);
    for (const auto& main_part : {ruMainPart(blobs), kzMainPart(blobs)}) {
      if (!main_part) continue;
      for (const std::vector<Blob>& reading : withRegionCells(blurred, blobs, *main_part)) {
        Scored region_read = readBlobs(reading, crop, crop_rect, scale);
        if (!options.debug_dir.empty()) {
          writeDebug(crop, *binary, reading, region_read, "region");
        }
        // The region read again may change the region only: a main part read otherwise means
        // the cells were cut beside a different plate.
        const std::size_t main_chars = main_part->chars;
        const bool same_main =
            region_read.result.plate.compare(0, main_chars, scored_main, 0, main_chars) == 0;
        if (same_main && region_read.score > best.score) best = std::move(region_read);
      }
    }
  }
  return best;
}

void PlateReader::Impl::writeDebug(const cv::Mat& crop, const cv::Mat& binary,
                                   const std::vector<Blob>& blobs, const Scored& scored,
                                   const char* how) const {
  cv::Mat top, bottom;
  cv::cvtColor(crop, top, cv::COLOR_GRAY2BGR);
  cv::cvtColor(binary, bottom, cv::COLOR_GRAY2BGR);
  for (const Blob& blob : blobs) cv::rectangle(bottom, blob.box, cv::Scalar(0, 0, 255), 1);
  cv::Mat sheet;
  cv::vconcat(top, bottom, sheet);
  cv::Mat label(24, sheet.cols, CV_8UC3, cv::Scalar::all(255));
  char text[96];
  std::snprintf(text, sizeof text, "%s %s %s %.2f", how, scored.result.plate.c_str(),
                scored.result.format.c_str(), scored.score);
  cv::putText(label, text, cv::Point(4, 17), cv::FONT_HERSHEY_SIMPLEX, 0.5, cv::Scalar::all(0));
  cv::vconcat(sheet, label, sheet);
  char name[32];
  std::snprintf(name, sizeof name, "/crop_%04d.png", debug_count.fetch_add(1));
  cv::imwrite(options.debug_dir + name, sheet);
  std::ofstream log(options.debug_dir + "/reads.txt", std::ios::app);
  log << name + 1 << ' ' << text << '\n';
  // Each blob: box, pen, and the classifier's top reads whole and, when cut, of each part.
  auto tops = [this, &crop](const Blob& blob) {
    std::string out;
    for (const CharAlternative& a : classifier.classify({blob.mask, crop(blob.box)}, 3).top) {
      char one[16];
      std::snprintf(one, sizeof one, " %c%.2f", a.c, a.p);
      out += one;
    }
    return out;
  };
  for (const Blob& blob : blobs) {
    log << "  " << blob.box.x << ',' << blob.box.y << ' ' << blob.box.width << 'x'
        << blob.box.height << " pen " << blob.stroke << ':' << tops(blob);
    for (const Blob& part : blob.parts) log << " |" << tops(part);
    for (const std::vector<Blob>& other : blob.other_cuts) {
      log << " ||";
      for (const Blob& part : other) log << " |" << tops(part);
    }
    log << '\n';
  }
}

Scored PlateReader::Impl::best(const cv::Mat& frame) const {
  if (frame.empty()) return {};
  cv::Mat gray;
  if (frame.channels() == 3)
    cv::cvtColor(frame, gray, cv::COLOR_BGR2GRAY);
  else if (frame.channels() == 4)
    cv::cvtColor(frame, gray, cv::COLOR_BGRA2GRAY);
  else
    gray = frame;
  const cv::Mat colour = frame.channels() == 3 ? frame : cv::Mat();

  Scored best;
  for (const Candidate& candidate : locate(gray)) {
    Scored scored = readCandidate(colour, gray, candidate);
    if (scored.score > best.score) best = std::move(scored);
  }
  constexpr double kConfident = -0.35;  // mean log p of a clean read is ~ -0.05
  if (best.score < kConfident) {
    for (const Candidate& candidate : locateWithCascade(gray)) {
      Scored scored = readCandidate(colour, gray, candidate);
      if (scored.score > best.score) best = std::move(scored);
    }
  }
  return best;
}

std::optional<PlateResult> PlateReader::read(const cv::Mat& frame) const {
  Scored best = impl_->best(frame);
  if (best.result.plate.empty()) return std::nullopt;
  return std::move(best.result);
}

std::vector<Glyph> PlateReader::readGlyphs(const cv::Mat& frame) const {
  Scored best = impl_->best(frame);
  if (best.result.plate.empty()) return {};
  return std::move(best.glyphs);
}

Result<std::optional<PlateResult>> PlateReader::readEncoded(const std::string& bytes) const {
  if (bytes.empty()) return Status::error("empty image");
  cv::Mat image;
  try {
    const cv::Mat raw(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
    image = cv::imdecode(raw, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    return Status::error(std::string("cannot decode image: ") + e.what());
  }
  if (image.empty()) return Status::error("not a decodable image");
  return read(image);
}

}  // namespace kordon::drivers::anpr
