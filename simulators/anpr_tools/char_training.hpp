// SPDX-License-Identifier: Apache-2.0
#pragma once

// Training of the reader's character model (drivers/plate_reader/char_classifier.hpp). Training
// data is generated, never downloaded: glyphs of the DejaVu, Liberation Sans and Roboto fonts
// (Debian fonts-dejavu-core, fonts-liberation2, fonts-roboto-unhinted) rendered with FreeType,
// condensed, sheared, rotated, blurred, noised and binarised the way the reader binarises a plate
// (renderTrainingGlyph(), seeded), plus whatever labelled crops the caller adds (kordon-anpr
// train adds the reader's own crops of synthetic scenes).

#include <vector>

#include "drivers/plate_reader/char_classifier.hpp"
#include "edge/base/status.hpp"

namespace kordon::anpr_tools {

using drivers::anpr::CharClassifier;
using drivers::anpr::Glyph;
using drivers::anpr::LabelledGlyph;

// Renders the training set (seeded) and trains on it plus `extra`. `samples_per_class` ~150
// takes a few s; `epochs` RPROP epochs. With `members` > 1, trains that many MLPs, each on its
// own rendering of the glyphs and from its own initial weights (in parallel), and classifies by
// their mean output: an ensemble makes fewer mistakes than any one of its members, whose errors
// differ.
Result<CharClassifier> trainCharClassifier(unsigned seed, int samples_per_class,
                                           const std::vector<LabelledGlyph>& extra = {},
                                           int epochs = 150, int members = 1);
// An ensemble whose member m also learns from extra_by_member[m] (bagging: members that see
// different scenes make more different errors, which their mean then cancels).
Result<CharClassifier> trainBaggedCharClassifier(
    unsigned seed, int samples_per_class,
    const std::vector<std::vector<LabelledGlyph>>& extra_by_member, int epochs);

// Renders one augmented training glyph as the reader would see it; empty ink on failure.
Glyph renderTrainingGlyph(char c, unsigned seed);

}  // namespace kordon::anpr_tools
