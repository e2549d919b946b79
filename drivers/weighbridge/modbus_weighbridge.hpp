// SPDX-License-Identifier: Apache-2.0
#pragma once

// Weighbridge driver for indicators with a Modbus register map (Laumas, Flintec; see
// register_map.hpp), over any ModbusLink. The daemon builds it with makeWeighbridge(); tests
// construct it directly with a FakeModbusLink.
//
// State machine on a steady_timer (PX4 ICM42688P::STATE):
//   kConnect --ok--> kPoll --every poll_interval_ms--> kPoll
//   kConnect --fail--> kBackoff --backoff elapsed--> kConnect
//   kPoll --link lost, or kMaxConsecutiveFailures failed polls--> kBackoff
// The backoff starts at backoff_initial_ms, doubles up to backoff_max_ms, and returns to
// backoff_initial_ms after the next good sample.
//
// Every connect failure and every poll outcome becomes one msg::WeightReading. Health:
//   kNotConnected  the link is down (connect failed, or the link was dropped)
//   kDegraded      connected, this poll failed, the last good sample is within stale_after_ms
//   kNoData        connected, this poll failed, no good sample within stale_after_ms
//   kGood          this poll returned a decodable block
//   kNoData        also: the map has a heartbeat (flintec-ft111) and it has not changed for
//                  stale_after_ms. A frozen indicator answers every poll, but with data as old
//                  as its last heartbeat, so this is "no data", not "degraded": no weight, state
//                  kError, the StabilityFilter restarts; counted once per episode in timeouts.
//                  The link is kept (it works); a changing heartbeat returns to kGood. Within
//                  the first stale_after_ms of a freeze the frozen value is still reported.
// Only a kGood reading carries a weight; any other health has state kError and gross_kg 0, so
// the driver never repeats an old number. kStable additionally needs the StabilityFilter.
// Counters: readings (good polls), timeouts, comms_errors (other failed polls, including
// undecodable blocks), reconnects (successful connects after the first). Failed connect
// attempts are not counted; health says not_connected. The driver logs on health changes only.
//
// Thread-safety: start() runs the state machine on a worker thread with its own io_context,
// because libmodbus calls block (for at most response_timeout_ms). The ReadingCallback runs on
// that worker thread and must not throw or block; the daemon post()s the reading into its
// control loop. start()/stop() are called from one owner thread, never from the callback (stop()
// joins the worker). counters() and health() may be read from any thread. stepForTest() must
// not be mixed with start().

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "drivers/common/device_counters.hpp"
#include "drivers/common/modbus_link.hpp"
#include "drivers/weighbridge/register_map.hpp"
#include "drivers/weighbridge/weighbridge.hpp"
#include "drivers/weighbridge/weighbridge_publisher.hpp"
#include "drivers/weighbridge/weight_decoder.hpp"
#include "edge/base/clock.hpp"
#include "edge/msg/device_health.hpp"

namespace kordon::drivers {

// Rejects configurations the driver cannot run with (non-positive intervals, backoff_max_ms
// below backoff_initial_ms, ...), naming the field. makeWeighbridge() calls it.
Status checkWeighbridgeConfig(const WeighbridgeConfig& config);

class ModbusWeighbridge final : public Weighbridge {
 public:
  enum class State { kConnect, kPoll, kBackoff };

  // Failed polls in a row after which the link is dropped and reopened: a TCP connection that
  // stays up while the device behind it answers nothing is as good as down.
  static constexpr int kMaxConsecutiveFailures = 3;

  // `config` must pass checkWeighbridgeConfig(). `map` and `clock` must outlive the driver.
  ModbusWeighbridge(WeighbridgeConfig config, const RegisterMap& map,
                    std::unique_ptr<ModbusLink>&& link, ReadingCallback on_reading,
                    const Clock& clock);
  ~ModbusWeighbridge() override;
  ModbusWeighbridge(const ModbusWeighbridge&) = delete;
  ModbusWeighbridge& operator=(const ModbusWeighbridge&) = delete;

  void start() override;
  void stop() override;
  const DeviceCounters& counters() const override { return counters_; }
  msg::DeviceHealth health() const { return publisher_.health(); }

  // Runs one state-machine step on the calling thread and returns the delay the timer would wait
  // before the next one, so unit tests drive the driver deterministically with a fake clock.
  std::chrono::milliseconds stepForTest() { return step(); }
  State stateForTest() const { return state_; }

 private:
  std::chrono::milliseconds step();
  std::chrono::milliseconds connectStep();
  std::chrono::milliseconds pollStep();
  std::chrono::milliseconds pollFailed(const Status& error);
  std::chrono::milliseconds enterBackoff();
  // Tracks the map's heartbeat; true when it has not changed for more than stale_after_ms.
  bool heartbeatFrozen(std::span<const std::uint16_t> block,
                       std::chrono::steady_clock::time_point sampled_at);
  void scheduleStep(std::chrono::milliseconds delay);

  const WeighbridgeConfig config_;
  const RegisterMap& map_;
  const std::unique_ptr<ModbusLink> link_;
  const Clock& clock_;
  DeviceCounters counters_;

  // State-machine state: touched only by the thread running step().
  State state_ = State::kConnect;
  WeighbridgePublisher publisher_;  // owns the StabilityFilter and the published health
  std::chrono::milliseconds backoff_;
  int consecutive_failures_ = 0;
  bool ever_connected_ = false;
  std::optional<std::chrono::steady_clock::time_point> last_good_at_;
  std::optional<std::uint32_t> heartbeat_;
  std::chrono::steady_clock::time_point heartbeat_changed_at_{};
  bool heartbeat_frozen_ = false;

  boost::asio::io_context io_;
  boost::asio::steady_timer timer_{io_};
  std::thread worker_;
};

}  // namespace kordon::drivers
