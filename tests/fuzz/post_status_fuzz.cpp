// SPDX-License-Identifier: Apache-2.0
// Untrusted: a post's status message as central receives it. The input's first line is the
// topic, the rest the payload.
#include "sync/central/backfill.hpp"
#include "tests/fuzz/fuzz_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(fuzzText(data, size));
  const auto newline = input.find('\n');
  const std::string topic = input.substr(0, newline);
  const std::string payload = newline == std::string::npos ? "" : input.substr(newline + 1);
  auto parsed = kordon::central::parsePostStatusMessage(topic, payload);
  if (parsed.isOk() && parsed->last_seq) {
    kordon::central::PostStatus stored;
    stored.post = parsed->post;
    (void)kordon::central::planBackfill(stored, parsed->last_seq, 5000);
  }
  return 0;
}
