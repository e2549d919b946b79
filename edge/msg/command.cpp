// SPDX-License-Identifier: Apache-2.0
#include "edge/msg/command.hpp"

#include "edge/base/clock.hpp"

namespace kordon::msg {
namespace {

bool isSafeName(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<std::optional<CommandOrigin>> parseCommandOrigin(const nlohmann::json& command) {
  if (!command.is_object()) return std::optional<CommandOrigin>();
  const auto by = command.find("issued_by");
  const auto at = command.find("issued_at");
  if (by == command.end() && at == command.end()) return std::optional<CommandOrigin>();
  if (by == command.end() || !by->is_object()) {
    return Status::error("issued_by: expected {\"credential\":..,\"role\":..}");
  }
  CommandOrigin origin;
  const auto credential = by->find("credential");
  if (credential == by->end() || !credential->is_string() ||
      !isSafeName(credential->get<std::string>())) {
    return Status::error("issued_by.credential: expected 1..64 of [A-Za-z0-9._-]");
  }
  origin.credential = credential->get<std::string>();
  const auto role = by->find("role");
  if (role == by->end() || !role->is_string() ||
      (*role != "declarant" && *role != "risk" && *role != "admin")) {
    return Status::error("issued_by.role: expected declarant, risk or admin");
  }
  origin.role = role->get<std::string>();
  WallMs t = 0;
  if (at == command.end() || !at->is_string() || !parseUtcMs(at->get<std::string>(), &t)) {
    return Status::error("issued_at: expected an RFC 3339 time");
  }
  origin.issued_at = at->get<std::string>();
  return std::optional<CommandOrigin>(std::move(origin));
}

Status checkVersionStep(std::int64_t version, std::optional<std::int64_t> stored) {
  const std::int64_t base = stored.value_or(0);
  if (version > base + kMaxVersionStep) {
    return Status::error(
        "version " + std::to_string(version) + " jumps more than " +
        std::to_string(kMaxVersionStep) + " above " +
        (stored ? "the version held, " + std::to_string(*stored) : std::string("0 (none held)")));
  }
  return Status::ok();
}

}  // namespace kordon::msg
