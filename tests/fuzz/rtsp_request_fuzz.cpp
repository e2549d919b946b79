// SPDX-License-Identifier: Apache-2.0
// Untrusted: RTSP request heads and Transport headers a client sends the ANPR simulator's
// stream (simulators/anpr_sim/rtsp_server.hpp).
#include "simulators/anpr_sim/rtsp_server.hpp"
#include "tests/fuzz/fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzzText(data, size);
  auto request = kordon::sim::parseRtspRequest(text);
  if (request) {
    if (request->method.empty() || request->url.empty()) __builtin_trap();
    (void)kordon::sim::chooseInterleavedTransport(request->header("transport"));
  }
  const auto channels = kordon::sim::chooseInterleavedTransport(text);
  if (channels &&
      (channels->rtp < 0 || channels->rtp > 255 || channels->rtcp < 0 || channels->rtcp > 255)) {
    __builtin_trap();
  }
  return 0;
}
