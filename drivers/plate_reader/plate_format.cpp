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

bool validKzRegion(std::string_view r);
bool validRuRegion(std::string_view r);

namespace {

constexpr std::size_t kMaxDropped = 2;
constexpr std::size_t kMinGenericLength = 5;
constexpr float kStrayP = 0.5f;
constexpr double kDropCost = 1.6;  // -log(0.2)

// Fits chars[first, first + |pattern|) to `format`; false when a position cannot be made to fit
// or the region is invalid.
bool matchFormat(const Format& format, const std::vector<CharRead>& chars, std::size_t first,
                 FormatResult* out, double* cost) {
  const std::string_view pattern = format.pattern;
  FormatResult candidate;
  candidate.format = format.name;
  candidate.country = format.country;
  candidate.first = first;
  for (std::size_t k = 0; k < pattern.size(); ++k) {
    const CharRead& read = chars[first + k];
    const char kind = pattern[k] == 'L' ? 'L' : 'D';
    const char* letters = kind == 'L' ? format.letters : "";
    CharAlternative chosen{0, 0};
    for (const CharAlternative& alt : read.top) {
      if (fits(alt.c, kind, letters)) {
        chosen = alt;
        break;
      }
    }
    if (!read.top.empty()) {
      // A look-alike of the top read (0/O, 8/B, ...) is never less likely than kLookAlikeP:
      // the classifier cannot tell them apart, the position can.
      const char swap = lookAlike(read.top.front().c);
      if (swap != 0 && fits(swap, kind, letters) && (chosen.c == 0 || chosen.c == swap)) {
        chosen = {swap, std::max(chosen.p, kLookAlikeP)};
      }
    }
    if (chosen.c == 0) return false;
    if (read.top.empty() || chosen.c != read.top.front().c) ++candidate.changed;
    candidate.text.push_back(chosen.c);
    candidate.p.push_back(chosen.p);
    *cost -= std::log(std::max(chosen.p, kMinP));
  }
  if (candidate.changed > kMaxChanges) return false;
  const std::size_t region_at = pattern.find('R');
  if (region_at != std::string_view::npos) {
    const std::string_view region = std::string_view(candidate.text).substr(region_at);
    if (format.region == Region::kKz && !validKzRegion(region)) return false;
    if (format.region == Region::kRu && !validRuRegion(region)) return false;
  }
  *out = std::move(candidate);
  return true;
}

}  // namespace

FormatResult correctPlate(const std::vector<CharRead>& chars) {
  FormatResult raw;
  raw.format = "generic";
  double raw_cost = 0;
  for (const CharRead& read : chars) {
    const CharAlternative best = read.top.empty() ? CharAlternative{} : read.top.front();
    raw.text.push_back(best.c);
    raw.p.push_back(best.p);
    raw_cost -= std::log(std::max(best.p, kMinP));
  }

  FormatResult best;
  double best_cost = std::numeric_limits<double>::infinity();
  for (std::size_t drop_front = 0; drop_front <= kMaxDropped; ++drop_front) {
    for (std::size_t drop_back = 0; drop_back <= kMaxDropped; ++drop_back) {
      if (drop_front + drop_back >= chars.size()) continue;
      const std::size_t n = chars.size() - drop_front - drop_back;
      for (const Format& format : kFormats) {
        if (std::string_view(format.pattern).size() != n) continue;
        FormatResult candidate;
        double cost = 0;
        if (!matchFormat(format, chars, drop_front, &candidate, &cost)) continue;
        // A dropped blob costs what a read of p = 0.2 would: cheap for a blob the classifier
        // was unsure of, never free.
        for (std::size_t i = 0; i < chars.size(); ++i) {
          if (i >= drop_front && i < drop_front + n) continue;
          const float p = chars[i].top.empty() ? 0.0f : chars[i].top.front().p;
          cost += kDropCost + (p > 0.9f ? 1.0 : 0.0);
        }
        if (cost < best_cost) {
          best_cost = cost;
          best = std::move(candidate);
        }
      }
    }
  }
  if (best_cost - raw_cost <= kMaxExtraCost) return best;
  // Generic plate: an unsure blob at either end is more likely a strip, a bolt or a frame edge
  // than a character.
  while (raw.text.size() > kMinGenericLength && raw.p.front() < kStrayP) {
    raw.text.erase(raw.text.begin());
    raw.p.erase(raw.p.begin());
    ++raw.first;
  }
  while (raw.text.size() > kMinGenericLength && raw.p.back() < kStrayP) {
    raw.text.pop_back();
    raw.p.pop_back();
  }
  return raw;
}

}  // namespace kordon::drivers::anpr
