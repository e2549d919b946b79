// SPDX-License-Identifier: Apache-2.0
#pragma once

// Plate normalisation, the matching key between camera reads and declarations (DESIGN.md):
// upper-case Latin, no spaces or separators, Cyrillic look-alikes mapped to Latin
// (А→A В→B Е→E К→K М→M Н→H О→O Р→P С→C Т→T У→Y Х→X, either case). Any other letter is kept
// upper-cased rather than dropped, so "Ж123" can never collapse onto "123". Invalid UTF-8
// bytes become '?', which matches nothing real.

#include <string>
#include <string_view>

namespace kordon::msg {

std::string normalisePlate(std::string_view raw_utf8);

// Edit distance (insertions, deletions, substitutions) between two normalised plates: how far a
// read is from another read or from a declared plate.
int levenshtein(std::string_view a, std::string_view b);

}  // namespace kordon::msg
