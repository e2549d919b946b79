// SPDX-License-Identifier: Apache-2.0
#pragma once

// A small HTTP/1.1 server and client on Boost.Beast, shared by kordond (camera push receivers,
// /healthz), kordon-central (its API, over HTTPS) and the simulators (control endpoints).
//
// The server defends itself, because every listener faces the post's network:
//   - connections: at most max_connections in all and max_connections_per_source from one
//     address. A connection over the per-source bound is closed at once; at the overall bound
//     the longest-waiting connection that has not started a request is closed to make room
//     (an idle or slowloris client never locks out a camera or a health check);
//   - memory: a request's body is read only once its Content-Length (or, when chunked,
//     max_body_bytes) fits in max_inflight_body_bytes shared by every connection; otherwise the
//     answer is 503 with Retry-After and the body is never read;
//   - time: the request line and headers must arrive within header_timeout, the body within
//     read_timeout;
//   - accept errors: EMFILE, ENFILE, ENOBUFS and ENOMEM pause accepting for 100 ms, doubling to
//     1 s while they persist, instead of spinning;
//   - malformed requests are answered where HTTP still allows it: 400 (bad request line,
//     header, Content-Length or chunk), 431 (headers over max_header_bytes), 413 (body over
//     max_body_bytes), then the connection is closed.
// Every refusal is counted in ServerStats (statsJson()) and logged, at most once per kind per
// 10 s with the count since.
//
// TLS: useTls() before listen() serves HTTPS (Beast over OpenSSL) with a PEM certificate chain
// and key; TLS 1.2 or newer.
//
// Handlers: a Handler answers on the server's thread. An AsyncHandler gets a Responder it may
// call later, once, from any thread (the reply is posted back to the server's io_context); the
// connection waits without a read timeout meanwhile, so slow work (parsing a large body) can
// run off the control loop.
//
// Thread-safety: a Server runs entirely on the io_context it is given, which must be run by one
// thread; handlers are called on it, one request at a time per connection. stats() may be read
// from any thread. request() is a blocking call with its own io_context, safe from any thread.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "edge/base/status.hpp"

namespace kordon::http {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // the request-target as sent ("/anpr/L1?x=1"), for HTTP Digest's uri
  std::string path;    // target without the query string, percent-decoded
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string remote;          // "127.0.0.1:54321"
  std::string remote_address;  // "127.0.0.1" (IPv4-mapped IPv6 addresses as IPv4)
  bool tls = false;            // arrived over HTTPS

  std::string header(const std::string& lower_name) const;
  std::string param(const std::string& name, const std::string& fallback = "") const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;  // client side: lower-case names

  static Response json(int status, const std::string& body);
  static Response text(int status, const std::string& body);
  std::string header(const std::string& lower_name) const;
};

using Handler = std::function<Response(const Request&)>;
// Call once, from any thread. Dropping it unanswered closes the connection.
using Responder = std::function<void(Response)>;
using AsyncHandler = std::function<void(Request, Responder)>;

struct ServerLimits {
  std::size_t max_body_bytes = 8 * 1024 * 1024;  // an ISAPI push with two JPEGs fits easily
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_inflight_body_bytes = 64 * 1024 * 1024;
  std::size_t max_connections = 512;
  std::size_t max_connections_per_source = 64;
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds read_timeout{30'000};
};

// PEM files for HTTPS: the certificate (chain) and its private key.
struct TlsFiles {
  std::string cert_file;
  std::string key_file;
  bool enabled() const { return !cert_file.empty(); }
};

// What the server refused and why; counted since start.
struct ServerStats {
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> connections_open{0};
  std::atomic<std::uint64_t> refused_per_source{0};  // over max_connections_per_source
  std::atomic<std::uint64_t> evicted_idle{0};        // closed to make room at max_connections
  std::atomic<std::uint64_t> refused_full{0};        // at max_connections with nothing idle
  std::atomic<std::uint64_t> accept_errors{0};       // EMFILE and the like
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> bad_requests{0};       // 400
  std::atomic<std::uint64_t> headers_too_large{0};  // 431
  std::atomic<std::uint64_t> bodies_too_large{0};   // 413
  std::atomic<std::uint64_t> busy{0};               // 503: body memory budget exhausted
  std::atomic<std::uint64_t> timeouts{0};           // header or body not received in time
  std::atomic<std::uint64_t> tls_failures{0};       // handshake failed
  std::atomic<std::uint64_t> handler_errors{0};     // a handler threw: 500
  std::atomic<std::uint64_t> inflight_body_bytes{0};

  nlohmann::json toJson() const;
};

// Raises this process's soft limit on open files to its hard limit (the units set the hard one
// with LimitNOFILE) and returns the soft limit now in force. A server's own connection bounds
// then stay far below it, so accept never fails for want of a descriptor the journal needs.
std::uint64_t raiseOpenFileLimit();

class Server {
 public:
  Server(boost::asio::io_context& io, Handler handler, ServerLimits limits = {});
  Server(boost::asio::io_context& io, AsyncHandler handler, ServerLimits limits = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Serve HTTPS with these files; call before listen(). An error names the file.
  [[nodiscard]] Status useTls(const TlsFiles& files);
  // Binds and starts accepting. Port 0 picks a free port; the bound port is returned.
  Result<std::uint16_t> listen(const std::string& host, std::uint16_t port);
  void stop();
  const ServerStats& stats() const;
  nlohmann::json statsJson() const { return stats().toJson(); }

  struct Impl;  // public only so that http.cpp's connection classes can name it

 private:
  std::shared_ptr<Impl> impl_;
};

// Options of a client request.
struct ClientOptions {
  std::map<std::string, std::string> headers;  // extra request headers, e.g. Authorization
  // https:// only: the CA bundle (PEM) that must have signed the server's certificate; "" uses
  // the system's store. The server's name is checked against the certificate.
  std::string ca_file;
  std::chrono::milliseconds timeout{5000};
  std::size_t max_body_bytes = 64 * 1024 * 1024;
};

// Blocking request to "http://host:port/path?query" or "https://...". Any HTTP status is a
// successful result; only transport failures (refused, timeout, TLS, malformed reply) are
// errors.
Result<Response> request(const std::string& method, const std::string& url, const std::string& body,
                         const std::string& content_type, const ClientOptions& options);
Result<Response> request(const std::string& method, const std::string& url,
                         const std::string& body = "",
                         const std::string& content_type = "application/json",
                         std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

std::string percentDecode(const std::string& text);
std::string percentEncode(const std::string& text);
// Splits "host:port"; false when malformed.
bool splitHostPort(const std::string& text, std::string* host, std::uint16_t* port);
// True for 127.0.0.0/8, ::1 and "localhost": a listener there is reachable from the box only.
bool isLoopbackHost(const std::string& host);

}  // namespace kordon::http
