// SPDX-License-Identifier: Apache-2.0
#include "edge/base/http.hpp"

#include <algorithm>
#include <cctype>
#include <list>
#include <optional>
#include <type_traits>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "edge/base/log.hpp"

#include <sys/resource.h>

namespace kordon::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
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

std::string Response::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

std::uint64_t raiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &limit);
    (void)::getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

nlohmann::json ServerStats::toJson() const {
  return {{"connections_accepted", connections_accepted.load()},
          {"connections_open", connections_open.load()},
          {"refused_per_source", refused_per_source.load()},
          {"evicted_idle", evicted_idle.load()},
          {"refused_full", refused_full.load()},
          {"accept_errors", accept_errors.load()},
          {"requests", requests.load()},
          {"bad_requests", bad_requests.load()},
          {"headers_too_large", headers_too_large.load()},
          {"bodies_too_large", bodies_too_large.load()},
          {"busy", busy.load()},
          {"timeouts", timeouts.load()},
          {"tls_failures", tls_failures.load()},
          {"handler_errors", handler_errors.load()},
          {"inflight_body_bytes", inflight_body_bytes.load()}};
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

bool isLoopbackHost(const std::string& host) {
  if (host == "localhost") return true;
  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
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

std::string addressText(asio::ip::address address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  }
  return address.to_string();
}

// What a failed read of a request means for the client, and what it is counted as.
struct Refusal {
  int status = 0;  // 0: nothing can be answered (timeout, the client went away)
  const char* kind = "";
  std::atomic<std::uint64_t> ServerStats::*counter = nullptr;
};

std::optional<Refusal> refusalFor(const beast::error_code& ec) {
  if (ec == bhttp::error::header_limit) {
    return Refusal{431, "headers too large", &ServerStats::headers_too_large};
  }
  if (ec == bhttp::error::body_limit) {
    return Refusal{413, "body too large", &ServerStats::bodies_too_large};
  }
  if (ec == beast::error::timeout) {
    return Refusal{0, "request not received in time", &ServerStats::timeouts};
  }
  if (ec.category() == make_error_code(bhttp::error::end_of_stream).category()) {
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) {
      return std::nullopt;  // the client closed the connection
    }
    return Refusal{400, "malformed request", &ServerStats::bad_requests};
  }
  return std::nullopt;  // transport errors: connection reset, aborted
}

// Logs a refusal kind at most once per kLogInterval, with how many there were since.
class RefusalLog {
 public:
  void note(const std::string& kind, const std::string& remote, const std::string& detail) {
    auto& entry = entries_[kind];
    ++entry.count;
    const auto now = std::chrono::steady_clock::now();
    if (entry.logged && now - *entry.logged < kLogInterval) return;
    log::warn("http request refused", {{"kind", kind},
                                       {"remote", remote},
                                       {"detail", detail},
                                       {"count_since_last_log", entry.count}});
    entry.logged = now;
    entry.count = 0;
  }

 private:
  static constexpr std::chrono::seconds kLogInterval{10};
  struct Entry {
    std::optional<std::chrono::steady_clock::time_point> logged;
    std::uint64_t count = 0;
  };
  std::map<std::string, Entry> entries_;
};

class Connection;

}  // namespace

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(asio::io_context& io_context, Handler h, AsyncHandler ah, ServerLimits l)
      : io(io_context),
        acceptor(io_context),
        backoff_timer(io_context),
        handler(std::move(h)),
        async_handler(std::move(ah)),
        limits(l) {}

  void accept();
  void onAccept(const beast::error_code& ec, tcp::socket socket);
  void admit(tcp::socket socket);
  void forget(Connection* connection, const std::string& source);
  bool reserveBody(std::size_t bytes) {
    if (inflight_body_bytes + bytes > limits.max_inflight_body_bytes) return false;
    inflight_body_bytes += bytes;
    stats.inflight_body_bytes = inflight_body_bytes;
    return true;
  }
  void releaseBody(std::size_t bytes) {
    inflight_body_bytes -= std::min(bytes, inflight_body_bytes);
    stats.inflight_body_bytes = inflight_body_bytes;
  }
  void refuse(std::atomic<std::uint64_t> ServerStats::*counter, const std::string& kind,
              const std::string& remote, const std::string& detail) {
    if (counter != nullptr) ++(stats.*counter);
    refusals.note(kind, remote, detail);
  }

  asio::io_context& io;
  tcp::acceptor acceptor;
  asio::steady_timer backoff_timer;
  std::chrono::milliseconds backoff{0};
  Handler handler;
  AsyncHandler async_handler;
  ServerLimits limits;
  std::optional<ssl::context> tls;
  ServerStats stats;
  RefusalLog refusals;
  std::list<Connection*> connections;  // open ones, oldest first (io thread only)
  std::map<std::string, std::size_t> per_source;
  std::size_t inflight_body_bytes = 0;
  bool stopped = false;
};

namespace {

// One accepted connection. Lives as long as an operation or a pending reply refers to it, and is
// always destroyed on the server's thread (see PendingReply).
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<Server::Impl> server, std::string source, std::string remote)
      : server_(std::move(server)), source_(std::move(source)), remote_(std::move(remote)) {}
  virtual ~Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  virtual void start() = 0;
  virtual void close() = 0;
  // Between requests (or before the first): may be closed to make room for a newcomer.
  bool waitingForRequest() const { return waiting_for_request_; }
  const std::string& remote() const { return remote_; }

 protected:
  std::shared_ptr<Server::Impl> server_;
  std::string source_;
  std::string remote_;
  bool waiting_for_request_ = true;
};

// The reply a handler still owes. When the last copy of the Responder goes without having been
// called, the connection is closed, on the server's thread.
template <class Session>
struct PendingReply {
  PendingReply(std::shared_ptr<Session> s, bool ka) : session(std::move(s)), keep_alive(ka) {}
  ~PendingReply() {
    if (answered.exchange(true)) return;
    auto s = std::move(session);
    auto& io = s->server().io;
    asio::post(io, [s = std::move(s)] { s->close(); });
  }
  std::shared_ptr<Session> session;
  bool keep_alive;
  std::atomic<bool> answered{false};
};

template <class Stream>
class Session final : public Connection {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  Session(std::shared_ptr<Server::Impl> server, Stream stream, std::string source,
          std::string remote)
      : Connection(std::move(server), std::move(source), std::move(remote)),
        stream_(std::move(stream)) {}

  ~Session() override {
    server_->releaseBody(reserved_);
    server_->forget(this, source_);
  }

  Server::Impl& server() { return *server_; }

  void start() override {
    if constexpr (kTls) {
      lowest().expires_after(server_->limits.header_timeout);
      reading_ = true;
      stream_.async_handshake(
          ssl::stream_base::server, [self = self()](const beast::error_code& ec) {
            self->reading_ = false;
            if (ec) {
              self->server_->refuse(&ServerStats::tls_failures, "tls handshake failed",
                                    self->remote_, ec.message());
              self->closeSocket();
              return;
            }
            self->readHeader();
          });
    } else {
      readHeader();
    }
  }

  void close() override {
    if (closing_) return;
    closing_ = true;
    // A TLS close_notify only when no read is under way: ssl streams allow one operation of
    // each direction at a time, and a shutdown is both.
    if constexpr (kTls) {
      if (!reading_) {
        lowest().expires_after(std::chrono::seconds(2));
        stream_.async_shutdown([self = self()](const beast::error_code&) { self->closeSocket(); });
        return;
      }
    }
    closeSocket();
  }

  void reply(Response res, bool keep_alive) {
    if (closing_) return;
    releaseReservation();
    auto out = std::make_shared<bhttp::response<bhttp::string_body>>();
    out->version(11);
    out->result(static_cast<unsigned>(res.status));
    out->set(bhttp::field::server, "kordon");
    out->set(bhttp::field::content_type, res.content_type);
    for (const auto& [k, v] : res.headers) out->set(k, v);
    out->keep_alive(keep_alive);
    out->body() = std::move(res.body);
    out->prepare_payload();
    lowest().expires_after(server_->limits.read_timeout);
    bhttp::async_write(stream_, *out,
                       [self = self(), out, keep_alive](const beast::error_code& ec, std::size_t) {
                         if (ec || !keep_alive || self->server_->stopped) {
                           self->close();
                         } else {
                           self->readHeader();
                         }
                       });
  }

 private:
  std::shared_ptr<Session> self() {
    return std::static_pointer_cast<Session>(this->shared_from_this());
  }
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void closeSocket() {
    closing_ = true;
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().socket().close(ec);
  }

  void releaseReservation() {
    server_->releaseBody(reserved_);
    reserved_ = 0;
  }

  void readHeader() {
    waiting_for_request_ = true;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_->limits.max_header_bytes));
    parser_->body_limit(server_->limits.max_body_bytes);
    lowest().expires_after(server_->limits.header_timeout);
    reading_ = true;
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = self()](const beast::error_code& ec, std::size_t) {
                               self->reading_ = false;
                               self->onHeader(ec);
                             });
  }

  // Answers a request that cannot be served, then closes: the stream may be mid-message.
  void refuse(int status, std::atomic<std::uint64_t> ServerStats::*counter, const std::string& kind,
              const std::string& detail, std::map<std::string, std::string> headers = {}) {
    server_->refuse(counter, kind, remote_, detail);
    if (status == 0) {
      close();
      return;
    }
    Response res = Response::text(status, kind + ": " + detail + "\n");
    res.headers = std::move(headers);
    reply(std::move(res), false);
  }

  void onReadError(const beast::error_code& ec) {
    if (auto refusal = refusalFor(ec)) {
      refuse(refusal->status, refusal->counter, refusal->kind, ec.message());
    } else {
      close();
    }
  }

  void onHeader(const beast::error_code& ec) {
    if (ec) {
      onReadError(ec);
      return;
    }
    waiting_for_request_ = false;
    const auto length = parser_->content_length();
    if (length && *length > server_->limits.max_body_bytes) {
      refuse(413, &ServerStats::bodies_too_large, "body too large",
             std::to_string(*length) + " bytes declared; at most " +
                 std::to_string(server_->limits.max_body_bytes));
      return;
    }
    // The memory a body may take is reserved before any of it is read.
    const std::size_t want =
        length ? static_cast<std::size_t>(*length)
               : (parser_->chunked() ? server_->limits.max_body_bytes : std::size_t{0});
    if (want > 0) {
      if (!server_->reserveBody(want)) {
        refuse(503, &ServerStats::busy, "busy",
               "request bodies in flight would exceed " +
                   std::to_string(server_->limits.max_inflight_body_bytes) + " bytes",
               {{"Retry-After", "1"}});
        return;
      }
      reserved_ = want;
    }
    if (parser_->is_done()) {
      onBody({});
      return;
    }
    const auto& msg = parser_->get();
    if (beast::iequals(msg[bhttp::field::expect], "100-continue")) {
      auto cont = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_,
                                                                       msg.version());
      lowest().expires_after(server_->limits.read_timeout);
      bhttp::async_write(stream_, *cont,
                         [self = self(), cont](const beast::error_code& wec, std::size_t) {
                           if (wec) {
                             self->close();
                             return;
                           }
                           self->readBody();
                         });
      return;
    }
    readBody();
  }

  void readBody() {
    lowest().expires_after(server_->limits.read_timeout);
    reading_ = true;
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = self()](const beast::error_code& ec, std::size_t) {
                        self->reading_ = false;
                        self->onBody(ec);
                      });
  }

  void onBody(const beast::error_code& ec) {
    if (ec) {
      onReadError(ec);
      return;
    }
    if (server_->stopped) {
      close();
      return;
    }
    auto& msg = parser_->get();
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    splitTarget(req.target, &req);
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      req.headers[name] = std::string(field.value());
    }
    req.body = std::move(msg.body());
    req.remote = remote_;
    req.remote_address = source_;
    req.tls = kTls;
    const bool keep_alive = msg.keep_alive();
    ++server_->stats.requests;
    if (server_->handler) {
      Response res;
      try {
        res = server_->handler(req);
      } catch (const std::exception& e) {
        ++server_->stats.handler_errors;
        res = Response::text(500, std::string("internal error: ") + e.what() + "\n");
      }
      reply(std::move(res), keep_alive);
      return;
    }
    // The handler answers later, maybe from another thread; no read timeout meanwhile.
    lowest().expires_never();
    auto pending = std::make_shared<PendingReply<Session>>(self(), keep_alive);
    Responder responder = [pending](Response res) {
      if (pending->answered.exchange(true)) return;
      auto s = pending->session;
      auto& io = s->server().io;
      asio::post(io, [s = std::move(s), res = std::move(res), ka = pending->keep_alive]() mutable {
        s->reply(std::move(res), ka);
      });
    };
    try {
      server_->async_handler(std::move(req), std::move(responder));
    } catch (const std::exception& e) {
      ++server_->stats.handler_errors;
      if (!pending->answered.exchange(true)) {
        reply(Response::text(500, std::string("internal error: ") + e.what() + "\n"), false);
      }
    }
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::size_t reserved_ = 0;
  bool reading_ = false;  // a handshake or read is under way
  bool closing_ = false;
};

}  // namespace

void Server::Impl::accept() {
  acceptor.async_accept(
      [self = shared_from_this()](const beast::error_code& ec, tcp::socket socket) {
        self->onAccept(ec, std::move(socket));
      });
}

void Server::Impl::onAccept(const beast::error_code& ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor.is_open() || stopped) return;
  if (ec) {
    ++stats.accept_errors;
    const bool exhausted = ec == asio::error::no_descriptors ||
                           ec == boost::system::errc::too_many_files_open_in_system ||
                           ec == asio::error::no_buffer_space || ec == asio::error::no_memory;
    if (!exhausted) {
      accept();  // the peer went away between SYN and accept: nothing to wait for
      return;
    }
    // Re-arming at once would spin: the kernel has the connection queued and says the same
    // again. Wait, longer while it lasts; open connections close meanwhile.
    backoff = backoff.count() == 0 ? std::chrono::milliseconds(100)
                                   : std::min(backoff * 2, std::chrono::milliseconds(1000));
    refusals.note("accept failed", "",
                  ec.message() + "; retrying in " + std::to_string(backoff.count()) + " ms");
    backoff_timer.expires_after(backoff);
    backoff_timer.async_wait([self = shared_from_this()](const beast::error_code& wec) {
      if (!wec && !self->stopped) self->accept();
    });
    return;
  }
  backoff = std::chrono::milliseconds(0);
  admit(std::move(socket));
  accept();
}

void Server::Impl::admit(tcp::socket socket) {
  beast::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) return;  // already gone
  const std::string source = addressText(endpoint.address());
  const std::string remote = source + ":" + std::to_string(endpoint.port());
  if (per_source[source] >= limits.max_connections_per_source) {
    refuse(&ServerStats::refused_per_source, "too many connections from one source", remote,
           std::to_string(per_source[source]) + " open; at most " +
               std::to_string(limits.max_connections_per_source));
    socket.close(ec);
    return;
  }
  if (connections.size() >= limits.max_connections) {
    // Make room by closing the oldest connection that has no request under way.
    auto idle = std::find_if(connections.begin(), connections.end(),
                             [](const Connection* c) { return c->waitingForRequest(); });
    if (idle == connections.end()) {
      refuse(&ServerStats::refused_full, "connection limit reached", remote,
             std::to_string(limits.max_connections) + " open, all busy");
      socket.close(ec);
      return;
    }
    Connection* victim = *idle;
    connections.erase(idle);  // counted out now; its destructor finds it gone
    refuse(&ServerStats::evicted_idle, "idle connection closed to make room", victim->remote(),
           "at " + std::to_string(limits.max_connections) + " connections");
    victim->close();
  }
  ++per_source[source];
  ++stats.connections_open;
  ++stats.connections_accepted;
  std::shared_ptr<Connection> connection;
  if (tls) {
    connection = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
        shared_from_this(), beast::ssl_stream<beast::tcp_stream>(std::move(socket), *tls), source,
        remote);
  } else {
    connection = std::make_shared<Session<beast::tcp_stream>>(
        shared_from_this(), beast::tcp_stream(std::move(socket)), source, remote);
  }
  connections.push_back(connection.get());
  connection->start();
}

void Server::Impl::forget(Connection* connection, const std::string& source) {
  connections.remove(connection);
  auto it = per_source.find(source);
  if (it != per_source.end() && --it->second == 0) per_source.erase(it);
  --stats.connections_open;
}

Server::Server(asio::io_context& io, Handler handler, ServerLimits limits)
    : impl_(std::make_shared<Impl>(io, std::move(handler), nullptr, limits)) {}

Server::Server(asio::io_context& io, AsyncHandler handler, ServerLimits limits)
    : impl_(std::make_shared<Impl>(io, nullptr, std::move(handler), limits)) {}

Server::~Server() { stop(); }

const ServerStats& Server::stats() const { return impl_->stats; }

Status Server::useTls(const TlsFiles& files) {
  if (!files.enabled()) return Status::ok();
  if (files.key_file.empty()) return Status::error("tls: key_file is required with cert_file");
  ssl::context context(ssl::context::tls_server);
  beast::error_code ec;
  context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                          ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                          ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                      ec);
  if (!ec) context.use_certificate_chain_file(files.cert_file, ec);
  if (ec) return Status::error("tls: certificate " + files.cert_file + ": " + ec.message());
  context.use_private_key_file(files.key_file, ssl::context::pem, ec);
  if (ec) return Status::error("tls: key " + files.key_file + ": " + ec.message());
  impl_->tls.emplace(std::move(context));
  return Status::ok();
}

Result<std::uint16_t> Server::listen(const std::string& host, std::uint16_t port) {
  beast::error_code ec;
  const auto address = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
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
  if (!impl_) return;
  impl_->stopped = true;
  beast::error_code ec;
  if (impl_->acceptor.is_open()) impl_->acceptor.close(ec);
  impl_->backoff_timer.cancel();
  // Open connections end too, so no handler is called once the owner is gone. close() only
  // starts the shutdown; each connection leaves the list as it is destroyed.
  const std::list<Connection*> open = impl_->connections;
  for (Connection* c : open) c->close();
}

namespace {

struct Url {
  bool https = false;
  std::string host;
  std::uint16_t port = 80;
  std::string authority;
  std::string target = "/";
};

Result<Url> parseUrl(const std::string& url) {
  Url u;
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    u.https = true;
    u.port = 443;
    rest = url.substr(8);
  } else {
    return Status::error("only http:// and https:// URLs are supported: " + url);
  }
  const auto slash = rest.find('/');
  u.authority = rest.substr(0, slash);
  if (slash != std::string::npos) u.target = rest.substr(slash);
  if (u.authority.find(':') != std::string::npos) {
    if (!splitHostPort(u.authority, &u.host, &u.port)) {
      return Status::error("bad URL authority: " + url);
    }
  } else {
    u.host = u.authority;
  }
  if (u.host.empty()) return Status::error("bad URL authority: " + url);
  return u;
}

template <class Stream>
void runExchange(Stream& stream, tcp::resolver& resolver, const Url& u,
                 bhttp::request<bhttp::string_body>& req, beast::flat_buffer& buffer,
                 bhttp::response_parser<bhttp::string_body>& parser, beast::error_code& result) {
  auto& lowest = beast::get_lowest_layer(stream);
  resolver.async_resolve(
      u.host, std::to_string(u.port),
      [&](const beast::error_code& ec, tcp::resolver::results_type eps) {
        if (ec) {
          result = ec;
          return;
        }
        lowest.async_connect(eps, [&](const beast::error_code& ec2, const tcp::endpoint&) {
          if (ec2) {
            result = ec2;
            return;
          }
          auto exchange = [&] {
            bhttp::async_write(stream, req, [&](const beast::error_code& ec3, std::size_t) {
              if (ec3) {
                result = ec3;
                return;
              }
              bhttp::async_read(stream, buffer, parser,
                                [&](const beast::error_code& ec4, std::size_t) { result = ec4; });
            });
          };
          if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
            exchange();
          } else {
            stream.async_handshake(ssl::stream_base::client,
                                   [&, exchange](const beast::error_code& e) {
                                     if (e) {
                                       result = e;
                                       return;
                                     }
                                     exchange();
                                   });
          }
        });
      });
}

}  // namespace

Result<Response> request(const std::string& method, const std::string& url, const std::string& body,
                         const std::string& content_type, const ClientOptions& options) {
  auto u = parseUrl(url);
  if (!u) return u.status();

  asio::io_context io;
  bhttp::request<bhttp::string_body> req;
  req.method_string(method);
  req.target(u->target);
  req.version(11);
  req.set(bhttp::field::host, u->authority);
  req.set(bhttp::field::user_agent, "kordon");
  for (const auto& [k, v] : options.headers) req.set(k, v);
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.set(bhttp::field::content_type, content_type);
    req.body() = body;
  }
  req.keep_alive(false);
  req.prepare_payload();

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(options.max_body_bytes);
  beast::error_code result = asio::error::timed_out;
  tcp::resolver resolver(io);
  if (u->https) {
    ssl::context context(ssl::context::tls_client);
    beast::error_code ec;
    if (!options.ca_file.empty()) {
      context.load_verify_file(options.ca_file, ec);
    } else {
      context.set_default_verify_paths(ec);
    }
    if (ec) return Status::error("tls: CA " + options.ca_file + ": " + ec.message());
    context.set_verify_mode(ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(io, context);
    stream.set_verify_callback(ssl::host_name_verification(u->host));
    beast::error_code address_ec;
    asio::ip::make_address(u->host, address_ec);
    if (address_ec) SSL_set_tlsext_host_name(stream.native_handle(), u->host.c_str());
    beast::get_lowest_layer(stream).expires_after(options.timeout);
    runExchange(stream, resolver, *u, req, buffer, parser, result);
    io.run_for(options.timeout + std::chrono::milliseconds(100));
  } else {
    beast::tcp_stream stream(io);
    stream.expires_after(options.timeout);
    runExchange(stream, resolver, *u, req, buffer, parser, result);
    io.run_for(options.timeout + std::chrono::milliseconds(100));
  }
  if (result) return Status::error(method + " " + url + ": " + result.message());
  const auto& msg = parser.get();
  Response res;
  res.status = static_cast<int>(msg.result_int());
  res.content_type = std::string(msg[bhttp::field::content_type]);
  for (const auto& field : msg) {
    std::string name(field.name_string());
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    res.headers[name] = std::string(field.value());
  }
  res.body = msg.body();
  return res;
}

Result<Response> request(const std::string& method, const std::string& url, const std::string& body,
                         const std::string& content_type, std::chrono::milliseconds timeout) {
  ClientOptions options;
  options.timeout = timeout;
  return request(method, url, body, content_type, options);
}

}  // namespace kordon::http
