// SPDX-License-Identifier: Apache-2.0
#pragma once

// "Toledo continuous" output (device-protocols.md §1.4, Wildcat technical manual appendix 2;
// the same tables in Ohaus Defender 5000, Fairbanks FB3000/FB6000, KERN FTC, Liden LUW): a
// free-running stream of fixed frames at the display update rate (~7 Hz), on RS-232/RS-485 or
// passed through unchanged by a serial-to-Ethernet converter (§8).
//
// Pure: no I/O, no clock. decodeToledoFrame() and inspectToledoStream() are thread-safe;
// a ToledoFramer belongs to one thread. All of it is safe to fuzz (tests/fuzz/toledo_fuzz.cpp).
//
// Frame, byte by byte (1-based as in the manual):
//   1      STX  0x02
//   2      SWA  status word A
//                 bits 0-2  decimal point / dummy zero: 000 XXXX00, 001 XXXXX0, 010 XXXXXX,
//                           011 XXXXX.X, 100 XXXX.XX, 101 XXX.XXX, 110 XX.XXXX, 111 X.XXXXX
//                 bits 3-4  increment: 01 (bit3) x1, 10 (bit4) x2, 11 x5; 00 is rejected
//                 bit 5     always 1 (checked: a frame without it is rejected)
//                 bit 6     always 0 (not checked); bit 7 parity (ignored)
//   3      SWB  status word B
//                 bit 0 gross 0 / net 1      bit 1 sign, negative = 1
//                 bit 2 out of range = 1 (over capacity or under zero; the sign tells which)
//                 bit 3 motion = 1           bit 4 lb 0 / kg 1
//                 bit 5 always 1 (not checked: some Fairbanks tables show 0)
//                 bit 6 power-up, not zeroed = 1;  bit 7 parity (ignored)
//   4      SWC  status word C
//                 bits 0-2 unit extension: 000 lb/kg per SWB bit 4, 001 g, 010 t, 011 oz,
//                          other values "ton / no units" per vendor: decoded as kOther
//                 bit 3 print request;  bit 4 expanded display x10;  bit 5 always 1 (not checked)
//   5-10   displayed weight, 6 ASCII digits, no sign, no point. Leading blanks (0x20) are read
//          as zeros (some clones blank leading zeros).
//   11-16  tare weight, 6 ASCII digits, same rules
//   17     CR   0x0D
//   18     CHK  optional: two's complement of the 7 low-order bits of the sum of bytes 1..17
//          (STX and CR included), i.e. (0x80 - (sum & 0x7F)) & 0x7F. Compared on its 7 low bits.
//
// The 6 digits are the displayed digits: the decimal code scales them by 10^exponent
// (000 -> x100 for two dummy zeros, 010 -> x1, 111 -> x10^-5). ASSUMPTION (verify per vendor):
// dummy zeros are not transmitted, so "001234" with code 000 means 123400.
//
// Golden example (§1.4, computed from these rules; tests/unit/weighbridge/toledo_continuous_test):
//   02 32 30 20 30 31 32 33 34 30 30 30 30 30 30 30 0D 25
//   SWA 0x32: code 010 (XXXXXX, no point), bit4 -> x2 increment, bit5.
//   SWB 0x30: gross, positive, in range, stable, kg.  SWC 0x20: no extension.
//   -> 12340 kg gross, tare 0, increment 2 kg. (The prose in §1.4 says "20 kg increments";
//   by the SWA rules 0x32 is a 2-display-unit increment with no dummy zero, so 2 kg.)
//   The motion variant has SWB 0x38 and checksum 0x1D.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edge/base/status.hpp"

namespace kordon::drivers {

inline constexpr std::uint8_t kToledoStx = 0x02;
inline constexpr std::uint8_t kToledoCr = 0x0D;
inline constexpr std::size_t kToledoFrameLength = 17;              // without checksum
inline constexpr std::size_t kToledoFrameLengthWithChecksum = 18;  // with checksum

enum class ToledoUnit { kLb, kKg, kGram, kTonne, kOunce, kOther };

struct ToledoFrame {
  // SWA
  int decimal_code = 2;  // bits 0-2
  int exponent = 0;      // weight = digits * 10^exponent display units: +2 .. -5
  int increment = 1;     // 1, 2 or 5 (in the last displayed digit)
  // SWB
  bool net = false;
  bool negative = false;
  bool out_of_range = false;
  bool motion = false;
  bool kg = false;  // SWB bit 4
  bool not_zeroed = false;
  // SWC
  int unit_extension = 0;  // bits 0-2
  bool print_request = false;
  bool expanded = false;
  // Fields
  std::int64_t displayed_digits = 0;  // 0..999999 as sent
  std::int64_t tare_digits = 0;
  bool has_checksum = false;
  std::uint8_t swa = 0, swb = 0, swc = 0;  // raw, for diagnostics

  ToledoUnit unit() const;
};

// The checksum byte for `bytes` (STX .. CR): (0x80 - (sum & 0x7F)) & 0x7F.
std::uint8_t toledoChecksum(std::span<const std::uint8_t> bytes);

// Decodes one frame of exactly 17 bytes, or 18 whose last byte is the checksum (verified).
// Every malformed frame is an error value naming the byte.
[[nodiscard]] Result<ToledoFrame> decodeToledoFrame(std::span<const std::uint8_t> frame);

// A value in display units scaled by 10^exponent, converted to whole kg (rounded half away
// from zero): kg and t frames convert, lb/g/oz/other are an error (the driver rejects them; a
// border weighbridge is commissioned in kg, and a converted lb figure would not match what the
// operator reads on the display).
[[nodiscard]] Result<std::int64_t> toledoDigitsToKg(std::int64_t digits, const ToledoFrame& frame);

// Splits a byte stream into frames: resynchronises on STX, takes 17 bytes (18 when
// `expect_checksum`) ending in CR, and validates them with decodeToledoFrame(). A candidate that
// fails is counted as a bad frame and the search resumes one byte after its STX. Bytes that are
// not part of a frame are counted as discarded. Memory is bounded: at most one frame is
// buffered.
class ToledoFramer {
 public:
  explicit ToledoFramer(bool expect_checksum) : expect_checksum_(expect_checksum) {}

  // Appends `bytes` and returns every complete valid frame, in order.
  std::vector<ToledoFrame> feed(std::span<const std::uint8_t> bytes);
  void reset() { buffer_.clear(); }

  std::uint64_t goodFrames() const { return good_frames_; }
  std::uint64_t badFrames() const { return bad_frames_; }
  std::uint64_t discardedBytes() const { return discarded_bytes_; }
  const std::string& lastError() const { return last_error_; }  // of the last bad frame

 private:
  bool expect_checksum_;
  std::vector<std::uint8_t> buffer_;
  std::uint64_t good_frames_ = 0;
  std::uint64_t bad_frames_ = 0;
  std::uint64_t discarded_bytes_ = 0;
  std::string last_error_;
};

// For `kordonctl inspect`: frames the capture with and without checksums, keeps the mode that
// finds more valid frames and reports {"format":"toledo-continuous","bytes","checksum",
// "good_frames","bad_frames","discarded_bytes","last_error","frames":[first 50 decoded]}.
nlohmann::json inspectToledoStream(std::span<const std::uint8_t> capture);

}  // namespace kordon::drivers
