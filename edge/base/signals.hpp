// SPDX-License-Identifier: Apache-2.0
#pragma once

// How every Kordon program learns that it should stop (SIGINT, SIGTERM) or reload (SIGHUP), in
// one of two shapes, whichever its main thread is:
//   - a program on an io_context holds a StopSignals: the handlers run on that io_context, so
//     they may touch the program's state like any other completion;
//   - a program whose main thread is a blocking loop (kordon-lane's control cycle, a simulator's
//     select() loop) polls stopRequested(), which a plain signal handler sets.
// Both ignore SIGPIPE: a peer that closes its socket is an error value on the next write, never
// the end of the process.

#include <functional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

namespace kordon {

class StopSignals {
 public:
  // `on_stop` once, with the signal's number; `on_reload` (when given) on every SIGHUP.
  StopSignals(boost::asio::io_context& io, std::function<void(int signo)> on_stop,
              std::function<void()> on_reload = {});
  // Stops listening (the io_context may then run out of work).
  void cancel();

 private:
  void armReload();

  boost::asio::signal_set stop_;
  boost::asio::signal_set reload_;
  std::function<void()> on_reload_;
};

// For blocking loops: installs handlers for SIGINT and SIGTERM (and ignores SIGPIPE) on the first
// call; true once either arrived.
void installStopHandlers();
bool stopRequested();

}  // namespace kordon
