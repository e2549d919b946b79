// SPDX-License-Identifier: Apache-2.0
#pragma once

// Who may use kordon-central's API: bearer tokens, each with roles and the posts it may act on.
//
// A token is "kct_" followed by 64 hex digits (32 bytes from the CSPRNG). It is shown once, when
// `kordon-central token add` makes it; the tokens file keeps only its SHA-256, so the file is
// no secret (it still says who may do what, so it is root's, mode 0644):
//
//   [[token]]
//   name = "keden-declarations"      1..64 of [A-Za-z0-9._-], unique; audited as the caller
//   roles = ["declarant", "viewer"]  any of viewer, declarant, risk, admin
//   posts = ["KZ-KHORGOS"]           the posts it may act on; ["*"] for every post
//   sha256 = "<64 hex digits>"       of the token text
//   created = "2026-12-03T10:00:00Z"
//   expires = "2027-12-03T10:00:00Z" optional; refused from then on
//   revoked = "2026-12-10T08:00:00Z" optional; refused from then on, kept for the record
//
// What each role may do (on the token's posts; admin on every post):
//   viewer     GET /v1/events, GET /v1/posts
//   declarant  POST /v1/posts/{post}/declarations
//   risk       POST /v1/posts/{post}/policies (rule sets, risk profiles, allow and deny lists)
//   admin      everything above, and GET /v1/audit
//
// Thread-safety: an ApiTokens is a value; use it from one thread or copy it.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "edge/base/clock.hpp"
#include "edge/base/status.hpp"

namespace kordon::central {

enum class Role { kViewer, kDeclarant, kRisk, kAdmin };
const char* toString(Role role);
Result<Role> parseRole(const std::string& text);

inline constexpr const char* kTokenPrefix = "kct_";
inline constexpr const char* kAllPosts = "*";

struct ApiToken {
  std::string name;
  std::set<Role> roles;
  std::vector<std::string> posts;  // or {"*"}
  std::string sha256;
  WallMs created_ms = 0;
  std::optional<WallMs> expires_ms;
  std::optional<WallMs> revoked_ms;

  bool has(Role role) const { return roles.count(role) > 0 || roles.count(Role::kAdmin) > 0; }
  bool allPosts() const;
  bool mayActOn(const std::string& post) const;
  std::string rolesText() const;  // "declarant,viewer"
};

class ApiTokens {
 public:
  // An absent file is an empty set of tokens: nobody may use the API (but /healthz).
  static Result<ApiTokens> load(const std::string& path);
  static Result<ApiTokens> parse(const std::string& text, const std::string& source);

  // The token whose SHA-256 is that of `token`, if it is valid at `now_ms`; otherwise an error
  // that says why (unknown, expired or revoked), for the log and the 401's reason.
  Result<ApiToken> authenticate(const std::string& token, WallMs now_ms) const;

  // Makes a token and returns its text (the only time it exists in full). Errors name the bad
  // field or a name already taken.
  Result<std::string> add(const std::string& name, const std::set<Role>& roles,
                          const std::vector<std::string>& posts, WallMs now_ms,
                          std::optional<WallMs> expires_ms);
  Status revoke(const std::string& name, WallMs now_ms);
  const std::vector<ApiToken>& tokens() const { return tokens_; }

  std::string toToml() const;
  // Replaces `path` atomically (write `path`.new, fsync, rename, fsync the directory).
  Status save(const std::string& path) const;

 private:
  std::vector<ApiToken> tokens_;
};

// "Bearer <token>" -> token; "" when the header is absent or has another scheme.
std::string bearerToken(const std::string& authorization_header);

}  // namespace kordon::central
