// SPDX-License-Identifier: Apache-2.0
#pragma once

// The HTTP control surface every simulator has (--control HOST:PORT): the test or the operator
// of a bench moves the device model through it (POST /weight, /plate, /fault, ...) and reads it
// back (GET /state). It listens on loopback by default and is for test benches only: the
// simulators are never installed on a post.
//
// The handler runs on whichever thread runs the io_context given; a simulator whose model
// lives on another thread locks it in the handler. ControlThread runs it on a thread of its own.

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>

#include "edge/base/http.hpp"
#include "edge/base/status.hpp"

namespace kordon::sim {

class ControlServer {
 public:
  ControlServer(boost::asio::io_context& io, http::Handler handler);
  // "HOST:PORT"; port 0 binds a free one. Logs "control listening" with the port.
  Result<std::uint16_t> listen(const std::string& host_port);
  void stop() { server_.stop(); }

 private:
  http::Server server_;
};

// A ControlServer on its own io_context and thread (for simulators whose main thread blocks in
// a protocol loop). Stops and joins on destruction.
class ControlThread {
 public:
  explicit ControlThread(http::Handler handler);
  ~ControlThread();
  ControlThread(const ControlThread&) = delete;
  ControlThread& operator=(const ControlThread&) = delete;

  // Listens and starts the thread.
  Result<std::uint16_t> start(const std::string& host_port);

 private:
  boost::asio::io_context io_;
  ControlServer server_;
  std::thread thread_;
};

}  // namespace kordon::sim
