// SPDX-License-Identifier: Apache-2.0
#pragma once

// A small HTTP/1.1 server and client on Boost.Beast, shared by kordond (ANPR push receiver),
// kordon-central (pull API) and the simulators (control endpoints).
//
// Thread-safety: HttpServer runs entirely on the io_context it is given; the handler is called
// on that context's thread, one request at a time per connection. httpRequest() is a blocking
// call with its own io_context, safe from any thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "edge/base/status.hpp"

namespace kordon::http {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // target without the query string, percent-decoded
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string remote;  // "127.0.0.1:54321"

  std::string header(const std::string& lower_name) const;
  std::string param(const std::string& name, const std::string& fallback = "") const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;

  static Response json(int status, const std::string& body);
  static Response text(int status, const std::string& body);
};

using Handler = std::function<Response(const Request&)>;

struct ServerLimits {
  std::size_t max_body_bytes = 8 * 1024 * 1024;  // an ISAPI push with two JPEGs fits easily
  std::chrono::seconds read_timeout{30};
};

class Server {
 public:
  Server(boost::asio::io_context& io, Handler handler, ServerLimits limits = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting. Port 0 picks a free port; the bound port is returned.
  Result<std::uint16_t> listen(const std::string& host, std::uint16_t port);
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

// Blocking request to "http://host:port/path?query". Any HTTP status is a successful result;
// only transport failures (refused, timeout, malformed reply) are errors.
Result<Response> request(const std::string& method, const std::string& url,
                         const std::string& body = "",
                         const std::string& content_type = "application/json",
                         std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

std::string percentDecode(const std::string& text);
std::string percentEncode(const std::string& text);
// Splits "host:port"; false when malformed.
bool splitHostPort(const std::string& text, std::string* host, std::uint16_t* port);

}  // namespace kordon::http
