// SPDX-License-Identifier: Apache-2.0
#include "drivers/plate_reader/plate_format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace kordon::drivers::anpr {
namespace {

enum class Region { kNone, kKz, kRu };

struct Format {
  const char* name;
  const char* country;
  const char* pattern;  // D digit, L letter, R region digit
  const char* letters;  // allowed letters ("" = any Latin)
  Region region;
  // The formats of the posts' own countries may correct a sure read (a sure B in a digit
  // position is an 8); a neighbour's format only an unsure one, or it would force foreign
  // plates of the same length into its shape.
  bool may_change_sure_reads = true;
};

constexpr const char* kRuLetters = "ABEKMHOPCTYX";

constexpr Format kFormats[] = {
    {"kz2012", "KZ", "DDDLLLRR", "", Region::kKz},
    {"kz2012-short", "KZ", "DDDLLRR", "", Region::kKz},
    {"kz1993", "KZ", "LDDDLLL", "", Region::kNone},
    {"kz-diplomatic", "KZ", "DDDLDDD", "D", Region::kNone},
    {"ru", "RU", "LDDDLLRR", kRuLetters, Region::kRu},
    {"ru", "RU", "LDDDLLRRR", kRuLetters, Region::kRu},
    {"ru-trailer", "RU", "LLDDDDRR", kRuLetters, Region::kRu},
    {"ru-trailer", "RU", "LLDDDDRRR", kRuLetters, Region::kRu},
    {"ru-diplomatic", "RU", "DDDLLDRR", "CDT", Region::kRu},
    {"ru-diplomatic", "RU", "DDDLLDRRR", "CDT", Region::kRu},
    // Seen at EAEU posts too: Slovakia (1997-2022, district code first) and Czechia (region
    // letter second). District and region codes are not validated.
    {"sk", "SK", "LLDDDLL", "", Region::kNone, false},
    {"cz", "CZ", "DLADDDD", "", Region::kNone, false},
};

// Look-alikes between the two kinds, both ways.
char lookAlike(char c) {
  switch (c) {
    case '0':
      return 'O';
    case 'O':
      return '0';
    case 'D':
      return '0';
    case 'Q':
      return '0';
    case '8':
      return 'B';
    case 'B':
      return '8';
    case '1':
      return 'I';
    case 'I':
      return '1';
    case 'T':
      return '7';
    case '7':
      return 'T';
    case '5':
      return 'S';
    case 'S':
      return '5';
    case '2':
      return 'Z';
    case 'Z':
      return '2';
    case '6':
      return 'G';
    case 'G':
      return '6';
    case '4':
      return 'A';
    case 'A':
      return '4';
    default:
      return 0;
  }
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

bool fits(char c, char kind, const char* letters) {
  if (kind == 'A') return isDigit(c) || (c >= 'A' && c <= 'Z');
  if (kind == 'L') {
    if (c < 'A' || c > 'Z') return false;
    return *letters == 0 || std::string_view(letters).find(c) != std::string_view::npos;
  }
  return isDigit(c);
}

// 'L' letter, 'A' letter or digit, anything else ('D', 'R') a digit.
char kindAt(char pattern_char) {
  return pattern_char == 'L' || pattern_char == 'A' ? pattern_char : 'D';
}

constexpr float kLookAlikeP = 0.05f;  // probability given to a look-alike outside the top-k
constexpr float kMinP = 1e-4f;
constexpr double kMaxExtraCost = 6.5;  // nats over the raw read a format may cost
constexpr int kMaxChanges = 3;
constexpr float kSureP = 0.9f;  // a read at least this probable is the classifier's sure one

}  // namespace

bool validKzRegion(std::string_view r) {
  if (r.size() != 2 || !isDigit(r[0]) || !isDigit(r[1])) return false;
  const int v = (r[0] - '0') * 10 + (r[1] - '0');
  return v >= 1 && v <= 20;
}

bool validRuRegion(std::string_view r) {
  if (r.size() < 2 || r.size() > 3) return false;
  for (char c : r) {
    if (!isDigit(c)) return false;
  }
  const int v = std::atoi(std::string(r).c_str());
  if (r.size() == 2) return v >= 1 && v <= 99 && r != "00";
  // Three-digit codes in use (second series of the busiest regions).
  static constexpr int kThree[] = {102, 113, 116, 121, 122, 123, 124, 125, 126, 134, 136, 138,
                                   142, 147, 150, 152, 154, 156, 159, 161, 163, 164, 173, 174,
                                   177, 178, 180, 181, 184, 185, 186, 190, 193, 196, 197, 199,
                                   702, 716, 725, 750, 761, 763, 774, 777, 790, 797, 799};
  return std::find(std::begin(kThree), std::end(kThree), v) != std::end(kThree);
}

namespace {

constexpr std::size_t kMinGenericLength = 5;
constexpr float kStrayP = 0.5f;
constexpr double kSkipSureCost = 1.0;  // added to kSkipCost when the classifier was sure
constexpr double kOtherWayCost = 1.0;  // reading a blob otherwise than the segmenter guessed
// A format's fields (a run of digits, of letters, the region) are each printed at one height;
// a character much shorter than its field's others belongs to another field (RU region digits
// read as the last letters of a KZ 1993 plate).
constexpr double kSameFieldHeight = 0.85;
constexpr double kFieldHeightCost = 1.5;

// The cost of the characters shorter than their field's median height.
double fieldHeightCost(std::string_view pattern, const std::vector<int>& heights) {
  double cost = 0;
  for (std::size_t start = 0; start < pattern.size();) {
    std::size_t end = start + 1;
    while (end < pattern.size() && pattern[end] == pattern[start]) ++end;
    std::vector<double> field;
    for (std::size_t j = start; j < end; ++j) {
      if (heights[j] > 0) field.push_back(heights[j]);
    }
    if (field.size() >= 2) {
      std::sort(field.begin(), field.end());
      const double typical = field[field.size() / 2];
      for (double h : field) {
        if (h < kSameFieldHeight * typical) cost += kFieldHeightCost;
      }
    }
    start = end;
  }
  return cost;
}

// GOST R 50577 prints a RU plate's letters smaller than its digits (58 mm against 76); KZ plates
// print both alike. A read whose letters are as tall as its digits is no RU plate, and one whose
// letters are much shorter no KZ plate.
constexpr double kRuLetterShare = 0.88;  // RU letters are under this share of the digits' height
double letterHeightCost(const Format& format, std::string_view pattern,
                        const std::vector<int>& heights) {
  if (format.region == Region::kNone && std::string_view(format.country) != "KZ") return 0;
  std::vector<double> letters, digits;
  for (std::size_t j = 0; j < pattern.size(); ++j) {
    if (heights[j] <= 0) continue;
    if (pattern[j] == 'L') letters.push_back(heights[j]);
    if (pattern[j] == 'D') digits.push_back(heights[j]);
  }
  if (letters.empty() || digits.empty()) return 0;
  std::sort(letters.begin(), letters.end());
  std::sort(digits.begin(), digits.end());
  const double share = letters[letters.size() / 2] / digits[digits.size() / 2];
  const bool ru = std::string_view(format.country) == "RU";
  return (ru ? share >= kRuLetterShare : share < kRuLetterShare) ? kFieldHeightCost : 0;
}

// The best character of `kind` for one blob (top-k, then the top read's look-alike); c == 0
// when none fits.
CharAlternative choose(const CharRead& read, char kind, const char* letters) {
  CharAlternative chosen{0, 0};
  for (const CharAlternative& alt : read.top) {
    if (fits(alt.c, kind, letters)) {
      chosen = alt;
      break;
    }
  }
  if (!read.top.empty()) {
    // A look-alike of the top read (0/O, 8/B, ...) is never less likely than kLookAlikeP: the
    // classifier cannot tell them apart, the position can.
    const char swap = lookAlike(read.top.front().c);
    if (swap != 0 && fits(swap, kind, letters) && (chosen.c == 0 || chosen.c == swap)) {
      chosen = {swap, std::max(chosen.p, kLookAlikeP)};
    }
  }
  return chosen;
}

double skipCost(const CharRead& read) {
  const float p = read.top.empty() ? 0.0f : read.top.front().p;
  return kSkipCost + (p >= kSureP ? kSkipSureCost : 0.0);
}

// Skipping a blob costs what skipping the characters of its preferred reading would.
double skipCost(const BlobReads& blob) {
  double cost = 0;
  for (const CharRead& read : blob.ways[blob.preferred]) cost += skipCost(read);
  return cost;
}

// Aligns the blobs to `format` (each blob fills the next positions with one of its ways, or is
// skipped) at the least cost; false when no alignment fits, or it changes too much, or its
// region is invalid.
bool matchFormat(const Format& format, const std::vector<BlobReads>& blobs, FormatResult* out,
                 double* cost) {
  const std::string_view pattern = format.pattern;
  const std::size_t n = pattern.size();
  const std::size_t m = blobs.size();
  constexpr double kInf = std::numeric_limits<double>::infinity();
  constexpr std::size_t kSkip = std::numeric_limits<std::size_t>::max();
  // best[i][j]: least cost of blobs [0, i) filling positions [0, j); way[i][j]: the way blob
  // i - 1 was read on that path (kSkip: skipped).
  std::vector<std::vector<double>> best(m + 1, std::vector<double>(n + 1, kInf));
  std::vector<std::vector<std::size_t>> way(m + 1, std::vector<std::size_t>(n + 1, kSkip));
  best[0][0] = 0;
  for (std::size_t i = 1; i <= m; ++i) {
    const BlobReads& blob = blobs[i - 1];
    for (std::size_t j = 0; j <= n; ++j) {
      if (best[i - 1][j] < kInf) {
        best[i][j] = best[i - 1][j] + skipCost(blob);
        way[i][j] = kSkip;
      }
    }
    for (std::size_t w = 0; w < blob.ways.size(); ++w) {
      const std::vector<CharRead>& chars = blob.ways[w];
      const double other_way = w == blob.preferred ? 0.0 : kOtherWayCost;
      for (std::size_t j = chars.size(); j <= n; ++j) {
        const std::size_t from = j - chars.size();
        if (best[i - 1][from] == kInf) continue;
        double c = best[i - 1][from] + other_way;
        for (std::size_t t = 0; t < chars.size() && c < kInf; ++t) {
          const char kind = kindAt(pattern[from + t]);
          const CharAlternative chosen = choose(chars[t], kind, kind == 'L' ? format.letters : "");
          c = chosen.c == 0 ? kInf : c - std::log(std::max(chosen.p, kMinP));
        }
        if (c <= best[i][j]) {  // ties: read rather than skip
          best[i][j] = c;
          way[i][j] = w;
        }
      }
    }
  }
  if (best[m][n] == kInf) return false;

  FormatResult candidate;
  candidate.format = format.name;
  candidate.country = format.country;
  candidate.text.resize(n);
  candidate.p.resize(n);
  candidate.used.resize(n);
  std::vector<int> heights(n, 0);
  int sure_changed = 0;
  for (std::size_t i = m, j = n; i > 0; --i) {
    const std::size_t w = way[i][j];
    if (w == kSkip) {
      if (j != n && j != 0) candidate.skipped_inside += skipCost(blobs[i - 1]);
      continue;
    }
    const std::vector<CharRead>& chars = blobs[i - 1].ways[w];
    const std::size_t from = j - chars.size();
    for (std::size_t t = 0; t < chars.size(); ++t) {
      const char kind = kindAt(pattern[from + t]);
      const CharAlternative chosen = choose(chars[t], kind, kind == 'L' ? format.letters : "");
      candidate.text[from + t] = chosen.c;
      candidate.p[from + t] = chosen.p;
      candidate.used[from + t] = pieceIndex(blobs, i - 1, w, t);
      heights[from + t] = chars[t].height;
      if (chars[t].top.empty() || chosen.c != chars[t].top.front().c) {
        ++candidate.changed;
        if (!chars[t].top.empty() && chars[t].top.front().p >= kSureP) ++sure_changed;
      }
    }
    j = from;
  }
  if (candidate.changed > kMaxChanges) return false;
  if (!format.may_change_sure_reads && sure_changed > 0) return false;
  const std::size_t region_at = pattern.find('R');
  if (region_at != std::string_view::npos) {
    const std::string_view region = std::string_view(candidate.text).substr(region_at);
    if (format.region == Region::kKz && !validKzRegion(region)) return false;
    if (format.region == Region::kRu && !validRuRegion(region)) return false;
  }
  *cost =
      best[m][n] + fieldHeightCost(pattern, heights) + letterHeightCost(format, pattern, heights);
  *out = std::move(candidate);
  return true;
}

}  // namespace

std::size_t pieceIndex(const std::vector<BlobReads>& blobs, std::size_t blob, std::size_t way,
                       std::size_t part) {
  std::size_t index = 0;
  for (std::size_t b = 0; b < blob; ++b) {
    for (const auto& chars : blobs[b].ways) index += chars.size();
  }
  for (std::size_t w = 0; w < way; ++w) index += blobs[blob].ways[w].size();
  return index + part;
}

FormatResult correctPlate(const std::vector<CharRead>& chars) {
  std::vector<BlobReads> blobs;
  for (const CharRead& read : chars) blobs.push_back({{{read}}, 0});
  return correctPlate(blobs);
}

FormatResult correctPlate(const std::vector<BlobReads>& blobs) {
  FormatResult raw;
  raw.format = "generic";
  double raw_cost = 0;
  for (std::size_t b = 0; b < blobs.size(); ++b) {
    const std::vector<CharRead>& chars = blobs[b].ways[blobs[b].preferred];
    for (std::size_t t = 0; t < chars.size(); ++t) {
      const CharAlternative best = chars[t].top.empty() ? CharAlternative{} : chars[t].top.front();
      raw.text.push_back(best.c);
      raw.p.push_back(best.p);
      raw.used.push_back(pieceIndex(blobs, b, blobs[b].preferred, t));
      raw_cost -= std::log(std::max(best.p, kMinP));
    }
  }

  FormatResult best;
  double best_cost = std::numeric_limits<double>::infinity();
  for (const Format& format : kFormats) {
    FormatResult candidate;
    double cost = 0;
    if (!matchFormat(format, blobs, &candidate, &cost)) continue;
    if (cost < best_cost) {
      best_cost = cost;
      best = std::move(candidate);
    }
  }
  if (best_cost - raw_cost <= kMaxExtraCost) return best;
  // Generic plate: an unsure blob at either end is more likely a strip, a bolt or a frame edge
  // than a character.
  while (raw.text.size() > kMinGenericLength && raw.p.front() < kStrayP) {
    raw.text.erase(raw.text.begin());
    raw.p.erase(raw.p.begin());
    raw.used.erase(raw.used.begin());
  }
  while (raw.text.size() > kMinGenericLength && raw.p.back() < kStrayP) {
    raw.text.pop_back();
    raw.p.pop_back();
    raw.used.pop_back();
  }
  return raw;
}

}  // namespace kordon::drivers::anpr
