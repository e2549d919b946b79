// SPDX-License-Identifier: Apache-2.0
// The HTTP server's defences, over real loopback sockets: malformed requests answered and
// counted, bodies reserved against a shared budget, connection bounds per source and overall.

#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "edge/base/http.hpp"

namespace kordon::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

// A server on its own io thread.
class ServerRig {
 public:
  ServerRig(Handler handler, ServerLimits limits) : server_(io_, std::move(handler), limits) {
    start();
  }
  ServerRig(AsyncHandler handler, ServerLimits limits) : server_(io_, std::move(handler), limits) {
    start();
  }
  ~ServerRig() {
    asio::post(io_, [this] { server_.stop(); });
    work_.reset();
    io_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  const ServerStats& stats() const { return server_.stats(); }

 private:
  void start() {
    auto port = server_.listen("127.0.0.1", 0);
    EXPECT_TRUE(port);
    port_ = *port;
    thread_ = std::thread([this] { io_.run(); });
  }
  asio::io_context io_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_{
      asio::make_work_guard(io_)};
  Server server_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

// A blocking client socket.
class Client {
 public:
  explicit Client(std::uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  void send(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }
  // Everything until the server closes (or the timeout passes).
  std::string readAll(milliseconds timeout = milliseconds(5000)) {
    struct timeval tv {};
    tv.tv_sec = static_cast<long>(timeout.count() / 1000);
    tv.tv_usec = static_cast<long>(timeout.count() % 1000 * 1000);
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string out;
    char buf[4096];
    for (;;) {
      boost::system::error_code ec;
      const std::size_t n = socket_.read_some(asio::buffer(buf), ec);
      if (ec) break;
      out.append(buf, n);
    }
    return out;
  }
  bool closedByPeer() {
    char c;
    boost::system::error_code ec;
    struct timeval tv {};
    tv.tv_sec = 5;
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    socket_.read_some(asio::buffer(&c, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
};

Response ok(const Request& r) { return Response::text(200, "ok " + r.path + "\n"); }

std::string statusLine(const std::string& reply) { return reply.substr(0, reply.find("\r\n")); }

TEST(HttpServer, AnswersAndKeepsTheConnectionAlive) {
  ServerRig rig(Handler(ok), {});
  Client c(rig.port());
  c.send(
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string reply = c.readAll();
  EXPECT_NE(reply.find("ok /a"), std::string::npos) << reply;
  EXPECT_NE(reply.find("ok /b"), std::string::npos) << reply;
  EXPECT_EQ(rig.stats().requests, 2u);
}

TEST(HttpServer, MalformedRequestsGet400AndAreCounted) {
  ServerRig rig(Handler(ok), {});
  {
    Client c(rig.port());
    c.send("\x01\x02 garbage\r\n\r\n");
    EXPECT_EQ(statusLine(c.readAll()), "HTTP/1.1 400 Bad Request");
  }
  {
    Client c(rig.port());
    c.send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello");
    EXPECT_EQ(statusLine(c.readAll()), "HTTP/1.1 400 Bad Request");
  }
  {
    Client c(rig.port());
    c.send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n");
    EXPECT_EQ(statusLine(c.readAll()), "HTTP/1.1 400 Bad Request");
  }
  EXPECT_EQ(rig.stats().bad_requests, 3u);
  EXPECT_EQ(rig.stats().requests, 0u);
}

TEST(HttpServer, ThousandsOfHeadersGet431) {
  ServerRig rig(Handler(ok), {});
  Client c(rig.port());
  std::string req = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 3000; ++i) req += "X-H" + std::to_string(i) + ": v\r\n";
  req += "\r\n";
  c.send(req);
  EXPECT_EQ(statusLine(c.readAll()), "HTTP/1.1 431 Request Header Fields Too Large");
  EXPECT_EQ(rig.stats().headers_too_large, 1u);
}

TEST(HttpServer, ADeclaredBodyOverTheLimitGets413BeforeItIsRead) {
  ServerLimits limits;
  limits.max_body_bytes = 1000;
  ServerRig rig(Handler(ok), limits);
  Client c(rig.port());
  c.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n\r\n");
  EXPECT_EQ(statusLine(c.readAll()), "HTTP/1.1 413 Payload Too Large");
  EXPECT_EQ(rig.stats().bodies_too_large, 1u);
}

TEST(HttpServer, BodiesInFlightShareOneBudget) {
  ServerLimits limits;
  limits.max_inflight_body_bytes = 1'000'000;
  ServerRig rig(Handler(ok), limits);
  // The first client declares 600 kB and sends none of it: its reservation stands.
  Client holder(rig.port());
  holder.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 600000\r\n\r\n");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (rig.stats().inflight_body_bytes == 0u && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  ASSERT_EQ(rig.stats().inflight_body_bytes, 600000u);
  Client second(rig.port());
  second.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 600000\r\n\r\n");
  const std::string reply = second.readAll();
  EXPECT_EQ(statusLine(reply), "HTTP/1.1 503 Service Unavailable");
  EXPECT_NE(reply.find("Retry-After: 1"), std::string::npos);
  EXPECT_EQ(rig.stats().busy, 1u);
  // A small body still fits beside the held one.
  Client small(rig.port());
  small.send("POST /s HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi");
  EXPECT_EQ(statusLine(small.readAll()), "HTTP/1.1 200 OK");
}

TEST(HttpServer, ConnectionsOverThePerSourceBoundAreClosed) {
  ServerLimits limits;
  limits.max_connections_per_source = 2;
  ServerRig rig(Handler(ok), limits);
  Client a(rig.port());
  Client b(rig.port());
  Client c(rig.port());
  EXPECT_TRUE(c.closedByPeer());
  EXPECT_EQ(rig.stats().refused_per_source, 1u);
  a.send("GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(statusLine(a.readAll()), "HTTP/1.1 200 OK") << "those within the bound are served";
}

TEST(HttpServer, AtTheOverallBoundTheOldestIdleConnectionMakesRoom) {
  ServerLimits limits;
  limits.max_connections = 2;
  ServerRig rig(Handler(ok), limits);
  Client oldest(rig.port());
  Client second(rig.port());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (rig.stats().connections_open < 2u && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  Client newcomer(rig.port());
  newcomer.send("GET /n HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(statusLine(newcomer.readAll()), "HTTP/1.1 200 OK");
  EXPECT_TRUE(oldest.closedByPeer());
  EXPECT_EQ(rig.stats().evicted_idle, 1u);
}

TEST(HttpServer, SlowHeadersTimeOut) {
  ServerLimits limits;
  limits.header_timeout = milliseconds(300);
  ServerRig rig(Handler(ok), limits);
  Client c(rig.port());
  c.send("GET / HTTP/1.1\r\nHost:");
  EXPECT_TRUE(c.closedByPeer());
  // The server counts on its own thread, possibly just after the close reached the client.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (rig.stats().timeouts < 1u && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(rig.stats().timeouts, 1u);
}

TEST(HttpServer, AnAsyncHandlerAnswersFromAnotherThread) {
  std::vector<std::thread> workers;
  std::mutex mutex;
  {
    ServerRig rig(
        AsyncHandler([&](Request request, Responder respond) {
          std::lock_guard lock(mutex);
          workers.emplace_back([request = std::move(request), respond = std::move(respond)] {
            std::this_thread::sleep_for(milliseconds(50));
            respond(Response::text(200, "late " + request.body + "\n"));
          });
        }),
        {});
    Client c(rig.port());
    c.send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc");
    const std::string reply = c.readAll();
    EXPECT_NE(reply.find("late abc"), std::string::npos) << reply;
    std::lock_guard lock(mutex);
    for (auto& t : workers) t.join();
  }
}

TEST(HttpServer, AnAsyncHandlerThatNeverAnswersClosesTheConnection) {
  ServerRig rig(AsyncHandler([](Request, Responder) {}), {});
  Client c(rig.port());
  c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(c.closedByPeer());
}

TEST(HttpClient, ReturnsHeadersAndRefusesOtherSchemes) {
  ServerRig rig(Handler([](const Request&) {
                  Response r = Response::text(401, "no\n");
                  r.headers["WWW-Authenticate"] = "Basic realm=\"x\"";
                  return r;
                }),
                {});
  auto r = request("GET", "http://127.0.0.1:" + std::to_string(rig.port()) + "/");
  ASSERT_TRUE(r) << r.status().message();
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(r->header("www-authenticate"), "Basic realm=\"x\"");
  EXPECT_FALSE(request("GET", "ftp://127.0.0.1/"));
  EXPECT_TRUE(isLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(isLoopbackHost("127.3.2.1"));
  EXPECT_TRUE(isLoopbackHost("::1"));
  EXPECT_TRUE(isLoopbackHost("localhost"));
  EXPECT_FALSE(isLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(isLoopbackHost("10.0.0.1"));
}

}  // namespace
}  // namespace kordon::http
