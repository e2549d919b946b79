// SPDX-License-Identifier: Apache-2.0
#include "edge/base/http.hpp"

#include <cctype>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace kordon::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

std::string Request::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

std::string Request::param(const std::string& name, const std::string& fallback) const {
  auto it = query.find(name);
  return it == query.end() ? fallback : it->second;
}

Response Response::json(int status, const std::string& body) {
  Response r;
  r.status = status;
  r.body = body;
  return r;
}

Response Response::text(int status, const std::string& body) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = body;
  return r;
}

std::string percentDecode(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < text.size() &&
               std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string percentEncode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

bool splitHostPort(const std::string& text, std::string* host, std::uint16_t* port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= text.size()) return false;
  unsigned long value = 0;
  for (std::size_t i = colon + 1; i < text.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    value = value * 10 + static_cast<unsigned long>(text[i] - '0');
    if (value > 65535) return false;
  }
  *host = text.substr(0, colon);
  *port = static_cast<std::uint16_t>(value);
  return true;
}

namespace {

void splitTarget(const std::string& target, Request* req) {
  const auto q = target.find('?');
  req->path = percentDecode(target.substr(0, q));
  if (q == std::string::npos) return;
  std::string rest = target.substr(q + 1);
  std::size_t start = 0;
  while (start <= rest.size()) {
    auto amp = rest.find('&', start);
    if (amp == std::string::npos) amp = rest.size();
    const std::string pair = rest.substr(start, amp - start);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      if (eq == std::string::npos) {
        req->query[percentDecode(pair)] = "";
      } else {
        req->query[percentDecode(pair.substr(0, eq))] = percentDecode(pair.substr(eq + 1));
      }
    }
    start = amp + 1;
  }
}

// One connection: read a request, call the handler, write the reply, repeat while keep-alive.
class Session : public std::enable_shared_from_this<Session> {
 public:
  // Copies of the handler and limits: a connection may outlive the Server that accepted it.
  Session(tcp::socket socket, Handler handler, ServerLimits limits)
      : stream_(std::move(socket)), handler_(std::move(handler)), limits_(limits) {}

  void start() { readNext(); }

 private:
  void readNext() {
    parser_.emplace();
    parser_->body_limit(limits_.max_body_bytes);
    stream_.expires_after(limits_.read_timeout);
    bhttp::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
  }

  void onRead(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted) {
      close();
      return;
    }
    if (ec) {
      // Malformed or oversized requests get a reply where the protocol still allows one.
      if (ec == bhttp::error::body_limit) {
        reply(Response::text(413, "request body too large\n"), false);
      } else {
        close();
      }
      return;
    }
    auto& msg = parser_->get();
    Request req;
    req.method = std::string(msg.method_string());
    splitTarget(std::string(msg.target()), &req);
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      req.headers[name] = std::string(field.value());
    }
    req.body = std::move(msg.body());
    beast::error_code rec;
    const auto ep = stream_.socket().remote_endpoint(rec);
    if (!rec) req.remote = ep.address().to_string() + ":" + std::to_string(ep.port());
    Response res;
    try {
      res = handler_(req);
    } catch (const std::exception& e) {
      res = Response::text(500, std::string("internal error: ") + e.what() + "\n");
    }
    reply(res, msg.keep_alive());
  }

  void reply(const Response& res, bool keep_alive) {
    auto out = std::make_shared<bhttp::response<bhttp::string_body>>();
    out->version(11);
    out->result(static_cast<unsigned>(res.status));
    out->set(bhttp::field::server, "kordon");
    out->set(bhttp::field::content_type, res.content_type);
    for (const auto& [k, v] : res.headers) out->set(k, v);
    out->keep_alive(keep_alive);
    out->body() = res.body;
    out->prepare_payload();
    stream_.expires_after(limits_.read_timeout);
    bhttp::async_write(
        stream_, *out,
        [self = shared_from_this(), out, keep_alive](beast::error_code ec, std::size_t) {
          if (ec || !keep_alive) {
            self->close();
          } else {
            self->readNext();
          }
        });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Handler handler_;
  ServerLimits limits_;
};

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(asio::io_context& io, Handler h, ServerLimits l)
      : acceptor(io), handler(std::move(h)), limits(l) {}

  void accept() {
    acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
      if (!ec) std::make_shared<Session>(std::move(socket), self->handler, self->limits)->start();
      self->accept();
    });
  }

  tcp::acceptor acceptor;
  Handler handler;
  ServerLimits limits;
};

Server::Server(asio::io_context& io, Handler handler, ServerLimits limits)
    : impl_(std::make_shared<Impl>(io, std::move(handler), limits)) {}

Server::~Server() { stop(); }

Result<std::uint16_t> Server::listen(const std::string& host, std::uint16_t port) {
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return Status::error("bad listen address '" + host + "': " + ec.message());
  const tcp::endpoint endpoint(address, port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::error("listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  }
  const auto bound = acceptor.local_endpoint(ec).port();
  impl_->accept();
  return bound;
}

void Server::stop() {
  beast::error_code ec;
  if (impl_ && impl_->acceptor.is_open()) impl_->acceptor.close(ec);
}

Result<Response> request(const std::string& method, const std::string& url, const std::string& body,
                         const std::string& content_type, std::chrono::milliseconds timeout) {
  static const std::string kScheme = "http://";
  if (url.compare(0, kScheme.size(), kScheme) != 0) {
    return Status::error("only http:// URLs are supported: " + url);
  }
  const auto slash = url.find('/', kScheme.size());
  const std::string authority = url.substr(
      kScheme.size(), slash == std::string::npos ? std::string::npos : slash - kScheme.size());
  const std::string target = slash == std::string::npos ? "/" : url.substr(slash);
  std::string host;
  std::uint16_t port = 80;
  if (authority.find(':') != std::string::npos) {
    if (!splitHostPort(authority, &host, &port)) return Status::error("bad URL authority: " + url);
  } else {
    host = authority;
  }

  asio::io_context io;
  beast::tcp_stream stream(io);
  bhttp::request<bhttp::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(bhttp::field::host, authority);
  req.set(bhttp::field::user_agent, "kordon");
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.set(bhttp::field::content_type, content_type);
    req.body() = body;
  }
  req.keep_alive(false);
  req.prepare_payload();

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  beast::error_code result = asio::error::timed_out;
  tcp::resolver resolver(io);
  stream.expires_after(timeout);
  resolver.async_resolve(
      host, std::to_string(port), [&](beast::error_code ec, tcp::resolver::results_type eps) {
        if (ec) {
          result = ec;
          return;
        }
        stream.async_connect(eps, [&](beast::error_code ec2, const tcp::endpoint&) {
          if (ec2) {
            result = ec2;
            return;
          }
          bhttp::async_write(stream, req, [&](beast::error_code ec3, std::size_t) {
            if (ec3) {
              result = ec3;
              return;
            }
            bhttp::async_read(stream, buffer, parser,
                              [&](beast::error_code ec4, std::size_t) { result = ec4; });
          });
        });
      });
  io.run_for(timeout + std::chrono::milliseconds(100));
  if (result) return Status::error(method + " " + url + ": " + result.message());
  const auto& msg = parser.get();
  Response res;
  res.status = static_cast<int>(msg.result_int());
  res.content_type = std::string(msg[bhttp::field::content_type]);
  res.body = msg.body();
  return res;
}

}  // namespace kordon::http
