// SPDX-License-Identifier: Apache-2.0
#pragma once

// kordon-central's pull API: a pure function from http::Request to http::Response over the
// CentralStore, plus an injected publish function for the downlink.
//
//   GET  /healthz                       {"ok":true}
//   GET  /v1/events?post=&after=&limit=&type=&lane=&from=&to=&format=json|csv
//        json: {"events":[<envelope as received>,...],"meta":[{"cursor":C,"chain_ok":true|false|
//              null,"sig":"verified"|"unverified"},...],"next":N}: meta[i] is what central found
//              about events[i]. Pass N as `after` to page on. With `post`, after/next are that
//              post's seq; without, central's ingest cursor.
//        csv:  RFC 4180, CRLF, header post,seq,id,type,time,lane,passage,hash,chain_ok,sig,payload;
//              the next cursor is in the X-Kordon-Next header.
//        from is inclusive, to exclusive (RFC 3339). limit 1..1000, default 100.
//        `lane=` (empty) selects post-wide events. Unknown parameters are a 400.
//   GET  /v1/posts                      {"posts":[{post,highest_seq,contiguous_seq,
//                                         gaps:[[from,to],..],gaps_truncated,events,duplicates,
//                                         rejected,conflicts,chain_breaks,last_seen,
//                                         backfill:{announced_last_seq,missing,requests,
//                                         requested_seqs,last_request}},..]}
//                                       (backfill: this instance's, since it started)
//   POST /v1/posts/{post}/declarations  body: declaration wire JSON (edge/msg/declaration.hpp);
//        validated, signed (msg::signJson) when central has a signing key, then published at
//        QoS1 to kordon/v1/{post}/cmd/declarations.
//        202 {"ok":true,"topic":..}; 400 {"error":..} when invalid; 503 when publishing fails.
//   Errors are one-line JSON {"error":"..."}; unknown path 404, wrong method 405.
//
// No authentication: listen on loopback or behind an authenticating proxy.
//
// Thread-safety: none; call handle() on the thread that owns the store (the io thread).

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "edge/base/http.hpp"
#include "edge/base/status.hpp"
#include "sync/central/central_store.hpp"

namespace kordon::central {

// Publishes `payload` on `topic` at QoS1; an error means it was not handed to the broker.
using Publisher = std::function<Status(const std::string& topic, const std::string& payload)>;

class CentralApi {
 public:
  // broker_connected feeds /healthz; absent means "unknown" (tests of the pure handler).
  CentralApi(CentralStore& store, Publisher publish,
             std::function<bool()> broker_connected = nullptr);

  http::Response handle(const http::Request& request);
  // A handler for http::Server that forwards to handle(); the CentralApi must outlive it.
  http::Handler handler();
  // Adds fields to each post's entry in GET /v1/posts (central's backfill counters).
  using PostExtras = std::function<void(const std::string& post, nlohmann::json& entry)>;
  void setPostExtras(PostExtras extras) { post_extras_ = std::move(extras); }
  // Declarations are signed with this key from now on (nullopt: sent unsigned).
  void setSigningKey(std::optional<SigningKey> key) { signing_key_ = std::move(key); }

 private:
  http::Response getEvents(const http::Request& request);
  http::Response getPosts();
  http::Response postDeclaration(const std::string& post, const http::Request& request);

  CentralStore& store_;
  Publisher publish_;
  std::function<bool()> broker_connected_;
  std::optional<SigningKey> signing_key_;
  PostExtras post_extras_;
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
