// SPDX-License-Identifier: Apache-2.0
#include "drivers/plate_reader/char_classifier.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

namespace kordon::drivers::anpr {
namespace {

constexpr int kGlyphW = 20;
constexpr int kGlyphH = 32;

const cv::HOGDescriptor& hog() {
  static const cv::HOGDescriptor descriptor(cv::Size(kGlyphW, kGlyphH), cv::Size(10, 16),
                                            cv::Size(5, 8), cv::Size(5, 8), 9);
  return descriptor;
}

// Ink mask -> kGlyphW x kGlyphH, aspect kept (a '1' stays narrow), centred.
cv::Mat normaliseGlyph(const cv::Mat& ink) {
  cv::Mat canvas = cv::Mat::zeros(kGlyphH, kGlyphW, CV_8UC1);
  if (ink.empty()) return canvas;
  const double scale = std::min(static_cast<double>(kGlyphH - 2) / ink.rows,
                                static_cast<double>(kGlyphW - 2) / ink.cols);
  const int w = std::max(1, static_cast<int>(std::lround(ink.cols * scale)));
  const int h = std::max(1, static_cast<int>(std::lround(ink.rows * scale)));
  cv::Mat resized;
  cv::resize(ink, resized, cv::Size(w, h), 0, 0, cv::INTER_AREA);
  resized.copyTo(canvas(cv::Rect((kGlyphW - w) / 2, (kGlyphH - h) / 2, w, h)));
  return canvas;
}

// The grey patch as ink strength: 255 at the glyph's mean ink level or darker, 0 at its mean
// paper level or lighter, whatever the exposure. The mask stands in without a usable patch.
cv::Mat inkStrength(const Glyph& glyph) {
  if (glyph.gray.empty() || glyph.gray.size() != glyph.ink.size()) return glyph.ink;
  const cv::Mat paper_mask = glyph.ink == 0;
  const double ink = cv::mean(glyph.gray, glyph.ink)[0];
  double paper = 0;
  if (cv::countNonZero(paper_mask) > 0) {
    paper = cv::mean(glyph.gray, paper_mask)[0];
  } else {
    cv::minMaxLoc(glyph.gray, nullptr, &paper);
  }
  constexpr double kMinContrast = 8;
  if (paper - ink < kMinContrast) return glyph.ink;
  cv::Mat strength;
  glyph.gray.convertTo(strength, CV_8U, -255.0 / (paper - ink), 255.0 * paper / (paper - ink));
  return strength;
}

// HOG and coarse pixels of one normalised single-channel glyph image, appended to `out`.
void appendFeatures(const cv::Mat& image, std::vector<float>* out) {
  const cv::Mat glyph = normaliseGlyph(image);
  std::vector<float> hog_values;
  hog().compute(glyph, hog_values);
  out->insert(out->end(), hog_values.begin(), hog_values.end());
  cv::Mat coarse;
  cv::resize(glyph, coarse, cv::Size(kGlyphW / 2, kGlyphH / 2), 0, 0, cv::INTER_AREA);
  for (int y = 0; y < coarse.rows; ++y) {
    for (int x = 0; x < coarse.cols; ++x) out->push_back(coarse.at<std::uint8_t>(y, x) / 255.0f);
  }
}

}  // namespace

cv::Mat glyphFeatures(const Glyph& glyph) {
  std::vector<float> values;
  appendFeatures(glyph.ink, &values);
  appendFeatures(inkStrength(glyph), &values);
  return cv::Mat(values, true).reshape(1, 1);
}

CharClassifier CharClassifier::fromMembers(std::vector<cv::Ptr<cv::ml::ANN_MLP>> members) {
  return CharClassifier(std::move(members));
}

Result<CharClassifier> CharClassifier::load(const std::string& path) {
  try {
    cv::FileStorage file(path, cv::FileStorage::READ);
    if (!file.isOpened()) return Status::error("anpr: cannot open model " + path);
    const int count = static_cast<int>(file["members"]);
    std::vector<cv::Ptr<cv::ml::ANN_MLP>> members;
    for (int m = 0; m < count; ++m) {
      auto mlp = cv::ml::ANN_MLP::create();
      mlp->read(file["member" + std::to_string(m)]);
      if (!mlp->isTrained()) break;
      members.push_back(std::move(mlp));
    }
    if (members.empty() || static_cast<int>(members.size()) != count) {
      return Status::error("anpr: no trained model in " + path);
    }
    return CharClassifier(std::move(members));
  } catch (const cv::Exception& e) {
    return Status::error("anpr: cannot load model " + path + ": " + e.what());
  }
}

Status CharClassifier::save(const std::string& path) const {
  try {
    cv::FileStorage file(path, cv::FileStorage::WRITE);
    if (!file.isOpened()) return Status::error("anpr: cannot write model " + path);
    file << "members" << static_cast<int>(members_.size());
    for (std::size_t m = 0; m < members_.size(); ++m) {
      file << "member" + std::to_string(m) << "{";
      members_[m]->write(file);
      file << "}";
    }
  } catch (const cv::Exception& e) {
    return Status::error("anpr: cannot save model " + path + ": " + e.what());
  }
  return Status::ok();
}

CharRead CharClassifier::classify(const Glyph& glyph, int k) const {
  return classifyFeatures(glyphFeatures(glyph), k);
}

CharRead CharClassifier::classifyFeatures(const cv::Mat& features, int k) const {
  cv::Mat out;
  members_.front()->predict(features, out);
  for (std::size_t m = 1; m < members_.size(); ++m) {
    cv::Mat member_out;
    members_[m]->predict(features, member_out);
    out += member_out;
  }
  out /= static_cast<double>(members_.size());
  // Softmax over the symmetric-sigmoid outputs (-1.7..1.7) with a temperature that spreads
  // them; gives usable relative probabilities for the alternatives and the confidence.
  const int classes = out.cols;
  std::vector<float> p(static_cast<std::size_t>(classes));
  float max_v = out.at<float>(0, 0);
  for (int i = 1; i < classes; ++i) max_v = std::max(max_v, out.at<float>(0, i));
  float sum = 0;
  for (int i = 0; i < classes; ++i) {
    p[static_cast<std::size_t>(i)] = std::exp((out.at<float>(0, i) - max_v) * 4.0f);
    sum += p[static_cast<std::size_t>(i)];
  }
  std::vector<int> order(static_cast<std::size_t>(classes));
  std::iota(order.begin(), order.end(), 0);
  const int top = std::min(k, classes);
  std::partial_sort(order.begin(), order.begin() + top, order.end(), [&p](int a, int b) {
    return p[static_cast<std::size_t>(a)] > p[static_cast<std::size_t>(b)];
  });
  CharRead read;
  for (int i = 0; i < top; ++i) {
    const auto idx = static_cast<std::size_t>(order[static_cast<std::size_t>(i)]);
    read.top.push_back({kCharClasses[idx], p[idx] / sum});
  }
  return read;
}

}  // namespace kordon::drivers::anpr
