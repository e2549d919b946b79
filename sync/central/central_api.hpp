// SPDX-License-Identifier: Apache-2.0
#pragma once

// kordon-central's API: a pure function from http::Request to http::Response over the
// CentralStore, plus an injected publish function for the downlink.
//
// Every endpoint but /healthz needs "Authorization: Bearer <token>" (sync/central/api_access.hpp
// for tokens, roles and post grants): no token, or an unknown, expired or revoked one, is a 401
// with WWW-Authenticate: Bearer; a token without the role, or not granted the post, is a 403.
// Every write, and every refused attempt at one, is appended to the audit trail with the
// caller's token name, roles and address. A command central signs carries who asked for it:
// "issued_by": {"credential": <token name>, "role": <role used>}, and "issued_at" (RFC 3339).
//
//   GET  /healthz                       {"ok":true,"mqtt_connected":..,"api":{counters},
//                                        "contract_mismatches":N} (open)
//   GET  /v1/events?post=&after=&limit=&type=&lane=&from=&to=&format=json|csv     role viewer
//        json: {"events":[<envelope as received>,...],"meta":[{"cursor":C,"chain_ok":true|false|
//              null,"sig":"verified"|"unverified"},...],"next":N}: meta[i] is what central found
//              about events[i]. Pass N as `after` to page on. With `post`, after/next are that
//              post's seq; without, central's ingest cursor (only for a token of every post).
//        csv:  RFC 4180, CRLF, header post,seq,id,type,time,lane,passage,hash,chain_ok,sig,payload;
//              the next cursor is in the X-Kordon-Next header.
//        from is inclusive, to exclusive (RFC 3339). limit 1..1000, default 100. A page stops
//        early once its body reaches kMaxResponseBytes (always at least one event).
//        `lane=` (empty) selects post-wide events. Unknown parameters are a 400.
//   GET  /v1/posts                      {"posts":[{post,highest_seq,contiguous_seq,
//                                         gaps:[[from,to],..],gaps_truncated,events,duplicates,
//                                         rejected,conflicts,chain_breaks,unacceptable,
//                                         unacceptable_seqs,last_seen,backfill:{...}},..]}
//                                       role viewer; only the posts the token is granted
//   POST /v1/posts/{post}/declarations  role declarant. body: declaration wire JSON
//        (edge/msg/declaration.hpp); validated, signed when central has a signing key, published
//        at QoS1 to kordon/v1/{post}/cmd/declarations.
//   POST /v1/posts/{post}/policies      role risk. body: policy wire JSON (edge/msg/policy.hpp:
//        rule set, risk profiles, allow or deny list); to kordon/v1/{post}/cmd/policy.
//        Both: 202 {"ok":true,"topic":..}; 400 {"error":..} when invalid; 503 when publishing
//        fails.
//   GET  /v1/audit?after=&limit=        role admin. {"audit":[{id,time,credential,roles,remote,
//                                         method,path,post,status,body_sha256,detail}],"next":N}
//   Errors are one-line JSON {"error":"..."}; unknown path 404, wrong method 405.
//
// Thread-safety: none; call handle() on the thread that owns the store (the io thread).

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "edge/base/clock.hpp"
#include "edge/base/http.hpp"
#include "edge/base/status.hpp"
#include "sync/central/api_access.hpp"
#include "sync/central/central_store.hpp"

namespace kordon::central {

// Publishes `payload` on `topic` at QoS1; an error means it was not handed to the broker.
using Publisher = std::function<Status(const std::string& topic, const std::string& payload)>;

class CentralApi {
 public:
  // broker_connected feeds /healthz; absent means "unknown" (tests of the pure handler).
  CentralApi(CentralStore& store, Publisher publish, const Clock& clock,
             std::function<bool()> broker_connected = nullptr);

  http::Response handle(const http::Request& request);
  // A handler for http::Server that forwards to handle(); the CentralApi must outlive it.
  http::Handler handler();
  // Adds fields to each post's entry in GET /v1/posts (central's backfill counters).
  using PostExtras = std::function<void(const std::string& post, nlohmann::json& entry)>;
  void setPostExtras(PostExtras extras) { post_extras_ = std::move(extras); }
  // Commands are signed with this key from now on (nullopt: sent unsigned).
  void setSigningKey(std::optional<SigningKey> key) { signing_key_ = std::move(key); }
  // The tokens in force from now on (reloaded from the tokens file by the caller).
  void setTokens(ApiTokens tokens) { tokens_ = std::move(tokens); }
  nlohmann::json countersJson() const;

 private:
  http::Response getEvents(const http::Request& request, const ApiToken& caller);
  http::Response getPosts(const ApiToken& caller);
  http::Response getAudit(const http::Request& request);
  // Validates, signs and publishes a command; `what` describes it for the audit trail.
  http::Response postCommand(const std::string& post, const http::Request& request,
                             const ApiToken& caller, Role role, std::string* what);
  void audit(const http::Request& request, const ApiToken* caller, const std::string& post,
             int status, const std::string& detail);

  CentralStore& store_;
  Publisher publish_;
  const Clock& clock_;
  std::function<bool()> broker_connected_;
  std::optional<SigningKey> signing_key_;
  ApiTokens tokens_;
  PostExtras post_extras_;
  std::uint64_t unauthenticated_ = 0;  // 401
  std::uint64_t forbidden_ = 0;        // 403
  std::uint64_t audit_errors_ = 0;     // the audit trail could not be written
};

// Builds an EventQuery from API-style parameters (also used by the CLI). Errors name the
// parameter: "after: expected a non-negative integer".
Result<EventQuery> parseEventQuery(const std::map<std::string, std::string>& params);

// RFC 4180: quoted (with "" for ") when the field holds , " CR or LF.
std::string csvField(std::string_view field);
std::string eventsCsvHeader();                  // ends with CRLF
std::string eventCsvRow(const StoredEvent& e);  // ends with CRLF

// {"error":"..."} on one line.
std::string errorJson(const std::string& message);

}  // namespace kordon::central
