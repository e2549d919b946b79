// SPDX-License-Identifier: Apache-2.0
#include "drivers/radiation_portal/vm250_portal.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>

namespace kordon::drivers {

using std::chrono::milliseconds;
namespace asio = boost::asio;
using asio::ip::tcp;

Vm250Portal::Vm250Portal(RadiationPortalConfig config, const Clock& clock,
                         OccupancyCallback on_occupancy, StatusCallback on_status)
    : config_(std::move(config)),
      clock_(clock),
      on_occupancy_(std::move(on_occupancy)),
      reporter_(config_.device_id, config_.lane, "radiation_portal",
                config_.host + ":" + std::to_string(config_.port), clock, std::move(on_status)),
      parser_(config_.alarm_sigma),
      backoff_(config_.backoff_initial_ms) {}

Vm250Portal::~Vm250Portal() { stop(); }

void Vm250Portal::start() {
  if (worker_.joinable()) return;
  io_.restart();
  state_ = State::kConnect;
  asio::post(io_, [this] { connect(); });
  worker_ = std::thread([this] { io_.run(); });
}

void Vm250Portal::stop() {
  if (!worker_.joinable()) return;
  io_.stop();
  worker_.join();
  // The worker is gone: close and drain so that a later start() begins clean. Handlers see
  // operation_aborted and return.
  boost::system::error_code ignored;
  socket_.close(ignored);
  timer_.cancel();
  stale_timer_.cancel();
  io_.restart();
  io_.poll();
  read_buffer_.clear();
  (void)parser_.truncate();  // an occupancy cut by stop() is not reported: we are shutting down
  state_ = State::kConnect;
}

void Vm250Portal::connect() {
  state_ = State::kConnect;
  boost::system::error_code ec;
  tcp::resolver resolver(io_);
  const auto endpoints = resolver.resolve(config_.host, std::to_string(config_.port), ec);
  if (ec) {
    reporter_.report(msg::DeviceHealth::kNotConnected,
                     "resolve " + config_.host + ": " + ec.message(), counters_);
    enterBackoff();
    return;
  }
  timer_.expires_after(kConnectTimeout);
  timer_.async_wait([this](const boost::system::error_code& wait_ec) {
    if (wait_ec || state_ != State::kConnect) return;
    boost::system::error_code ignored;
    socket_.close(ignored);  // completes the pending connect with operation_aborted
  });
  asio::async_connect(socket_, endpoints,
                      [this](const boost::system::error_code& connect_ec, const tcp::endpoint&) {
                        if (state_ != State::kConnect) return;
                        timer_.cancel();
                        if (connect_ec) {
                          boost::system::error_code ignored;
                          socket_.close(ignored);
                          const std::string reason = connect_ec == asio::error::operation_aborted
                                                         ? std::string("connect timed out")
                                                         : connect_ec.message();
                          reporter_.report(msg::DeviceHealth::kNotConnected,
                                           "connect " + config_.host + ":" +
                                               std::to_string(config_.port) + ": " + reason,
                                           counters_);
                          enterBackoff();
                          return;
                        }
                        onConnected();
                      });
}

void Vm250Portal::onConnected() {
  if (ever_connected_) ++counters_.reconnects;
  ever_connected_ = true;
  good_line_this_connection_ = false;
  state_ = State::kRead;
  read_buffer_.clear();
  // Connected but silent until the first line: health stays as it was until a line or the
  // stale timer decides.
  armStaleTimer();
  readLine();
}

void Vm250Portal::armStaleTimer() {
  stale_timer_.expires_after(milliseconds(config_.stale_after_ms));
  stale_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || state_ != State::kRead) return;
    ++counters_.timeouts;
    if (auto cut = parser_.truncate()) emit(std::move(*cut));
    reporter_.report(msg::DeviceHealth::kNoData,
                     "no line for " + std::to_string(config_.stale_after_ms) + " ms", counters_);
    armStaleTimer();
  });
}

void Vm250Portal::readLine() {
  asio::async_read_until(socket_, asio::dynamic_buffer(read_buffer_, kMaxLineBytes), '\n',
                         [this](const boost::system::error_code& ec, std::size_t length) {
                           if (ec == asio::error::operation_aborted || state_ != State::kRead)
                             return;
                           if (ec == asio::error::not_found) {
                             // kMaxLineBytes without a terminator: not this protocol. Drop it and
                             // resynchronise.
                             ++counters_.comms_errors;
                             read_buffer_.clear();
                             readLine();
                             return;
                           }
                           if (ec) {
                             connectionLost(ec == asio::error::eof
                                                ? std::string("connection closed by peer")
                                                : ec.message());
                             return;
                           }
                           const std::string line = read_buffer_.substr(0, length);
                           read_buffer_.erase(0, length);
                           onLine(line);
                           if (state_ == State::kRead) readLine();
                         });
}

void Vm250Portal::onLine(std::string_view line) {
  armStaleTimer();
  const auto errors_before = parser_.errors();
  const auto lines_before = parser_.lines();
  auto outputs = parser_.feed(line);
  if (parser_.errors() != errors_before) {
    ++counters_.comms_errors;
  } else if (parser_.lines() != lines_before) {
    ++counters_.readings;
    if (!good_line_this_connection_) {
      good_line_this_connection_ = true;
      backoff_ = milliseconds(config_.backoff_initial_ms);
    }
    updateHealthFromParser();
  }
  for (auto& out : outputs) emit(std::move(out));
}

void Vm250Portal::updateHealthFromParser() {
  const auto faults = parser_.activeFaults();
  if (!faults.empty()) {
    std::string reason = "device fault:";
    for (const auto& f : faults) reason += " " + f;
    reporter_.report(msg::DeviceHealth::kDegraded, reason, counters_);
    return;
  }
  if (parser_.identicalBackgroundRun() >= kFrozenBackgroundRun) {
    reporter_.report(msg::DeviceHealth::kDegraded,
                     "gamma background frozen: " +
                         std::to_string(parser_.identicalBackgroundRun()) + " identical GB lines",
                     counters_);
    return;
  }
  reporter_.report(msg::DeviceHealth::kGood, "", counters_);
}

void Vm250Portal::connectionLost(const std::string& reason) {
  boost::system::error_code ignored;
  socket_.close(ignored);
  stale_timer_.cancel();
  if (auto cut = parser_.truncate()) emit(std::move(*cut));
  reporter_.report(msg::DeviceHealth::kNotConnected, reason, counters_);
  enterBackoff();
}

void Vm250Portal::enterBackoff() {
  state_ = State::kBackoff;
  const milliseconds delay = backoff_;
  backoff_ = std::min(backoff_ * 2, milliseconds(config_.backoff_max_ms));
  timer_.expires_after(delay);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || state_ != State::kBackoff) return;
    connect();
  });
}

void Vm250Portal::emit(Vm250Output&& output) {
  msg::RadiationOccupancy& occ = output.occupancy;
  occ.device_id = config_.device_id;
  occ.lane = config_.lane;
  occ.time_ms = clock_.nowWallMs();
  occ.health = reporter_.health();
  occ.phase = output.phase;
  // The line protocol has no acknowledgement to withhold: a failure is logged by the lane.
  (void)on_occupancy_(occ);
}

}  // namespace kordon::drivers
