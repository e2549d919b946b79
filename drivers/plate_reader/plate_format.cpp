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
    case '0': return 'O';
    case 'O': return '0';
    case 'D': return '0';
    case 'Q': return '0';
    case '8': return 'B';
    case 'B': return '8';
    case '1': return 'I';
    case 'I': return '1';
    case 'T': return '7';
    case '7': return 'T';
    case '5': return 'S';
    case 'S': return '5';
    case '2': return 'Z';
    case 'Z': return '2';
    case '6': return 'G';
    case 'G': return '6';
    case '4': return 'A';
    case 'A': return '4';
    default: return 0;
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
constexpr double kMaxExtraCost = 4.5;  // nats over the raw read a format may cost
constexpr int kMaxChanges = 2;

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
  for (const Format& format : kFormats) {
    const std::string_view pattern = format.pattern;
    if (pattern.size() != chars.size()) continue;
    FormatResult candidate;
    candidate.format = format.name;
    candidate.country = format.country;
    double cost = 0;
    bool ok = true;
    for (std::size_t i = 0; i < chars.size() && ok; ++i) {
      const char kind = pattern[i] == 'L' ? 'L' : 'D';
      const char* letters = kind == 'L' ? format.letters : "";
      CharAlternative chosen{0, 0};
      for (const CharAlternative& alt : chars[i].top) {
        if (fits(alt.c, kind, letters)) {
          chosen = alt;
          break;
        }
      }
      if (chosen.c == 0 && !chars[i].top.empty()) {
        const char swap = lookAlike(chars[i].top.front().c);
        if (swap != 0 && fits(swap, kind, letters)) chosen = {swap, kLookAlikeP};
      }
      if (chosen.c == 0) {
        ok = false;
        break;
      }
      if (chars[i].top.empty() || chosen.c != chars[i].top.front().c) ++candidate.changed;
      candidate.text.push_back(chosen.c);
      candidate.p.push_back(chosen.p);
      cost -= std::log(std::max(chosen.p, kMinP));
    }
    if (!ok || candidate.changed > kMaxChanges) continue;
    const std::size_t region_at = pattern.find('R');
    if (region_at != std::string_view::npos) {
      const std::string_view region = std::string_view(candidate.text).substr(region_at);
      if (format.region == Region::kKz && !validKzRegion(region)) continue;
      if (format.region == Region::kRu && !validRuRegion(region)) continue;
    }
    if (cost < best_cost) {
      best_cost = cost;
      best = std::move(candidate);
    }
  }
  if (best_cost - raw_cost <= kMaxExtraCost) return best;
  return raw;
}

}  // namespace kordon::drivers::anpr
