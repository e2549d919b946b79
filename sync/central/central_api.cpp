// SPDX-License-Identifier: Apache-2.0
#include "sync/central/central_api.hpp"

#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "edge/base/crypto.hpp"
#include "edge/base/log.hpp"
#include "edge/msg/declaration.hpp"
#include "edge/msg/policy.hpp"
#include "edge/msg/signed_json.hpp"
#include "edge/msg/topics.hpp"

namespace kordon::central {
namespace {

using nlohmann::json;

std::string dumpJson(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

http::Response jsonError(int status, const std::string& message) {
  return http::Response::json(status, errorJson(message));
}

http::Response methodNotAllowed(const std::string& allow) {
  http::Response r = jsonError(405, "method not allowed; use " + allow);
  r.headers["Allow"] = allow;
  return r;
}

bool parseNonNegative(const std::string& text, std::int64_t* out) {
  if (text.empty() || text.size() > 19) return false;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    const std::int64_t digit = c - '0';
    if (value > (std::numeric_limits<std::int64_t>::max() - digit) / 10) return false;
    value = value * 10 + digit;
  }
  *out = value;
  return true;
}

}  // namespace

std::string errorJson(const std::string& message) { return dumpJson(json{{"error", message}}); }

std::string csvField(std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string eventsCsvHeader() {
  return "post,seq,id,type,time,lane,passage,hash,chain_ok,sig,payload\r\n";
}

std::string eventCsvRow(const StoredEvent& e) {
  std::string payload;
  const json envelope = json::parse(e.envelope, nullptr, /*allow_exceptions=*/false);
  if (envelope.is_object()) {
    auto it = envelope.find("payload");
    if (it != envelope.end()) payload = dumpJson(*it);
  }
  const char* chain = !e.chain_ok ? "" : (*e.chain_ok ? "true" : "false");
  std::string row;
  for (const std::string& field :
       {e.post, std::to_string(e.seq), e.id, e.type, formatUtcMs(e.time_ms), e.lane, e.passage,
        e.hash, std::string(chain), e.sig_status}) {
    row += csvField(field);
    row += ',';
  }
  row += csvField(payload);
  row += "\r\n";
  return row;
}

Result<EventQuery> parseEventQuery(const std::map<std::string, std::string>& params) {
  static const std::set<std::string> kKnown = {"post", "after", "limit", "type",
                                               "lane", "from",  "to",    "format"};
  for (const auto& [key, value] : params) {
    if (!kKnown.count(key)) {
      return Status::error("unknown parameter \"" + key.substr(0, 64) +
                           "\"; expected post, after, limit, type, lane, from, to or format");
    }
  }
  EventQuery q;
  if (auto it = params.find("post"); it != params.end()) {
    if (!isValidPostId(it->second)) {
      return Status::error("post: expected 1..64 characters of [A-Za-z0-9._-]");
    }
    q.post = it->second;
  }
  if (auto it = params.find("after"); it != params.end()) {
    if (!parseNonNegative(it->second, &q.after)) {
      return Status::error("after: expected a non-negative integer");
    }
  }
  if (auto it = params.find("limit"); it != params.end()) {
    std::int64_t limit = 0;
    if (!parseNonNegative(it->second, &limit) || limit < 1 || limit > kMaxQueryLimit) {
      return Status::error("limit: expected an integer in 1.." + std::to_string(kMaxQueryLimit));
    }
    q.limit = static_cast<int>(limit);
  }
  if (auto it = params.find("type"); it != params.end()) {
    if (it->second.empty()) return Status::error("type: expected an event type");
    q.type = it->second;
  }
  if (auto it = params.find("lane"); it != params.end()) q.lane = it->second;
  for (const auto& [key, out] : {std::pair{"from", &q.from_ms}, std::pair{"to", &q.to_ms}}) {
    if (auto it = params.find(key); it != params.end()) {
      WallMs t = 0;
      if (!parseUtcMs(it->second, &t)) {
        return Status::error(std::string(key) +
                             ": expected an RFC 3339 time such as 2026-11-21T10:25:00Z");
      }
      *out = t;
    }
  }
  if (auto it = params.find("format"); it != params.end()) {
    if (it->second != "json" && it->second != "csv") {
      return Status::error("format: expected json or csv");
    }
  }
  return q;
}

CentralApi::CentralApi(CentralStore& store, Publisher publish, const Clock& clock,
                       std::function<bool()> broker_connected)
    : store_(store),
      publish_(std::move(publish)),
      clock_(clock),
      broker_connected_(std::move(broker_connected)) {}

http::Handler CentralApi::handler() {
  return [this](const http::Request& request) { return handle(request); };
}

nlohmann::json CentralApi::countersJson() const {
  return {{"unauthenticated", unauthenticated_},
          {"forbidden", forbidden_},
          {"audit_errors", audit_errors_},
          {"tokens", tokens_.tokens().size()}};
}

void CentralApi::audit(const http::Request& request, const ApiToken* caller,
                       const std::string& post, int status, const std::string& detail) {
  AuditRecord record;
  record.time_ms = clock_.nowWallMs();
  if (caller != nullptr) {
    record.credential = caller->name;
    record.roles = caller->rolesText();
  }
  record.remote = request.remote;
  record.method = request.method.substr(0, 16);
  record.path = request.path.substr(0, 256);
  record.post = post;
  record.status = status;
  record.body_sha256 = sha256Hex(request.body);
  record.detail = detail.substr(0, 512);
  if (Status s = store_.recordAudit(record); !s) {
    ++audit_errors_;
    log::error("api audit record not written", {{"error", s.message()}});
  }
}

http::Response CentralApi::handle(const http::Request& request) {
  const std::string& path = request.path;
  if (path == "/healthz") {
    if (request.method != "GET") return methodNotAllowed("GET");
    nlohmann::json health = {{"ok", true},
                             {"api", countersJson()},
                             {"contract_mismatches", store_.contractMismatches()}};
    if (broker_connected_) health["mqtt_connected"] = broker_connected_();
    return http::Response::json(200, health.dump());
  }

  // Which post a write names, for the audit trail and the grant check.
  static const std::string kPostsPrefix = "/v1/posts/";
  std::string post;
  std::string command;  // "declarations" | "policies"
  if (path.compare(0, kPostsPrefix.size(), kPostsPrefix) == 0) {
    const std::string rest = path.substr(kPostsPrefix.size());
    const auto slash = rest.find('/');
    if (slash != std::string::npos && rest.find('/', slash + 1) == std::string::npos) {
      post = rest.substr(0, slash);
      command = rest.substr(slash + 1);
    }
  }
  const bool is_command = command == "declarations" || command == "policies";
  const bool is_write = request.method != "GET" && request.method != "HEAD";

  auto caller =
      tokens_.authenticate(bearerToken(request.header("authorization")), clock_.nowWallMs());
  if (!caller) {
    ++unauthenticated_;
    log::warn("api request refused: unauthenticated", {{"remote", request.remote},
                                                       {"method", request.method.substr(0, 16)},
                                                       {"path", path.substr(0, 128)},
                                                       {"reason", caller.status().message()}});
    if (is_write)
      audit(request, nullptr, isValidPostId(post) ? post : "", 401, caller.status().message());
    http::Response r = jsonError(401, "unauthorized: " + caller.status().message());
    r.headers["WWW-Authenticate"] = "Bearer realm=\"kordon-central\"";
    return r;
  }
  auto forbid = [&](const std::string& reason, const std::string& audit_post) {
    ++forbidden_;
    log::warn("api request refused: forbidden", {{"remote", request.remote},
                                                 {"credential", caller->name},
                                                 {"path", path.substr(0, 128)},
                                                 {"reason", reason}});
    if (is_write) audit(request, &*caller, audit_post, 403, reason);
    return jsonError(403, "forbidden: " + reason);
  };

  if (path == "/v1/events") {
    if (request.method != "GET") return methodNotAllowed("GET");
    if (!caller->has(Role::kViewer))
      return forbid("token \"" + caller->name + "\" is no viewer", "");
    return getEvents(request, *caller);
  }
  if (path == "/v1/posts") {
    if (request.method != "GET") return methodNotAllowed("GET");
    if (!caller->has(Role::kViewer))
      return forbid("token \"" + caller->name + "\" is no viewer", "");
    return getPosts(*caller);
  }
  if (path == "/v1/audit") {
    if (request.method != "GET") return methodNotAllowed("GET");
    if (!caller->has(Role::kAdmin)) return forbid("the audit trail is for admin tokens", "");
    return getAudit(request);
  }
  if (is_command) {
    if (request.method != "POST") return methodNotAllowed("POST");
    if (!isValidPostId(post)) {
      audit(request, &*caller, "", 400, "bad post id");
      return jsonError(400, "post: expected 1..64 characters of [A-Za-z0-9._-]");
    }
    const Role role = command == "declarations" ? Role::kDeclarant : Role::kRisk;
    if (!caller->has(role)) {
      return forbid("token \"" + caller->name + "\" has no " + toString(role) + " role", post);
    }
    if (!caller->mayActOn(post)) {
      return forbid("token \"" + caller->name + "\" is not granted post " + post, post);
    }
    std::string what;
    http::Response response = postCommand(post, request, *caller, role, &what);
    audit(request, &*caller, post, response.status, what);
    return response;
  }
  return jsonError(404, "no such resource: " + path.substr(0, 128));
}

http::Response CentralApi::getEvents(const http::Request& request, const ApiToken& caller) {
  auto query = parseEventQuery(request.query);
  if (!query) return jsonError(400, query.status().message());
  if (query->post ? !caller.mayActOn(*query->post) : !caller.allPosts()) {
    ++forbidden_;
    std::string granted;
    for (const auto& p : caller.posts) granted += (granted.empty() ? "" : ", ") + p;
    return jsonError(403, query->post ? "forbidden: token \"" + caller.name +
                                            "\" is not granted post " + *query->post
                                      : "forbidden: post= is required; token \"" + caller.name +
                                            "\" may read only " + granted);
  }
  const bool csv = request.param("format", "json") == "csv";
  auto events = store_.eventsAfter(*query);
  if (!events) return jsonError(500, events.status().message());
  // A page ends early rather than grow past kMaxResponseBytes; `next` says where it ended.
  std::size_t count = 0;
  std::size_t bytes = 0;
  for (const auto& e : *events) {
    if (count > 0 && bytes + e.envelope.size() > kMaxResponseBytes) break;
    bytes += e.envelope.size();
    ++count;
  }
  events->resize(count);
  std::int64_t next = query->after;
  if (!events->empty()) next = query->post ? events->back().seq : events->back().cursor;
  if (csv) {
    http::Response r;
    r.status = 200;
    r.content_type = "text/csv; charset=utf-8";
    r.headers["X-Kordon-Next"] = std::to_string(next);
    r.body = eventsCsvHeader();
    for (const auto& e : *events) r.body += eventCsvRow(e);
    return r;
  }
  // Envelopes were validated as JSON objects at ingest, so they are spliced in as received;
  // what central found about each goes in "meta", index for index.
  std::string body = R"({"events":[)";
  json meta = json::array();
  bool first = true;
  for (const auto& e : *events) {
    if (!first) body += ',';
    first = false;
    body += e.envelope;
    meta.push_back(json{{"cursor", e.cursor},
                        {"chain_ok", e.chain_ok ? json(*e.chain_ok) : json()},
                        {"sig", e.sig_status}});
  }
  body += R"(],"meta":)" + dumpJson(meta) + R"(,"next":)" + std::to_string(next) + "}";
  return http::Response::json(200, body);
}

http::Response CentralApi::getPosts(const ApiToken& caller) {
  auto posts = store_.postStatus();
  if (!posts) return jsonError(500, posts.status().message());
  json list = json::array();
  for (const auto& p : *posts) {
    if (!caller.mayActOn(p.post)) continue;
    json gaps = json::array();
    for (const auto& [from, to] : p.gaps) gaps.push_back(json::array({from, to}));
    list.push_back(json{
        {"post", p.post},
        {"highest_seq", p.highest_seq},
        {"contiguous_seq", p.contiguous_seq},
        {"gaps", gaps},
        {"gaps_truncated", p.gaps_truncated},
        {"events", p.events},
        {"duplicates", p.duplicates},
        {"rejected", p.rejected},
        {"conflicts", p.conflicts},
        {"chain_breaks", p.chain_breaks},
        {"unacceptable", p.unacceptable},
        {"unacceptable_seqs", p.unacceptable_seqs},
        {"last_seen", p.last_seen_ms > 0 ? json(formatUtcMs(p.last_seen_ms)) : json()},
    });
    if (post_extras_) post_extras_(p.post, list.back());
  }
  return http::Response::json(200, dumpJson(json{{"posts", list}}));
}

http::Response CentralApi::getAudit(const http::Request& request) {
  std::int64_t after = 0;
  std::int64_t limit = kDefaultQueryLimit;
  for (const auto& [key, value] : request.query) {
    if (key == "after") {
      if (!parseNonNegative(value, &after)) {
        return jsonError(400, "after: expected a non-negative integer");
      }
    } else if (key == "limit") {
      if (!parseNonNegative(value, &limit) || limit < 1 || limit > kMaxQueryLimit) {
        return jsonError(400, "limit: expected an integer in 1.." + std::to_string(kMaxQueryLimit));
      }
    } else {
      return jsonError(400,
                       "unknown parameter \"" + key.substr(0, 64) + "\"; expected after or limit");
    }
  }
  auto records = store_.auditAfter(after, static_cast<int>(limit));
  if (!records) return jsonError(500, records.status().message());
  json list = json::array();
  for (const auto& a : *records) {
    list.push_back({{"id", a.id},
                    {"time", formatUtcMs(a.time_ms)},
                    {"credential", a.credential},
                    {"roles", a.roles},
                    {"remote", a.remote},
                    {"method", a.method},
                    {"path", a.path},
                    {"post", a.post},
                    {"status", a.status},
                    {"body_sha256", a.body_sha256},
                    {"detail", a.detail}});
  }
  const std::int64_t next = records->empty() ? after : records->back().id;
  return http::Response::json(200, dumpJson(json{{"audit", list}, {"next", next}}));
}

http::Response CentralApi::postCommand(const std::string& post, const http::Request& request,
                                       const ApiToken& caller, Role role, std::string* what) {
  const json wire = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  const char* noun = role == Role::kDeclarant ? "declaration" : "policy";
  if (wire.is_discarded() || !wire.is_object()) {
    *what = "body is not a JSON object";
    return jsonError(400, std::string("body: expected a ") + noun + " as a JSON object");
  }
  std::string topic;
  if (role == Role::kDeclarant) {
    auto parsed = msg::parseDeclaration(wire);
    if (!parsed) {
      *what = parsed.status().message();
      return jsonError(400, parsed.status().message());
    }
    *what = std::string(parsed->cancelled ? "cancel " : "") + "declaration " + parsed->id + " v" +
            std::to_string(parsed->version);
    topic = msg::commandTopic(post, msg::kDeclarationsCommand);
  } else {
    auto parsed = msg::parsePolicy(wire);
    if (!parsed) {
      *what = parsed.status().message();
      return jsonError(400, parsed.status().message());
    }
    *what = std::string("policy ") + msg::toString(parsed->kind) + " v" +
            std::to_string(parsed->version);
    topic = msg::commandTopic(post, msg::kPolicyCommand);
  }
  if (!publish_) return jsonError(503, "mqtt: no publisher");
  json command = wire;
  command["issued_by"] = {{"credential", caller.name}, {"role", toString(role)}};
  command["issued_at"] = formatUtcMs(clock_.nowWallMs());
  if (signing_key_) msg::signJson(command, *signing_key_);
  if (Status s = publish_(topic, dumpJson(command)); !s) return jsonError(503, s.message());
  log::info("command accepted", {{"credential", caller.name},
                                 {"role", toString(role)},
                                 {"post", post},
                                 {"what", *what},
                                 {"remote", request.remote}});
  return http::Response::json(202, dumpJson(json{{"ok", true}, {"topic", topic}}));
}

}  // namespace kordon::central
