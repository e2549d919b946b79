// SPDX-License-Identifier: Apache-2.0
#pragma once

// "vm250-tcp": a VM-250 family portal whose line stream (vm250_parser.hpp) is read from a TCP
// socket, directly or through a serial-to-Ethernet converter.
//
// State machine (own io_context on a worker thread; Boost.Asio async operations and timers):
//   kConnect --connected--> kRead --line--> kRead
//   kConnect --refused/timeout--> kBackoff --backoff elapsed--> kConnect
//   kRead --EOF/reset/error--> kBackoff
// The backoff starts at backoff_initial_ms, doubles up to backoff_max_ms, and returns to
// backoff_initial_ms after the first good line of a connection.
//
// Health (msg::DeviceStatus, device_class "radiation_portal", published on every change):
//   kNotConnected  connect failed or the connection was lost
//   kNoData        connected, but no line for stale_after_ms (counts a timeout). The
//                  connection is kept: a quiet converter is not a broken one.
//   kDegraded      lines arrive, but the device reports a fault (GH/GL/NH background out of
//                  range, TT tamper), or the gamma background is frozen: kFrozenBackgroundRun
//                  GB lines in a row with identical values (a live detector's Poisson noise
//                  makes that practically impossible; a hung converter replaying a buffer
//                  does exactly that)
//   kGood          otherwise, on every valid line
// A slow stream (lines further apart than usual) stays kGood as long as the gap is below
// stale_after_ms.
//
// Occupancies: the parser's kStart and kEnd outputs go to OccupancyCallback stamped with
// device_id, lane, the current wall time and health. An occupancy open when the connection
// drops or the stream goes stale is closed at once with fault "truncated" (never a clean pass).
// Counters: readings (valid lines), comms_errors (malformed lines, overlong lines), timeouts
// (stale periods), reconnects (successful connects after the first). Logs on health changes.
//
// The host is resolved on the worker thread at each connect (a numeric address never blocks).
//
// Thread-safety: callbacks run on the worker thread and must not block or throw. start()/stop()
// from one owner thread, never from a callback. counters() from any thread.

#include <chrono>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "drivers/common/health_reporter.hpp"
#include "drivers/radiation_portal/radiation_portal.hpp"
#include "drivers/radiation_portal/vm250_parser.hpp"

namespace kordon::drivers {

class Vm250Portal final : public RadiationPortal {
 public:
  enum class State { kConnect, kRead, kBackoff };
  static constexpr std::uint64_t kFrozenBackgroundRun = 25;  // 5 s of GB lines
  static constexpr std::size_t kMaxLineBytes = 4096;
  static constexpr std::chrono::milliseconds kConnectTimeout{3000};

  Vm250Portal(RadiationPortalConfig config, const Clock& clock, OccupancyCallback on_occupancy,
              StatusCallback on_status);
  ~Vm250Portal() override;
  Vm250Portal(const Vm250Portal&) = delete;
  Vm250Portal& operator=(const Vm250Portal&) = delete;

  void start() override;
  void stop() override;
  const DeviceCounters& counters() const override { return counters_; }
  msg::DeviceHealth health() const { return reporter_.health(); }

 private:
  void connect();
  void onConnected();
  void readLine();
  void onLine(std::string_view line);
  void armStaleTimer();
  void connectionLost(const std::string& reason);
  void enterBackoff();
  void emit(Vm250Output&& output);
  void updateHealthFromParser();

  const RadiationPortalConfig config_;
  const Clock& clock_;
  const OccupancyCallback on_occupancy_;
  DeviceCounters counters_;
  HealthReporter reporter_;

  // Worker-thread state.
  State state_ = State::kConnect;
  Vm250Parser parser_;
  std::chrono::milliseconds backoff_;
  bool ever_connected_ = false;
  bool good_line_this_connection_ = false;
  std::string read_buffer_;

  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_{io_};
  boost::asio::steady_timer timer_{io_};        // connect timeout / backoff
  boost::asio::steady_timer stale_timer_{io_};  // no line for stale_after_ms
  std::thread worker_;
};

}  // namespace kordon::drivers
