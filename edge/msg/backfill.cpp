// SPDX-License-Identifier: Apache-2.0
#include "edge/msg/backfill.hpp"

#include <string>

#include "edge/msg/topics.hpp"

namespace kordon::msg {

nlohmann::json toJson(const BackfillRequest& request) {
  return {{"schema", kBackfillSchema}, {"from", request.from}, {"to", request.to}};
}

Result<BackfillRequest> parseBackfillRequest(const nlohmann::json& j) {
  if (!j.is_object()) return Status::error("backfill: expected a JSON object");
  const auto schema = j.find("schema");
  if (schema == j.end() || !schema->is_string() || *schema != kBackfillSchema) {
    return Status::error(std::string("schema: expected \"") + kBackfillSchema + "\"");
  }
  BackfillRequest r;
  for (auto [key, out] : {std::pair{"from", &r.from}, std::pair{"to", &r.to}}) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer() || it->get<std::int64_t>() < 1) {
      return Status::error(std::string(key) + ": required integer >= 1");
    }
    *out = it->get<std::int64_t>();
  }
  if (r.to < r.from) return Status::error("to: must not be below from");
  if (r.to - r.from >= kMaxBackfillSeqs) {
    return Status::error("to: at most " + std::to_string(kMaxBackfillSeqs) + " seqs per request");
  }
  return r;
}

}  // namespace kordon::msg
