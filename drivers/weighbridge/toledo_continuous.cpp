// SPDX-License-Identifier: Apache-2.0
#include "drivers/weighbridge/toledo_continuous.hpp"

#include <algorithm>
#include <cstdio>

namespace kordon::drivers {
namespace {

constexpr std::size_t kSwa = 1, kSwb = 2, kSwc = 3, kDisplayed = 4, kTare = 10, kCr = 16, kChk = 17;
constexpr std::size_t kInspectMaxFrames = 50;

bool bit(std::uint8_t byte, int n) { return ((byte >> n) & 1U) != 0; }

std::string hexByte(std::uint8_t byte) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%02X", byte);
  return text;
}

// Six ASCII digits; leading blanks count as zeros, a blank after a digit does not.
Result<std::int64_t> parseDigits(std::span<const std::uint8_t> field, const char* name) {
  std::int64_t value = 0;
  bool seen_digit = false;
  for (std::size_t i = 0; i < field.size(); ++i) {
    const std::uint8_t c = field[i];
    if (c == ' ' && !seen_digit) {
      value *= 10;
      continue;
    }
    if (c < '0' || c > '9') {
      return Status::error(std::string(name) + " byte " + std::to_string(i + 1) + " is " +
                           hexByte(c) + ", not a digit");
    }
    seen_digit = true;
    value = value * 10 + (c - '0');
  }
  return value;
}

nlohmann::json frameToJson(const ToledoFrame& f) {
  static constexpr const char* kUnits[] = {"lb", "kg", "g", "t", "oz", "other"};
  return {{"displayed", f.displayed_digits},
          {"tare", f.tare_digits},
          {"exponent", f.exponent},
          {"increment", f.increment},
          {"unit", kUnits[static_cast<int>(f.unit())]},
          {"net", f.net},
          {"negative", f.negative},
          {"out_of_range", f.out_of_range},
          {"motion", f.motion},
          {"not_zeroed", f.not_zeroed},
          {"print_request", f.print_request},
          {"expanded", f.expanded},
          {"checksum", f.has_checksum},
          {"swa", hexByte(f.swa)},
          {"swb", hexByte(f.swb)},
          {"swc", hexByte(f.swc)}};
}

}  // namespace

ToledoUnit ToledoFrame::unit() const {
  switch (unit_extension) {
    case 0:
      return kg ? ToledoUnit::kKg : ToledoUnit::kLb;
    case 1:
      return ToledoUnit::kGram;
    case 2:
      return ToledoUnit::kTonne;
    case 3:
      return ToledoUnit::kOunce;
    default:
      return ToledoUnit::kOther;
  }
}

std::uint8_t toledoChecksum(std::span<const std::uint8_t> bytes) {
  unsigned sum = 0;
  for (const std::uint8_t b : bytes) sum += b;
  return static_cast<std::uint8_t>((0x80U - (sum & 0x7FU)) & 0x7FU);
}

Result<ToledoFrame> decodeToledoFrame(std::span<const std::uint8_t> frame) {
  if (frame.size() != kToledoFrameLength && frame.size() != kToledoFrameLengthWithChecksum) {
    return Status::error("toledo frame of " + std::to_string(frame.size()) +
                         " bytes, want 17 or 18");
  }
  if (frame[0] != kToledoStx)
    return Status::error("toledo byte 1 is " + hexByte(frame[0]) + ", not STX");
  if (frame[kCr] != kToledoCr) {
    return Status::error("toledo byte 17 is " + hexByte(frame[kCr]) + ", not CR");
  }
  ToledoFrame f;
  if (frame.size() == kToledoFrameLengthWithChecksum) {
    const std::uint8_t want = toledoChecksum(frame.first(kToledoFrameLength));
    if ((frame[kChk] & 0x7FU) != want) {
      return Status::error("toledo checksum " + hexByte(frame[kChk]) + ", computed " +
                           hexByte(want));
    }
    f.has_checksum = true;
  }
  f.swa = frame[kSwa];
  f.swb = frame[kSwb];
  f.swc = frame[kSwc];
  if (!bit(f.swa, 5)) return Status::error("toledo SWA " + hexByte(f.swa) + " lacks bit 5");

  f.decimal_code = f.swa & 0x07;
  f.exponent = 2 - f.decimal_code;  // 000 -> x100 ... 010 -> x1 ... 111 -> x10^-5
  switch ((f.swa >> 3) & 0x03) {
    case 1:
      f.increment = 1;
      break;
    case 2:
      f.increment = 2;
      break;
    case 3:
      f.increment = 5;
      break;
    default:
      return Status::error("toledo SWA " + hexByte(f.swa) + " has no increment (bits 3-4 = 00)");
  }
  f.net = bit(f.swb, 0);
  f.negative = bit(f.swb, 1);
  f.out_of_range = bit(f.swb, 2);
  f.motion = bit(f.swb, 3);
  f.kg = bit(f.swb, 4);
  f.not_zeroed = bit(f.swb, 6);
  f.unit_extension = f.swc & 0x07;
  f.print_request = bit(f.swc, 3);
  f.expanded = bit(f.swc, 4);

  auto displayed = parseDigits(frame.subspan(kDisplayed, 6), "toledo displayed weight");
  if (!displayed) return displayed.status();
  auto tare = parseDigits(frame.subspan(kTare, 6), "toledo tare");
  if (!tare) return tare.status();
  f.displayed_digits = *displayed;
  f.tare_digits = *tare;
  return f;
}

Result<std::int64_t> toledoDigitsToKg(std::int64_t digits, const ToledoFrame& frame) {
  int exponent = frame.exponent;
  switch (frame.unit()) {
    case ToledoUnit::kKg:
      break;
    case ToledoUnit::kTonne:
      exponent += 3;
      break;
    case ToledoUnit::kLb:
      return Status::error("toledo frame in lb; set the indicator to kg");
    case ToledoUnit::kGram:
    case ToledoUnit::kOunce:
    case ToledoUnit::kOther:
      return Status::error("toledo frame unit extension " + std::to_string(frame.unit_extension) +
                           " is not kg or t");
  }
  std::int64_t value = digits;
  for (; exponent > 0; --exponent) value *= 10;
  if (exponent < 0) {
    std::int64_t divisor = 1;
    for (; exponent < 0; ++exponent) divisor *= 10;
    value = (value + divisor / 2) / divisor;  // digits >= 0: half away from zero
  }
  return value;
}

std::vector<ToledoFrame> ToledoFramer::feed(std::span<const std::uint8_t> bytes) {
  std::vector<ToledoFrame> frames;
  const std::size_t length = expect_checksum_ ? kToledoFrameLengthWithChecksum : kToledoFrameLength;
  std::size_t pos = 0;
  while (pos < bytes.size() || buffer_.size() >= length) {
    if (buffer_.empty()) {
      // Hunt for STX directly in the input; everything before it is noise.
      const auto* begin = bytes.data() + pos;
      const auto* end = bytes.data() + bytes.size();
      const auto* stx = std::find(begin, end, kToledoStx);
      discarded_bytes_ += static_cast<std::uint64_t>(stx - begin);
      pos = static_cast<std::size_t>(stx - bytes.data());
      if (pos == bytes.size()) break;
    }
    const std::size_t take =
        std::min(length - std::min(length, buffer_.size()), bytes.size() - pos);
    buffer_.insert(buffer_.end(), bytes.begin() + static_cast<std::ptrdiff_t>(pos),
                   bytes.begin() + static_cast<std::ptrdiff_t>(pos + take));
    pos += take;
    if (buffer_.size() < length) break;  // wait for the rest of the frame

    auto frame = decodeToledoFrame(std::span<const std::uint8_t>(buffer_.data(), length));
    if (frame) {
      ++good_frames_;
      frames.push_back(*frame);
      buffer_.clear();
      continue;
    }
    // Not a frame: drop its STX and resynchronise on the next STX inside what was buffered.
    ++bad_frames_;
    last_error_ = frame.status().message();
    const auto next = std::find(buffer_.begin() + 1, buffer_.end(), kToledoStx);
    discarded_bytes_ += static_cast<std::uint64_t>(next - buffer_.begin());
    buffer_.erase(buffer_.begin(), next);
  }
  return frames;
}

nlohmann::json inspectToledoStream(std::span<const std::uint8_t> capture) {
  ToledoFramer with_checksum(true);
  ToledoFramer without_checksum(false);
  const auto framed_with = with_checksum.feed(capture);
  const auto framed_without = without_checksum.feed(capture);
  const bool checksum =
      with_checksum.goodFrames() >= without_checksum.goodFrames() && with_checksum.goodFrames() > 0;
  const ToledoFramer& framer = checksum ? with_checksum : without_checksum;
  const auto& frames = checksum ? framed_with : framed_without;

  nlohmann::json list = nlohmann::json::array();
  for (std::size_t i = 0; i < frames.size() && i < kInspectMaxFrames; ++i) {
    list.push_back(frameToJson(frames[i]));
  }
  return {{"format", "toledo-continuous"},
          {"bytes", capture.size()},
          {"checksum", checksum},
          {"good_frames", framer.goodFrames()},
          {"bad_frames", framer.badFrames()},
          {"discarded_bytes", framer.discardedBytes()},
          {"last_error", framer.lastError()},
          {"frames", list}};
}

}  // namespace kordon::drivers
