// SPDX-License-Identifier: Apache-2.0
// Untrusted: central's API tokens file (edited by hand) and a client's Authorization header.
#include "sync/central/api_access.hpp"
#include "tests/fuzz/fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(fuzzText(data, size));
  const std::string token = kordon::central::bearerToken(text);
  auto tokens = kordon::central::ApiTokens::parse(text, "fuzz.toml");
  if (tokens.isOk()) {
    (void)tokens->authenticate(token, 1'800'000'000'000);
    (void)tokens->toToml();
    for (const auto& t : tokens->tokens()) (void)t.mayActOn("KZ-A");
  }
  return 0;
}
