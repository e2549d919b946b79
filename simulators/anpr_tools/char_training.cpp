// SPDX-License-Identifier: Apache-2.0
#include "simulators/anpr_tools/char_training.hpp"

#include <array>
#include <cmath>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "simulators/plate_scene/glyph_font.hpp"

namespace kordon::anpr_tools {
namespace {

using drivers::anpr::CharRead;
using drivers::anpr::glyphFeatures;
using drivers::anpr::kCharClasses;
using sim::GlyphFont;
using sim::kDejaVuDir;
using sim::kLiberationDir;
using sim::kRobotoDir;

struct TrainingFont {
  const char* dir;
  const char* file;
};
const std::array<TrainingFont, 8> kTrainingFonts = {{
    {kDejaVuDir, "DejaVuSans-Bold.ttf"},
    {kDejaVuDir, "DejaVuSansMono-Bold.ttf"},
    {kDejaVuDir, "DejaVuSans.ttf"},
    {kDejaVuDir, "DejaVuSansMono.ttf"},
    {kLiberationDir, "LiberationSans-Bold.ttf"},
    {kLiberationDir, "LiberationSans-Regular.ttf"},
    {kRobotoDir, "RobotoCondensed-Bold.ttf"},
    {kRobotoDir, "RobotoTTF/Roboto-Bold.ttf"},
}};

// The fonts that are installed (scripts/setup.sh installs them all).
const std::vector<GlyphFont>& trainingFonts() {
  static const std::vector<GlyphFont> fonts = [] {
    std::vector<GlyphFont> loaded;
    for (const TrainingFont& font : kTrainingFonts) {
      auto glyphs = GlyphFont::load(std::string(font.dir) + "/" + font.file);
      if (glyphs) loaded.push_back(std::move(*glyphs));
    }
    return loaded;
  }();
  return fonts;
}

// Largest 8-connected ink blob of a binary image, cropped to its box (the reader's segmentation
// hands the classifier one blob, so training does the same); *box is where it was.
cv::Mat largestBlob(const cv::Mat& binary, cv::Rect* box_out) {
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(binary, labels, stats, centroids, 8);
  int best = 0;
  for (int i = 1; i < n; ++i) {
    if (best == 0 || stats.at<int>(i, cv::CC_STAT_AREA) > stats.at<int>(best, cv::CC_STAT_AREA))
      best = i;
  }
  if (best == 0) return {};
  const cv::Rect box(stats.at<int>(best, cv::CC_STAT_LEFT), stats.at<int>(best, cv::CC_STAT_TOP),
                     stats.at<int>(best, cv::CC_STAT_WIDTH),
                     stats.at<int>(best, cv::CC_STAT_HEIGHT));
  *box_out = box;
  cv::Mat mask = (labels(box) == best);
  return mask;
}

}  // namespace

Glyph renderTrainingGlyph(char c, unsigned seed) {
  const auto& fonts = trainingFonts();
  if (fonts.empty()) return {};
  std::mt19937 rng(seed);
  auto uniform = [&rng](double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng);
  };
  const GlyphFont& font = fonts[rng() % fonts.size()];
  const cv::Mat coverage = font.render(static_cast<char32_t>(c), 56);
  if (coverage.empty()) return {};
  // Dark ink on a light plate, with margin for the affine warp.
  const int margin = 16;
  cv::Mat page(coverage.rows + 2 * margin, coverage.cols + 2 * margin, CV_8UC1, cv::Scalar(235));
  cv::Mat ink_area = page(cv::Rect(margin, margin, coverage.cols, coverage.rows));
  cv::Mat inverse = 235 - coverage * (215.0 / 255.0);
  inverse.copyTo(ink_area);
  const double sx = uniform(0.6, 1.15);
  const double shear = uniform(-0.14, 0.14);
  const double angle = uniform(-5, 5) * CV_PI / 180;
  const cv::Point2d centre(page.cols / 2.0, page.rows / 2.0);
  cv::Matx23d warp(sx * std::cos(angle), -std::sin(angle) + shear, 0, sx * std::sin(angle),
                   std::cos(angle), 0);
  warp(0, 2) = centre.x - warp(0, 0) * centre.x - warp(0, 1) * centre.y;
  warp(1, 2) = centre.y - warp(1, 0) * centre.x - warp(1, 1) * centre.y;
  cv::Mat warped;
  cv::warpAffine(page, warped, warp, page.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                 cv::Scalar(235));
  const int stroke = static_cast<int>(rng() % 3) - 1;  // thinner, as is, bolder
  if (stroke != 0) {
    const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(5, 5));
    if (stroke > 0)
      cv::erode(warped, warped, kernel);  // dark ink grows
    else
      cv::dilate(warped, warped, kernel);
  }
  // Down to the size characters have in a frame, then blur and sensor noise.
  const double glyph_px = uniform(14, 44);
  const double scale = glyph_px / coverage.rows;
  cv::Mat small;
  cv::resize(warped, small, cv::Size(), scale, scale, cv::INTER_AREA);
  const double sigma = uniform(0, 1.1);
  if (sigma > 0.3) cv::GaussianBlur(small, small, cv::Size(0, 0), sigma);
  // Motion blur: a vehicle still rolling smears its plate by up to a quarter of a character.
  if (uniform(0, 1) < 0.35) {
    const int length = static_cast<int>(std::lround(uniform(2, std::max(2.0, glyph_px / 4))));
    const double direction = uniform(0, CV_PI);
    cv::Mat kernel = cv::Mat::zeros(2 * length + 1, 2 * length + 1, CV_32F);
    const cv::Point2d half(std::cos(direction) * length / 2, std::sin(direction) * length / 2);
    const cv::Point2d middle(length, length);
    cv::line(kernel, middle - half, middle + half, cv::Scalar(1));
    kernel /= cv::sum(kernel)[0];
    cv::filter2D(small, small, -1, kernel, cv::Point(-1, -1), 0, cv::BORDER_REPLICATE);
  }
  cv::Mat noise(small.size(), CV_16SC1);
  cv::RNG noise_rng(rng());  // seeded: the training set is reproducible
  noise_rng.fill(noise, cv::RNG::NORMAL, 0, uniform(0, 14));
  cv::Mat noisy;
  small.convertTo(noisy, CV_16SC1);
  noisy += noise;
  noisy.convertTo(small, CV_8UC1);
  cv::Mat binary;
  cv::threshold(small, binary, 0, 255, cv::THRESH_BINARY_INV | cv::THRESH_OTSU);
  cv::Rect box;
  cv::Mat ink = largestBlob(binary, &box);
  if (ink.empty()) return {};
  return {std::move(ink), small(box).clone()};
}

namespace {

cv::Mat oneHot(int k, int classes) {
  cv::Mat target(1, classes, CV_32F, cv::Scalar(-1.0f));
  target.at<float>(0, k) = 1.0f;
  return target;
}

// One member: its own rendered glyphs (seeded) plus the shared extra samples.
cv::Ptr<cv::ml::ANN_MLP> trainMember(unsigned seed, int samples_per_class,
                                     const cv::Mat& extra_samples, const cv::Mat& extra_targets,
                                     int epochs) {
  const int classes = static_cast<int>(kCharClasses.size());
  cv::Mat samples = extra_samples.clone();
  cv::Mat targets = extra_targets.clone();
  for (int i = 0; i < samples_per_class; ++i) {
    for (int k = 0; k < classes; ++k) {
      const Glyph glyph =
          renderTrainingGlyph(kCharClasses[static_cast<std::size_t>(k)],
                              seed * 7919u + static_cast<unsigned>(i * classes + k));
      if (glyph.ink.empty()) continue;
      samples.push_back(glyphFeatures(glyph));
      targets.push_back(oneHot(k, classes));
    }
  }
  if (samples.empty()) return nullptr;
  cv::theRNG().state = seed;  // the MLP's initial weights (cv::theRNG() is per thread)
  auto mlp = cv::ml::ANN_MLP::create();
  mlp->setLayerSizes(std::vector<int>{samples.cols, 64, classes});
  mlp->setActivationFunction(cv::ml::ANN_MLP::SIGMOID_SYM, 1, 1);
  mlp->setTrainMethod(cv::ml::ANN_MLP::RPROP, 0.1);  // dw0 (0 would stall)
  // A fixed number of RPROP epochs: its error-change criterion stops far too early here.
  mlp->setTermCriteria(cv::TermCriteria(cv::TermCriteria::MAX_ITER, epochs, 0));
  if (!mlp->train(cv::ml::TrainData::create(samples, cv::ml::ROW_SAMPLE, targets))) {
    return nullptr;
  }
  return mlp;
}

constexpr unsigned kMemberSeedStride = 1000;

}  // namespace

namespace {

// Feature rows and one-hot targets of labelled glyphs (those of unknown classes are skipped).
void toSamples(const std::vector<LabelledGlyph>& glyphs, cv::Mat* samples, cv::Mat* targets) {
  const int classes = static_cast<int>(kCharClasses.size());
  for (const LabelledGlyph& glyph : glyphs) {
    const std::size_t k = kCharClasses.find(glyph.c);
    if (glyph.glyph.ink.empty() || k == std::string_view::npos) continue;
    samples->push_back(glyphFeatures(glyph.glyph));
    targets->push_back(oneHot(static_cast<int>(k), classes));
  }
}

// Trains member m on glyphs of its own seed plus extra_samples[m] / extra_targets[m], in
// parallel.
Result<std::vector<cv::Ptr<cv::ml::ANN_MLP>>> trainMembers(
    unsigned seed, int samples_per_class, const std::vector<cv::Mat>& extra_samples,
    const std::vector<cv::Mat>& extra_targets, int epochs) {
  const std::size_t members = extra_samples.size();
  std::vector<cv::Ptr<cv::ml::ANN_MLP>> trained(members);
  std::vector<std::thread> workers;
  for (std::size_t m = 0; m < members; ++m) {
    workers.emplace_back([&, m] {
      trained[m] = trainMember(seed + static_cast<unsigned>(m) * kMemberSeedStride,
                               samples_per_class, extra_samples[m], extra_targets[m], epochs);
    });
  }
  for (std::thread& worker : workers) worker.join();
  for (const auto& mlp : trained) {
    if (!mlp) return Status::error("anpr: MLP training failed");
  }
  return trained;
}

Status checkFonts() {
  if (trainingFonts().empty()) {
    return Status::error(std::string("anpr: no training fonts in ") + kDejaVuDir +
                         " (install fonts-dejavu-core)");
  }
  return Status::ok();
}

}  // namespace

Result<CharClassifier> trainCharClassifier(unsigned seed, int samples_per_class,
                                           const std::vector<LabelledGlyph>& extra, int epochs,
                                           int members) {
  if (Status fonts = checkFonts(); !fonts) return fonts;
  if (members < 1) return Status::error("anpr: an ensemble needs at least one member");
  cv::Mat samples, targets;
  toSamples(extra, &samples, &targets);
  auto trained = trainMembers(
      seed, samples_per_class, std::vector<cv::Mat>(static_cast<std::size_t>(members), samples),
      std::vector<cv::Mat>(static_cast<std::size_t>(members), targets), epochs);
  if (!trained) return trained.status();
  return CharClassifier::fromMembers(std::move(*trained));
}

Result<CharClassifier> trainBaggedCharClassifier(
    unsigned seed, int samples_per_class,
    const std::vector<std::vector<LabelledGlyph>>& extra_by_member, int epochs) {
  if (Status fonts = checkFonts(); !fonts) return fonts;
  if (extra_by_member.empty()) return Status::error("anpr: an ensemble needs at least one member");
  std::vector<cv::Mat> samples(extra_by_member.size()), targets(extra_by_member.size());
  for (std::size_t m = 0; m < extra_by_member.size(); ++m) {
    toSamples(extra_by_member[m], &samples[m], &targets[m]);
  }
  auto trained = trainMembers(seed, samples_per_class, samples, targets, epochs);
  if (!trained) return trained.status();
  return CharClassifier::fromMembers(std::move(*trained));
}

}  // namespace kordon::anpr_tools
