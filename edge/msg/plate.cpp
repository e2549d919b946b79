// SPDX-License-Identifier: Apache-2.0
#include "edge/msg/plate.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace kordon::msg {
namespace {

// Decodes one UTF-8 code point at text[*pos]; returns 0xFFFD and skips one byte if invalid.
char32_t nextCodePoint(std::string_view text, std::size_t* pos) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(*pos);
  int extra = 0;
  char32_t cp = 0;
  if (lead < 0x80) {
    cp = lead;
  } else if ((lead & 0xE0) == 0xC0) {
    extra = 1;
    cp = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    extra = 2;
    cp = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    extra = 3;
    cp = lead & 0x07;
  } else {
    ++*pos;
    return 0xFFFD;
  }
  if (*pos + static_cast<std::size_t>(extra) >= text.size()) {
    ++*pos;
    return 0xFFFD;
  }
  for (int i = 1; i <= extra; ++i) {
    const unsigned char cont = byte(*pos + static_cast<std::size_t>(i));
    if ((cont & 0xC0) != 0x80) {
      ++*pos;
      return 0xFFFD;
    }
    cp = (cp << 6) | (cont & 0x3F);
  }
  *pos += static_cast<std::size_t>(extra) + 1;
  return cp;
}

void appendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// The twelve Cyrillic capitals that share a glyph with a Latin letter.
char latinLookAlike(char32_t upper_cyrillic) {
  switch (upper_cyrillic) {
    case U'А':
      return 'A';
    case U'В':
      return 'B';
    case U'Е':
      return 'E';
    case U'К':
      return 'K';
    case U'М':
      return 'M';
    case U'Н':
      return 'H';
    case U'О':
      return 'O';
    case U'Р':
      return 'P';
    case U'С':
      return 'C';
    case U'Т':
      return 'T';
    case U'У':
      return 'Y';
    case U'Х':
      return 'X';
    default:
      return 0;
  }
}

bool isSeparator(char32_t cp) {
  return cp == ' ' || cp == '-' || cp == '.' || cp == '_' || cp == '/' || cp == '|' || cp == '\t' ||
         cp == 0x00A0 /* no-break space */ || cp == 0x2010 || cp == 0x2013;
}

}  // namespace

std::string normalisePlate(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  std::size_t pos = 0;
  while (pos < raw.size()) {
    char32_t cp = nextCodePoint(raw, &pos);
    if (isSeparator(cp)) continue;
    if (cp >= 'a' && cp <= 'z') cp -= 'a' - 'A';
    if (cp >= U'а' && cp <= U'я') cp -= U'а' - U'А';  // Cyrillic lower -> upper
    if (cp == U'ё') cp = U'Ё';
    if ((cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9')) {
      out.push_back(static_cast<char>(cp));
    } else if (char latin = latinLookAlike(cp)) {
      out.push_back(latin);
    } else if (cp == 0xFFFD || cp < 0x20) {
      out.push_back('?');
    } else {
      appendUtf8(cp, &out);
    }
  }
  return out;
}

int levenshtein(std::string_view a, std::string_view b) {
  std::vector<int> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = static_cast<int>(j);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    int diagonal = row[0];
    row[0] = static_cast<int>(i);
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const int up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

}  // namespace kordon::msg
