// SPDX-License-Identifier: Apache-2.0
#pragma once

// Weighbridge driver for indicators streaming "Toledo continuous" frames (toledo_continuous.hpp,
// device-protocols.md §1.4), either on a serial line ("toledo-serial": boost::asio::serial_port,
// termios raw mode, baud/parity/data/stop bits from the config) or through a serial-to-Ethernet
// converter that passes the stream through on a TCP port ("toledo-tcp": a TCP client).
//
// State machine on the worker's io_context:
//   kConnect --ok--> kStream --link error / EOF / stale for 3 x stale_after_ms--> kBackoff
//   kConnect --fail--> kBackoff --backoff elapsed--> kConnect
// The backoff starts at backoff_initial_ms, doubles up to backoff_max_ms and returns to
// backoff_initial_ms after the next valid frame. A TCP connect is bounded by response_timeout_ms.
//
// Readings: one per valid frame (~7 Hz), plus one per poll_interval_ms tick while no valid frame
// arrives. Health:
//   kNotConnected  the link is down (connect failed, closed by the peer, read error)
//   kGood          this reading comes from a valid frame
//   kDegraded      a bad frame (length, CR, digits, checksum) or a frame the driver rejects
//                  (lb or other non-kg units), and the last valid frame is within stale_after_ms
//   kNoData        connected, no valid frame for stale_after_ms (silence, garbage, bad checksums)
// Only kGood carries a weight. Motion, out of range (over capacity -> kOverload, negative ->
// kUnderZero), under zero and "power-up, not zeroed" (-> kError) are states, never numbers.
// Net frames report gross = displayed + tare. Units: kg, and t converted to kg; lb frames are
// rejected (kDegraded/kNoData, state kError, counted in comms_errors), never converted: the
// lane compares against declared kg and a converted figure would not match the display.
// kStable additionally needs the StabilityFilter (indicator flag AND band/time), as for Modbus.
// A frozen indicator that keeps streaming the same frame is indistinguishable from a parked
// truck: the protocol has no heartbeat.
// Counters: readings (valid frames), comms_errors (bad or rejected frames), timeouts (each time
// the stream goes stale), reconnects (successful connects after the first).
//
// Thread-safety: as ModbusWeighbridge. The ReadingCallback runs on the worker thread;
// start()/stop() from one owner thread; counters() and health() from any thread.

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/serial_port.hpp>
#include <boost/asio/steady_timer.hpp>

#include "drivers/common/device_counters.hpp"
#include "drivers/weighbridge/toledo_continuous.hpp"
#include "drivers/weighbridge/weighbridge.hpp"
#include "drivers/weighbridge/weighbridge_publisher.hpp"
#include "drivers/weighbridge/weight_decoder.hpp"
#include "edge/base/clock.hpp"
#include "edge/msg/device_health.hpp"

namespace kordon::drivers {

// Maps a decoded frame to a sample (pure). Errors: units other than kg/t.
[[nodiscard]] Result<WeightSample> toledoWeightSample(const ToledoFrame& frame);

class ToledoWeighbridge final : public Weighbridge {
 public:
  enum class Transport { kTcp, kSerial };
  enum class State { kConnect, kStream, kBackoff };

  // Stale this many stale_after_ms in a row -> drop the link and reconnect.
  static constexpr int kReconnectAfterStalePeriods = 3;

  // `config` must pass checkWeighbridgeConfig(); `clock` must outlive the driver.
  ToledoWeighbridge(WeighbridgeConfig config, Transport transport, ReadingCallback on_reading,
                    const Clock& clock);
  ~ToledoWeighbridge() override;
  ToledoWeighbridge(const ToledoWeighbridge&) = delete;
  ToledoWeighbridge& operator=(const ToledoWeighbridge&) = delete;

  void start() override;
  void stop() override;
  const DeviceCounters& counters() const override { return counters_; }
  msg::DeviceHealth health() const { return publisher_.health(); }

 private:
  void connect();
  void onConnected();
  void startRead();
  void onBytes(std::size_t count);
  void onTick();
  void dropLink(const std::string& reason);
  void closeLink();
  void scheduleTick();
  std::string describe() const;

  const WeighbridgeConfig config_;
  const Transport transport_;
  const Clock& clock_;
  DeviceCounters counters_;

  // Touched only by the worker thread (or by stop() after joining it).
  State state_ = State::kConnect;
  ToledoFramer framer_;
  WeighbridgePublisher publisher_;  // owns the StabilityFilter and the published health
  std::chrono::milliseconds backoff_;
  bool ever_connected_ = false;
  bool stale_ = false;
  std::uint64_t generation_ = 0;  // bumped on every close; late handlers of older links return
  std::chrono::steady_clock::time_point connected_at_{};
  std::optional<std::chrono::steady_clock::time_point> last_good_at_;
  std::array<std::uint8_t, 512> read_buffer_{};

  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_{io_};
  boost::asio::serial_port serial_{io_};
  boost::asio::steady_timer state_timer_{io_};  // connect timeout / backoff
  boost::asio::steady_timer tick_timer_{io_};   // staleness watchdog
  std::thread worker_;
};

}  // namespace kordon::drivers
