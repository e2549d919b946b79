// SPDX-License-Identifier: Apache-2.0
#pragma once

// kordond's barrier driver for the lane controller (firmware/, docs/LANE.md) over Modbus TCP
// or RTU, through a ModbusLink. kordond only asks; the controller decides whether opening or
// closing is safe (STYLE.md §E) and the driver reports what the controller says.
//
// State machine on a steady_timer, on its own worker thread (libmodbus blocks):
//   kConnect --ok--> kRun --link lost / kMaxConsecutiveFailures--> kBackoff --> kConnect
// In kRun each step: writes the heartbeat register when heartbeat_ms has passed, writes at
// most one queued command, then reads the status block. A BarrierStatus is published when the
// position or health changes, and once after each command, carrying that command's id (the
// lane matches "open" to its request by id).
// Health: kNotConnected (link down), kNoData (reads fail or decode fails), kDegraded (the
// controller reports a device fault alarm: motion timeout, loop or barrier fault, stale input,
// limit conflict), kGood otherwise. Refused and deferred commands are logged.
//
// Thread-safety: requestOpen()/requestClose() may be called from any thread (the control
// loop); they only queue. The StatusCallback runs on the worker thread: the factory wraps it in
// a post() to the control loop. start()/stop() from the owner thread; stepForTest() must not be
// mixed with start().

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "drivers/barrier/barrier.hpp"
#include "drivers/barrier/lane_registers.hpp"
#include "drivers/common/device_counters.hpp"
#include "drivers/common/modbus_link.hpp"
#include "edge/base/thread_annotations.hpp"

namespace kordon::drivers {

class LaneModbusBarrier final : public Barrier {
 public:
  static constexpr int kMaxConsecutiveFailures = 3;

  LaneModbusBarrier(BarrierConfig config, std::unique_ptr<ModbusLink>&& link,
                    StatusCallback on_status, const Clock& clock);
  ~LaneModbusBarrier() override;
  LaneModbusBarrier(const LaneModbusBarrier&) = delete;
  LaneModbusBarrier& operator=(const LaneModbusBarrier&) = delete;

  void start() override;
  void stop() override;
  void requestOpen(const std::string& command_id) override;
  void requestClose(const std::string& command_id) override;

  const DeviceCounters& counters() const { return counters_; }
  std::chrono::milliseconds stepForTest() { return step(); }

 private:
  std::chrono::milliseconds step();
  std::chrono::milliseconds runStep();
  std::chrono::milliseconds failed(const Status& error);
  void publish(msg::DeviceHealth health, msg::BarrierPosition position, bool force);
  void queue(lane::Command command, const std::string& command_id);
  void scheduleStep(std::chrono::milliseconds delay);

  const BarrierConfig config_;
  const std::unique_ptr<ModbusLink> link_;
  const StatusCallback on_status_;
  const Clock& clock_;
  DeviceCounters counters_;

  Mutex queue_mutex_;
  std::deque<std::pair<lane::Command, std::string>> queue_ GUARDED_BY(queue_mutex_);

  // Worker-thread state.
  bool connected_ = false;
  bool ever_connected_ = false;
  int consecutive_failures_ = 0;
  std::chrono::milliseconds backoff_;
  std::chrono::steady_clock::time_point next_heartbeat_{};
  std::uint16_t heartbeat_counter_ = 0;
  std::uint8_t sequence_ = 0;
  std::uint16_t last_command_value_ = 0;
  bool retrying_ = false;   // the last command write failed: resend the same value
  std::string command_id_;  // the last command written; carried by the statuses that follow
  bool reported_result_ = true;
  bool published_ = false;
  msg::DeviceHealth health_ = msg::DeviceHealth::kNoData;
  msg::BarrierPosition position_ = msg::BarrierPosition::kUnknown;

  boost::asio::io_context io_;
  boost::asio::steady_timer timer_{io_};
  std::thread worker_;
};

}  // namespace kordon::drivers
