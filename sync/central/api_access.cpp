// SPDX-License-Identifier: Apache-2.0
#include "sync/central/api_access.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "edge/base/config_reader.hpp"
#include "edge/base/crypto.hpp"
#include "sync/central/central_store.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace kordon::central {
namespace {

bool isHex64(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

Status validatePosts(const std::vector<std::string>& posts) {
  if (posts.empty()) return Status::error("posts: expected at least one post, or \"*\"");
  for (const auto& p : posts) {
    if (p != kAllPosts && !isValidPostId(p)) {
      return Status::error("posts: \"" + p.substr(0, 64) +
                           "\" is not a post id (1..64 of [A-Za-z0-9._-]) or \"*\"");
    }
  }
  return Status::ok();
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }  // restricted charsets only

Status fsyncPath(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Status::error(path + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Status::error("fsync " + path + ": " + std::strerror(err));
  return Status::ok();
}

}  // namespace

const char* toString(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kDeclarant:
      return "declarant";
    case Role::kRisk:
      return "risk";
    case Role::kAdmin:
      return "admin";
  }
  return "viewer";
}

Result<Role> parseRole(const std::string& text) {
  for (Role r : {Role::kViewer, Role::kDeclarant, Role::kRisk, Role::kAdmin}) {
    if (text == toString(r)) return r;
  }
  return Status::error("role \"" + text.substr(0, 32) +
                       "\": expected viewer, declarant, risk or admin");
}

bool ApiToken::allPosts() const {
  return roles.count(Role::kAdmin) > 0 ||
         std::find(posts.begin(), posts.end(), kAllPosts) != posts.end();
}

bool ApiToken::mayActOn(const std::string& post) const {
  return allPosts() || std::find(posts.begin(), posts.end(), post) != posts.end();
}

std::string ApiToken::rolesText() const {
  std::string out;
  for (Role r : roles) out += (out.empty() ? "" : ",") + std::string(toString(r));
  return out;
}

std::string bearerToken(const std::string& header) {
  if (header.size() < 7) return "";
  std::string scheme = header.substr(0, 7);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "bearer ") return "";
  std::string token = header.substr(7);
  while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.erase(0, 1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.pop_back();
  return token;
}

Result<ApiTokens> ApiTokens::load(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return ApiTokens();
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::error(path + ": cannot open the tokens file");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse(text, path);
}

Result<ApiTokens> ApiTokens::parse(const std::string& text, const std::string& source) {
  auto reader = ConfigReader::fromString(text, source);
  if (!reader) return reader.status();
  ConfigReader& r = *reader;
  ApiTokens out;
  std::set<std::string> names;
  const std::size_t count = r.arraySize("token");
  for (std::size_t i = 0; i < count; ++i) {
    const std::string at = "token[" + std::to_string(i) + "].";
    ApiToken t;
    t.name = r.getString(at + "name", "");
    if (!isValidPostId(t.name)) r.fail(at + "name", "expected 1..64 of [A-Za-z0-9._-]");
    if (!names.insert(t.name).second) r.fail(at + "name", "\"" + t.name + "\" given twice");
    for (const auto& role : r.getStringArray(at + "roles", {})) {
      auto parsed = parseRole(role);
      if (!parsed) {
        r.fail(at + "roles", parsed.status().message());
      } else {
        t.roles.insert(*parsed);
      }
    }
    if (t.roles.empty()) r.fail(at + "roles", "expected at least one role");
    t.posts = r.getStringArray(at + "posts", {});
    if (Status s = validatePosts(t.posts); !s) r.fail(at + "posts", s.message());
    t.sha256 = r.getString(at + "sha256", "");
    if (!isHex64(t.sha256)) r.fail(at + "sha256", "expected 64 lower-case hex digits");
    const std::string created = r.getString(at + "created", "");
    if (!created.empty() && !parseUtcMs(created, &t.created_ms)) {
      r.fail(at + "created", "expected an RFC 3339 time");
    }
    for (auto [key, out_ms] :
         {std::pair{"expires", &t.expires_ms}, std::pair{"revoked", &t.revoked_ms}}) {
      const std::string v = r.getString(at + key, "");
      if (v.empty()) continue;
      WallMs ms = 0;
      if (!parseUtcMs(v, &ms)) {
        r.fail(at + key, "expected an RFC 3339 time");
      } else {
        *out_ms = ms;
      }
    }
    out.tokens_.push_back(std::move(t));
  }
  if (Status s = r.finish(); !s) return s;
  return out;
}

Result<ApiToken> ApiTokens::authenticate(const std::string& token, WallMs now_ms) const {
  if (token.empty()) return Status::error("no bearer token");
  const std::string hash = sha256Hex(token);
  for (const ApiToken& t : tokens_) {
    if (!constantTimeEquals(t.sha256, hash)) continue;
    if (t.revoked_ms && now_ms >= *t.revoked_ms) {
      return Status::error("token \"" + t.name + "\" was revoked at " + formatUtcMs(*t.revoked_ms));
    }
    if (t.expires_ms && now_ms >= *t.expires_ms) {
      return Status::error("token \"" + t.name + "\" expired at " + formatUtcMs(*t.expires_ms));
    }
    return t;
  }
  return Status::error("unknown token");
}

Result<std::string> ApiTokens::add(const std::string& name, const std::set<Role>& roles,
                                   const std::vector<std::string>& posts, WallMs now_ms,
                                   std::optional<WallMs> expires_ms) {
  if (!isValidPostId(name)) return Status::error("name: expected 1..64 of [A-Za-z0-9._-]");
  for (const ApiToken& t : tokens_) {
    if (t.name == name) return Status::error("name: \"" + name + "\" is taken");
  }
  if (roles.empty()) return Status::error("roles: expected at least one role");
  if (Status s = validatePosts(posts); !s) return s;
  if (expires_ms && *expires_ms <= now_ms) return Status::error("expires: already in the past");
  const std::string token = kTokenPrefix + randomHex(32);
  ApiToken t;
  t.name = name;
  t.roles = roles;
  t.posts = posts;
  t.sha256 = sha256Hex(token);
  t.created_ms = now_ms;
  t.expires_ms = expires_ms;
  tokens_.push_back(std::move(t));
  return token;
}

Status ApiTokens::revoke(const std::string& name, WallMs now_ms) {
  for (ApiToken& t : tokens_) {
    if (t.name != name) continue;
    if (!t.revoked_ms) t.revoked_ms = now_ms;
    return Status::ok();
  }
  return Status::error("no token named \"" + name.substr(0, 64) + "\"");
}

std::string ApiTokens::toToml() const {
  std::string out =
      "# kordon-central API tokens (sync/central/api_access.hpp). Written by `kordon-central\n"
      "# token add|revoke`; it holds each token's SHA-256, never the token itself.\n";
  for (const ApiToken& t : tokens_) {
    out += "\n[[token]]\nname = " + quoted(t.name) + "\nroles = [";
    bool first = true;
    for (Role r : t.roles) {
      out += std::string(first ? "" : ", ") + quoted(toString(r));
      first = false;
    }
    out += "]\nposts = [";
    first = true;
    for (const auto& p : t.posts) {
      out += std::string(first ? "" : ", ") + quoted(p);
      first = false;
    }
    out += "]\nsha256 = " + quoted(t.sha256) + "\n";
    if (t.created_ms) out += "created = " + quoted(formatUtcMs(t.created_ms)) + "\n";
    if (t.expires_ms) out += "expires = " + quoted(formatUtcMs(*t.expires_ms)) + "\n";
    if (t.revoked_ms) out += "revoked = " + quoted(formatUtcMs(*t.revoked_ms)) + "\n";
  }
  return out;
}

Status ApiTokens::save(const std::string& path) const {
  const std::string temp = path + ".new";
  ::unlink(temp.c_str());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << toToml();
    out.flush();
    if (!out) return Status::error(temp + ": cannot write");
  }
  if (Status s = fsyncPath(temp, O_RDONLY); !s) return s;
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    return Status::error("rename " + temp + " -> " + path + ": " + std::strerror(errno));
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  return fsyncPath(dir, O_RDONLY | O_DIRECTORY);
}

}  // namespace kordon::central
