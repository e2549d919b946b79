// SPDX-License-Identifier: Apache-2.0
#include "simulators/common/control_server.hpp"

#include "edge/base/log.hpp"

namespace kordon::sim {

ControlServer::ControlServer(boost::asio::io_context& io, http::Handler handler)
    : server_(io, std::move(handler)) {}

Result<std::uint16_t> ControlServer::listen(const std::string& host_port) {
  std::string host;
  std::uint16_t port = 0;
  if (!http::splitHostPort(host_port, &host, &port)) {
    return Status::error("control: expected HOST:PORT, got " + host_port);
  }
  Result<std::uint16_t> bound = server_.listen(host, port);
  if (!bound) return Status::error("control: " + bound.status().message());
  log::info("control listening", {{"host", host}, {"port", *bound}});
  return bound;
}

ControlThread::ControlThread(http::Handler handler) : server_(io_, std::move(handler)) {}

ControlThread::~ControlThread() {
  server_.stop();
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

Result<std::uint16_t> ControlThread::start(const std::string& host_port) {
  Result<std::uint16_t> bound = server_.listen(host_port);
  if (bound) thread_ = std::thread([this] { io_.run(); });
  return bound;
}

}  // namespace kordon::sim
