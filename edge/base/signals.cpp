// SPDX-License-Identifier: Apache-2.0
#include "edge/base/signals.hpp"

#include <atomic>
#include <csignal>

namespace kordon {
namespace {

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free);  // set from a signal handler

void onStopSignal(int) { g_stop.store(true); }

}  // namespace

StopSignals::StopSignals(boost::asio::io_context& io, std::function<void(int signo)> on_stop,
                         std::function<void()> on_reload)
    : stop_(io, SIGINT, SIGTERM), reload_(io), on_reload_(std::move(on_reload)) {
  std::signal(SIGPIPE, SIG_IGN);
  stop_.async_wait([on_stop = std::move(on_stop)](const boost::system::error_code& ec, int signo) {
    if (!ec) on_stop(signo);
  });
  if (on_reload_) {
    reload_.add(SIGHUP);
    armReload();
  }
}

void StopSignals::armReload() {
  reload_.async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;
    on_reload_();
    armReload();
  });
}

void StopSignals::cancel() {
  boost::system::error_code ignored;
  stop_.cancel(ignored);
  reload_.cancel(ignored);
}

void installStopHandlers() {
  static const bool installed = [] {
    struct sigaction sa {};
    sa.sa_handler = onStopSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)installed;
}

bool stopRequested() { return g_stop.load(); }

}  // namespace kordon
