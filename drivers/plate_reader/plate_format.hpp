// SPDX-License-Identifier: Apache-2.0
#pragma once

// Plate formats the reader knows, and the correction that uses them. A format is a pattern of
// digit (D) and letter (L) positions plus a rule on the region code. Correction picks, per
// format, the best alternative of the required kind at each position (top-k first, then the
// look-alike table 0/O 8/B 1/I 5/S 2/Z 6/G 4/A 7/T), and accepts the cheapest format only when
// it costs little more than the raw read and changes at most three characters with a valid
// region. Blobs are aligned to the format's positions by dynamic programming, so a stray blob
// (a flag, a bolt, a border remnant, the region separator) may be skipped anywhere, at a cost.
// Where the reads carry their heights, a format also costs more when a character is much shorter
// than the rest of its field, or when its letters are not to its digits as its standard prints
// them (RU letters smaller, KZ alike).
// Two neighbours' formats (Slovakia, Czechia) are known too, but may only correct characters
// the classifier was unsure of. Anything else (other EU plates, unknown layouts) keeps the raw
// read: the generic path never forces a plate into a known shape.
//
//   kz2012        NNN LLL RR   (RR region 01..20)       kz2012-short  NNN LL RR
//   kz1993        L NNN LLL                              kz-diplomatic NNN D NNN (D/CMD series)
//   ru            L NNN LL RR(R) (letters ABEKMHOPCTYX, region from the RU list)
//   ru-trailer    LL NNNN RR(R)  ru-diplomatic NNN LL N RR(R) (CD/D/T)
//   sk            LL NNN LL      cz            N L X NNNN (X letter or digit)
// Two-row plates read top row first, so they match the same patterns.

#include <string>
#include <string_view>
#include <vector>

namespace kordon::drivers::anpr {

struct CharAlternative {
  char c = '?';
  float p = 0;  // 0..1
};

// One segmented character: alternatives sorted by p, best first.
struct CharRead {
  std::vector<CharAlternative> top;
  int height = 0;  // of its ink, in crop pixels; 0 when unknown
};

// One segmented blob and the ways it may be read: as one character, or cut into several when it
// may be characters run together (blur, dirt, tight spacing). ways[w] holds the characters of
// one reading, left to right; `preferred` is the segmenter's own guess, which the generic read
// takes; a format may take another at a cost.
struct BlobReads {
  std::vector<std::vector<CharRead>> ways;
  std::size_t preferred = 0;
};

struct FormatResult {
  std::string text;      // corrected (or raw) text, normalised Latin
  std::string format;    // "kz2012", ..., or "generic"
  std::string country;   // "KZ", "RU" or "" (unknown)
  std::vector<float> p;  // per-character probability of the chosen character
  int changed = 0;       // characters changed from the raw top-1
  // What the blobs the alignment skipped between characters it read would have cost (a stray
  // inside a plate is rarer than one at its ends, a flag or a bolt).
  double skipped_inside = 0;
  // Piece used[i] became text[i]. Pieces are the characters of every way of every blob,
  // numbered blob by blob, way by way (pieceIndex()); for plain CharReads, the blob's index. A
  // format may skip stray blobs anywhere (a flag, a bolt, a border remnant, the separator before
  // the region); the generic read only unsure ones at either end.
  std::vector<std::size_t> used;
};

// What the alignment charges for skipping a blob: a read of p = 0.2 (-log 0.2), more when the
// classifier was sure of it. The reader charges it too for a character-like blob a read leaves
// out beside its ends.
inline constexpr double kSkipCost = 1.6;

// The number of piece `part` of way `way` of blob `blob` (see FormatResult::used).
std::size_t pieceIndex(const std::vector<BlobReads>& blobs, std::size_t blob, std::size_t way,
                       std::size_t part);

bool validKzRegion(std::string_view two_digits);
bool validRuRegion(std::string_view digits);

// Applies the format rules to raw per-character alternatives.
FormatResult correctPlate(const std::vector<CharRead>& chars);
// The same over blobs that may be read more than one way: the alignment picks, per blob, to skip
// it or which way to read it.
FormatResult correctPlate(const std::vector<BlobReads>& blobs);

}  // namespace kordon::drivers::anpr
