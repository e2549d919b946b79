// SPDX-License-Identifier: Apache-2.0
// Untrusted: the JPEG the ANPR simulator streams (whatever a scene encoder or a test hands it):
// RTP/JPEG packetising (simulators/anpr_sim/rtp_jpeg.hpp) refuses what it cannot carry.
#include "simulators/anpr_sim/rtp_jpeg.hpp"
#include "tests/fuzz/fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t kLimit = 256;
  auto payloads = kordon::sim::jpegToRtpPayloads(fuzzText(data, size), kLimit);
  if (!payloads) return 0;
  for (const std::string& payload : *payloads) {
    if (payload.size() > kLimit || payload.size() < kordon::sim::kRtpJpegHeaderBytes) {
      __builtin_trap();
    }
  }
  return 0;
}
