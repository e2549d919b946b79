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
  if (kind == 'L') {
    if (c < 'A' || c > 'Z') return false;
    return *letters == 0 || std::string_view(letters).find(c) != std::string_view::npos;
  }
  return isDigit(c);
}

constexpr float kLookAlikeP = 0.05f;  // probability given to a look-alike outside the top-k
constexpr float kMinP = 1e-4f;
constexpr double kMaxExtraCost = 6.5;  // nats over the raw read a format may cost
constexpr int kMaxChanges = 3;

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

constexpr std::size_t kMaxSkipped = 4;
constexpr std::size_t kMinGenericLength = 5;
constexpr float kStrayP = 0.5f;
constexpr double kSkipCost = 1.6;      // -log(0.2): a blob skipped costs a read of p = 0.2,
constexpr double kSkipSureCost = 1.0;  // and more when the classifier was sure of it

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
  return kSkipCost + (p > 0.9f ? kSkipSureCost : 0.0);
}

// Aligns the blobs to `format` (each blob fills the next position or is skipped) at the least
// cost; false when no alignment fits, or it changes too much, or its region is invalid.
bool matchFormat(const Format& format, const std::vector<CharRead>& chars, FormatResult* out,
                 double* cost) {
  const std::string_view pattern = format.pattern;
  const std::size_t n = pattern.size();
  const std::size_t m = chars.size();
  if (m < n || m - n > kMaxSkipped) return false;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  // best[i][j]: least cost of blobs [0, i) filling positions [0, j); took[i][j]: blob i - 1
  // filled position j - 1 (else it was skipped).
  std::vector<std::vector<double>> best(m + 1, std::vector<double>(n + 1, kInf));
  std::vector<std::vector<bool>> took(m + 1, std::vector<bool>(n + 1, false));
  std::vector<std::vector<CharAlternative>> chosen(m, std::vector<CharAlternative>(n));
  best[0][0] = 0;
  for (std::size_t i = 1; i <= m; ++i) {
    const CharRead& read = chars[i - 1];
    for (std::size_t j = 0; j <= std::min(i, n); ++j) {
      if (i - j > kMaxSkipped) continue;
      double cost_here = best[i - 1][j] + skipCost(read);
      bool fill = false;
      if (j > 0 && best[i - 1][j - 1] < kInf) {
        const char kind = pattern[j - 1] == 'L' ? 'L' : 'D';
        const CharAlternative c = choose(read, kind, kind == 'L' ? format.letters : "");
        if (c.c != 0) {
          chosen[i - 1][j - 1] = c;
          const double filled = best[i - 1][j - 1] - std::log(std::max(c.p, kMinP));
          if (filled <= cost_here) {
            cost_here = filled;
            fill = true;
          }
        }
      }
      best[i][j] = cost_here;
      took[i][j] = fill;
    }
  }
  if (best[m][n] == kInf) return false;

  FormatResult candidate;
  candidate.format = format.name;
  candidate.country = format.country;
  candidate.text.resize(n);
  candidate.p.resize(n);
  candidate.used.resize(n);
  for (std::size_t i = m, j = n; i > 0; --i) {
    if (!took[i][j]) continue;
    const CharAlternative& c = chosen[i - 1][j - 1];
    candidate.text[j - 1] = c.c;
    candidate.p[j - 1] = c.p;
    candidate.used[j - 1] = i - 1;
    if (chars[i - 1].top.empty() || c.c != chars[i - 1].top.front().c) ++candidate.changed;
    --j;
  }
  if (candidate.changed > kMaxChanges) return false;
  const std::size_t region_at = pattern.find('R');
  if (region_at != std::string_view::npos) {
    const std::string_view region = std::string_view(candidate.text).substr(region_at);
    if (format.region == Region::kKz && !validKzRegion(region)) return false;
    if (format.region == Region::kRu && !validRuRegion(region)) return false;
  }
  *cost = best[m][n];
  *out = std::move(candidate);
  return true;
}

}  // namespace

FormatResult correctPlate(const std::vector<CharRead>& chars) {
  FormatResult raw;
  raw.format = "generic";
  double raw_cost = 0;
  for (std::size_t i = 0; i < chars.size(); ++i) {
    const CharAlternative best = chars[i].top.empty() ? CharAlternative{} : chars[i].top.front();
    raw.text.push_back(best.c);
    raw.p.push_back(best.p);
    raw.used.push_back(i);
    raw_cost -= std::log(std::max(best.p, kMinP));
  }

  FormatResult best;
  double best_cost = std::numeric_limits<double>::infinity();
  for (const Format& format : kFormats) {
    FormatResult candidate;
    double cost = 0;
    if (!matchFormat(format, chars, &candidate, &cost)) continue;
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
