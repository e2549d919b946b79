// SPDX-License-Identifier: Apache-2.0
#pragma once

// A backfill request from central (kordon/v1/{post}/cmd/backfill, docs/CONTRACTS.md §2):
//   {"schema":"kordon.backfill/1","from":120,"to":180,"sig":"<central's signature>"}
// asks the post to publish seq from..to again from its journal, on its events topic. Central
// sends one when it sees a gap, or a tail missing behind the status's last_seq.

#include <cstdint>

#include <nlohmann/json.hpp>

#include "edge/base/status.hpp"

namespace kordon::msg {

// A post answers at most this many seqs per request; central asks again for the rest.
inline constexpr std::int64_t kMaxBackfillSeqs = 10'000;

struct BackfillRequest {
  std::int64_t from = 0;
  std::int64_t to = 0;
};

nlohmann::json toJson(const BackfillRequest& request);  // unsigned
// Checks the schema and 1 <= from <= to, to - from < kMaxBackfillSeqs. Extra keys (sig, id)
// are allowed; the signature is checked by the caller.
Result<BackfillRequest> parseBackfillRequest(const nlohmann::json& j);

}  // namespace kordon::msg
