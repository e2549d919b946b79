// SPDX-License-Identifier: Apache-2.0
// Untrusted: a camera push's Authorization header (Basic or Digest), from anyone who can reach
// the receiver. The first line of the input is the header; the rest, the request-target.
#include "edge/base/clock.hpp"
#include "edge/base/http_auth.hpp"
#include "tests/fuzz/fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = fuzzText(data, size);
  const std::size_t newline = text.find('\n');
  const std::string header(text.substr(0, newline));
  const std::string target =
      newline == std::string_view::npos ? "/anpr/L1" : std::string(text.substr(newline + 1));
  (void)kordon::http::parseAuthParams(header);
  static const kordon::SystemClock clock;
  auto allow = kordon::AddressFilter::parse({"127.0.0.1"});
  for (auto scheme : {kordon::http::AuthScheme::kBasic, kordon::http::AuthScheme::kDigest}) {
    kordon::http::DeviceAccess access(*allow, {scheme, "kordon", "cam", "secret"}, clock);
    kordon::http::Request request;
    request.method = "POST";
    request.target = target;
    request.path = "/anpr/L1";
    request.remote_address = "127.0.0.1";
    request.headers["authorization"] = header;
    const auto decision = access.check(request);
    (void)decision.response();
  }
  return 0;
}
