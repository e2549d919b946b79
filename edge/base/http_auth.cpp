// SPDX-License-Identifier: Apache-2.0
#include "edge/base/http_auth.hpp"

#include <algorithm>
#include <cctype>

#include "edge/base/crypto.hpp"

namespace kordon::http {
namespace {

constexpr std::size_t kMaxAuthorizationBytes = 4096;
constexpr std::size_t kMaxParams = 32;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool isTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string_view trimLeft(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

// Splits "Scheme rest" of an Authorization header.
void splitScheme(std::string_view header, std::string* scheme, std::string_view* rest) {
  header = trimLeft(header);
  const auto space = header.find_first_of(" \t");
  *scheme = lower(header.substr(0, space));
  *rest = space == std::string_view::npos ? std::string_view() : trimLeft(header.substr(space));
}

std::string quote(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

const char* toString(AuthScheme scheme) {
  switch (scheme) {
    case AuthScheme::kNone:
      return "none";
    case AuthScheme::kBasic:
      return "basic";
    case AuthScheme::kDigest:
      return "digest";
  }
  return "none";
}

Result<AuthScheme> parseAuthScheme(const std::string& text) {
  if (text == "none") return AuthScheme::kNone;
  if (text == "basic") return AuthScheme::kBasic;
  if (text == "digest") return AuthScheme::kDigest;
  return Status::error("expected none, basic or digest");
}

nlohmann::json AccessCounters::toJson() const {
  return {{"allowed", allowed.load()},
          {"forbidden_source", forbidden_source.load()},
          {"missing_credentials", missing_credentials.load()},
          {"bad_credentials", bad_credentials.load()},
          {"stale_nonce", stale_nonce.load()},
          {"replayed", replayed.load()}};
}

Response AccessDecision::response() const {
  Response r = Response::text(
      status, status == 403 ? "forbidden: this source may not push here\n" : "unauthorized\n");
  r.headers = headers;
  return r;
}

Result<std::map<std::string, std::string>> parseAuthParams(std::string_view s) {
  std::map<std::string, std::string> out;
  if (s.size() > kMaxAuthorizationBytes) return Status::error("authorization: too long");
  for (;;) {
    s = trimLeft(s);
    while (!s.empty() && s.front() == ',') s = trimLeft(s.substr(1));
    if (s.empty()) break;
    std::size_t n = 0;
    while (n < s.size() && isTokenChar(s[n])) ++n;
    if (n == 0) return Status::error("authorization: expected a parameter name");
    std::string name = lower(s.substr(0, n));
    s = trimLeft(s.substr(n));
    if (s.empty() || s.front() != '=') {
      return Status::error("authorization: expected '=' after \"" + name.substr(0, 32) + "\"");
    }
    s = trimLeft(s.substr(1));
    std::string value;
    if (!s.empty() && s.front() == '"') {
      s.remove_prefix(1);
      bool closed = false;
      while (!s.empty()) {
        char c = s.front();
        s.remove_prefix(1);
        if (c == '\\') {
          if (s.empty()) break;
          c = s.front();
          s.remove_prefix(1);
        } else if (c == '"') {
          closed = true;
          break;
        }
        value += c;
      }
      if (!closed) return Status::error("authorization: unterminated quoted value");
    } else {
      std::size_t m = 0;
      while (m < s.size() && isTokenChar(s[m])) ++m;
      value = std::string(s.substr(0, m));
      s.remove_prefix(m);
    }
    if (!out.emplace(name, std::move(value)).second) {
      return Status::error("authorization: \"" + name.substr(0, 32) + "\" given twice");
    }
    if (out.size() > kMaxParams) return Status::error("authorization: too many parameters");
    s = trimLeft(s);
    if (!s.empty() && s.front() != ',') {
      return Status::error("authorization: expected ',' between parameters");
    }
  }
  return out;
}

DeviceAccess::DeviceAccess(AddressFilter allow, DeviceCredentials credentials, const Clock& clock)
    : allow_(std::move(allow)),
      credentials_(std::move(credentials)),
      clock_(clock),
      secret_(randomHex(32)) {}

std::int64_t DeviceAccess::nowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             clock_.nowSteady().time_since_epoch())
      .count();
}

std::string DeviceAccess::newNonce() const {
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%llx", static_cast<unsigned long long>(nowMs()));
  return std::string(stamp) + "." +
         hmacSha256Hex(secret_, std::string(stamp) + "|" + credentials_.realm);
}

std::string DeviceAccess::challenge(bool stale) const {
  if (credentials_.scheme == AuthScheme::kBasic) {
    return "Basic realm=" + quote(credentials_.realm) + ", charset=\"UTF-8\"";
  }
  std::string c = "Digest realm=" + quote(credentials_.realm) + ", qop=\"auth\", algorithm=MD5" +
                  ", nonce=" + quote(newNonce());
  if (stale) c += ", stale=true";
  return c;
}

AccessDecision DeviceAccess::refuse(int status, std::atomic<std::uint64_t> AccessCounters::*counter,
                                    std::string reason, bool stale) {
  ++(counters_.*counter);
  AccessDecision d;
  d.status = status;
  d.reason = std::move(reason);
  if (status == 401) d.headers["WWW-Authenticate"] = challenge(stale);
  return d;
}

AccessDecision DeviceAccess::check(const Request& request) {
  if (!allow_.allows(request.remote_address)) {
    return refuse(403, &AccessCounters::forbidden_source,
                  "source " + request.remote_address + " is not in allow_from");
  }
  if (credentials_.scheme != AuthScheme::kNone) {
    const std::string header = request.header("authorization");
    if (header.empty()) {
      return refuse(401, &AccessCounters::missing_credentials, "no credentials");
    }
    if (header.size() > kMaxAuthorizationBytes) {
      return refuse(401, &AccessCounters::bad_credentials, "Authorization header too long");
    }
    std::string scheme;
    std::string_view rest;
    splitScheme(header, &scheme, &rest);
    AccessDecision d;
    if (credentials_.scheme == AuthScheme::kBasic && scheme == "basic") {
      d = checkBasic(request, rest);
    } else if (credentials_.scheme == AuthScheme::kDigest && scheme == "digest") {
      d = checkDigest(request, rest);
    } else {
      return refuse(
          401, &AccessCounters::bad_credentials,
          "scheme \"" + scheme.substr(0, 16) + "\"; expected " + toString(credentials_.scheme));
    }
    if (!d.allowed) return d;
  }
  ++counters_.allowed;
  AccessDecision ok;
  ok.allowed = true;
  return ok;
}

AccessDecision DeviceAccess::checkBasic(const Request&, std::string_view credentials) {
  std::string token(credentials);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.pop_back();
  auto decoded = base64Decode(token);
  if (!decoded) return refuse(401, &AccessCounters::bad_credentials, "basic: not base64");
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) {
    return refuse(401, &AccessCounters::bad_credentials, "basic: no ':' in the credentials");
  }
  const std::string user = decoded->substr(0, colon);
  const std::string password = decoded->substr(colon + 1);
  // Both compared in full, so the time taken does not tell which one was wrong.
  const bool user_ok = constantTimeEquals(sha256Hex(user), sha256Hex(credentials_.username));
  const bool password_ok =
      constantTimeEquals(sha256Hex(password), sha256Hex(credentials_.password));
  if (!user_ok || !password_ok) {
    return refuse(401, &AccessCounters::bad_credentials,
                  "basic: wrong user name or password for user \"" + user.substr(0, 32) + "\"");
  }
  AccessDecision d;
  d.allowed = true;
  return d;
}

AccessDecision DeviceAccess::checkDigest(const Request& request, std::string_view text) {
  auto params = parseAuthParams(text);
  if (!params) return refuse(401, &AccessCounters::bad_credentials, params.status().message());
  auto get = [&](const char* name) {
    auto it = params->find(name);
    return it == params->end() ? std::string() : it->second;
  };
  const std::string username = get("username");
  const std::string nonce = get("nonce");
  const std::string uri = get("uri");
  const std::string response = lower(get("response"));
  const std::string qop = get("qop");
  const std::string nc = get("nc");
  const std::string cnonce = get("cnonce");
  std::string algorithm = get("algorithm");
  if (algorithm.empty()) algorithm = "MD5";
  if (username.empty() || nonce.empty() || uri.empty() || response.empty() || cnonce.empty()) {
    return refuse(401, &AccessCounters::bad_credentials,
                  "digest: username, nonce, uri, response and cnonce are required");
  }
  if (qop != "auth") {
    return refuse(401, &AccessCounters::bad_credentials, "digest: qop must be auth");
  }
  if (nc.size() != 8 || nc.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
    return refuse(401, &AccessCounters::bad_credentials, "digest: nc must be 8 hex digits");
  }
  if (get("realm") != credentials_.realm) {
    return refuse(401, &AccessCounters::bad_credentials, "digest: wrong realm");
  }
  if (uri != request.target) {
    return refuse(401, &AccessCounters::bad_credentials,
                  "digest: uri does not match the request target");
  }
  std::string (*hash)(std::string_view) = nullptr;
  if (algorithm == "MD5") {
    hash = &md5Hex;
  } else if (algorithm == "SHA-256") {
    hash = &sha256Hex;
  } else {
    return refuse(401, &AccessCounters::bad_credentials,
                  "digest: algorithm \"" + algorithm.substr(0, 16) + "\"; expected MD5 or SHA-256");
  }
  // The nonce must be one of ours and still fresh.
  const auto dot = nonce.find('.');
  if (dot == std::string::npos || dot == 0 || dot > 16 ||
      nonce.find_first_not_of("0123456789abcdef", 0) != dot) {
    return refuse(401, &AccessCounters::bad_credentials, "digest: not a nonce of this server");
  }
  const std::string stamp = nonce.substr(0, dot);
  if (!constantTimeEquals(nonce.substr(dot + 1),
                          hmacSha256Hex(secret_, stamp + "|" + credentials_.realm))) {
    return refuse(401, &AccessCounters::bad_credentials, "digest: not a nonce of this server");
  }
  const std::int64_t issued = static_cast<std::int64_t>(std::stoull(stamp, nullptr, 16));
  const std::int64_t age_ms = nowMs() - issued;
  if (age_ms < 0 || age_ms > std::chrono::milliseconds(kNonceLifetime).count()) {
    return refuse(401, &AccessCounters::stale_nonce, "digest: nonce expired", /*stale=*/true);
  }
  const std::string ha1 = hash(username + ":" + credentials_.realm + ":" + credentials_.password);
  const std::string ha2 = hash(request.method + ":" + uri);
  const std::string expected =
      hash(ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":" + qop + ":" + ha2);
  const bool user_ok = constantTimeEquals(sha256Hex(username), sha256Hex(credentials_.username));
  if (!constantTimeEquals(response, expected) || !user_ok) {
    return refuse(
        401, &AccessCounters::bad_credentials,
        "digest: wrong user name or password for user \"" + username.substr(0, 32) + "\"");
  }
  const auto count = static_cast<std::uint32_t>(std::stoul(nc, nullptr, 16));
  auto [it, inserted] = nonce_counts_.emplace(nonce, count);
  if (!inserted) {
    if (count <= it->second) {
      return refuse(401, &AccessCounters::replayed,
                    "digest: nonce count " + nc + " already used (replay)");
    }
    it->second = count;
  } else {
    nonce_order_.push_back(nonce);
    if (nonce_order_.size() > kRememberedNonces) {
      nonce_counts_.erase(nonce_order_.front());
      nonce_order_.pop_front();
    }
  }
  AccessDecision d;
  d.allowed = true;
  return d;
}

}  // namespace kordon::http
