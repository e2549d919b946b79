// SPDX-License-Identifier: Apache-2.0
// Untrusted: the byte stream of a Toledo-continuous indicator or a serial-to-Ethernet converter.
// The first byte picks the checksum mode and how the rest is chunked, so framer resync across
// read boundaries is exercised too; every frame found is decoded again and mapped to a sample.
#include <span>

#include "drivers/weighbridge/toledo_continuous.hpp"
#include "drivers/weighbridge/toledo_weighbridge.hpp"
#include "tests/fuzz/fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kordon::drivers;
  if (size == 0) return 0;
  const bool checksum = (data[0] & 1U) != 0;
  const std::size_t chunk = 1 + (data[0] >> 1);
  const std::span<const std::uint8_t> stream(data + 1, size - 1);

  ToledoFramer framer(checksum);
  for (std::size_t pos = 0; pos < stream.size(); pos += chunk) {
    const auto piece = stream.subspan(pos, std::min(chunk, stream.size() - pos));
    for (const ToledoFrame& frame : framer.feed(piece)) {
      (void)toledoWeightSample(frame);
      (void)toledoDigitsToKg(frame.tare_digits, frame);
    }
  }
  if (stream.size() == kToledoFrameLength || stream.size() == kToledoFrameLengthWithChecksum) {
    (void)decodeToledoFrame(stream);
  }
  (void)inspectToledoStream(stream);
  return 0;
}
