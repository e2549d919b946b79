// SPDX-License-Identifier: Apache-2.0
#pragma once

// Who may push to a device receiver (a camera's HTTP notification endpoint): its source
// allow-list first, then its credentials, both checked before the body is looked at.
//
//   scheme "none"    the allow-list alone (for cameras that cannot authenticate);
//   scheme "basic"   RFC 7617: Authorization: Basic base64(user ":" password);
//   scheme "digest"  RFC 7616 with qop=auth, algorithm MD5 (what Hikvision and Dahua speak) or
//                    SHA-256. Nonces are stateless, "<issued, steady ms in hex>.<HMAC-SHA-256 of
//                    it and the realm under a secret made at start>", and good for
//                    kNonceLifetime; after that the answer is 401 with stale=true, which clients
//                    answer with the new nonce without asking anyone. The highest nc seen is kept
//                    for each of the last kRememberedNonces nonces, so a captured request cannot
//                    be replayed.
// A refusal is 403 (the source is not allowed) or 401 with a WWW-Authenticate challenge
// (credentials missing, wrong, stale or replayed), counted in counters(); the caller logs it
// and answers with AccessDecision::response().
//
// Thread-safety: check() from one thread (the control loop); counters() from any.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "edge/base/address_filter.hpp"
#include "edge/base/clock.hpp"
#include "edge/base/http.hpp"
#include "edge/base/status.hpp"

namespace kordon::http {

enum class AuthScheme { kNone, kBasic, kDigest };
const char* toString(AuthScheme scheme);
// "none", "basic" or "digest".
Result<AuthScheme> parseAuthScheme(const std::string& text);

struct DeviceCredentials {
  AuthScheme scheme = AuthScheme::kNone;
  std::string realm = "kordon";
  std::string username;
  std::string password;
};

struct AccessCounters {
  std::atomic<std::uint64_t> allowed{0};
  std::atomic<std::uint64_t> forbidden_source{0};     // 403
  std::atomic<std::uint64_t> missing_credentials{0};  // 401, no Authorization header
  std::atomic<std::uint64_t> bad_credentials{0};      // 401, wrong user, password or form
  std::atomic<std::uint64_t> stale_nonce{0};          // 401 stale=true
  std::atomic<std::uint64_t> replayed{0};             // 401, a nonce count seen before

  nlohmann::json toJson() const;
};

struct AccessDecision {
  bool allowed = false;
  int status = 0;                              // 403 or 401 when refused
  std::string reason;                          // for the log, never for the client
  std::map<std::string, std::string> headers;  // WWW-Authenticate

  Response response() const;  // the refusal as an answer
};

inline constexpr std::chrono::seconds kNonceLifetime{300};
inline constexpr std::size_t kRememberedNonces = 256;

class DeviceAccess {
 public:
  DeviceAccess(AddressFilter allow, DeviceCredentials credentials, const Clock& clock);

  AccessDecision check(const Request& request);
  const AccessCounters& counters() const { return counters_; }
  const AddressFilter& allowList() const { return allow_; }
  AuthScheme scheme() const { return credentials_.scheme; }

 private:
  AccessDecision refuse(int status, std::atomic<std::uint64_t> AccessCounters::*counter,
                        std::string reason, bool stale = false);
  AccessDecision checkBasic(const Request& request, std::string_view credentials);
  AccessDecision checkDigest(const Request& request, std::string_view params);
  std::string challenge(bool stale) const;
  std::string newNonce() const;
  // Steady ms since the epoch of steady_clock: nonces never depend on the wall clock.
  std::int64_t nowMs() const;

  AddressFilter allow_;
  DeviceCredentials credentials_;
  const Clock& clock_;
  std::string secret_;
  std::map<std::string, std::uint32_t> nonce_counts_;  // nonce -> highest nc accepted
  std::deque<std::string> nonce_order_;                // oldest first, for eviction
  AccessCounters counters_;
};

// The name=value pairs of an Authorization header after its scheme word, e.g. for
// `Digest username="cam", nc=00000001`. Names are lower-cased; quoted values are unquoted
// (with \ escapes). Pure and fuzzable; an error names what is malformed.
Result<std::map<std::string, std::string>> parseAuthParams(std::string_view params);

}  // namespace kordon::http
