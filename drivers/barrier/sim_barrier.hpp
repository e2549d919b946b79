// SPDX-License-Identifier: Apache-2.0
#pragma once

// An in-process simulated barrier (STYLE.md §C "class seam"): it obeys every request after
// travel_ms and reports its positions with device health kGood. It has no safety logic of its
// own; the real one is the lane controller (firmware/, type "lane-modbus-*"), whose host build
// (kordon-sim-lane) is the barrier simulator for HIL tests. This stays for fast
// in-process tests of edge/kordond/lane.

#include <boost/asio/steady_timer.hpp>

#include "drivers/barrier/barrier.hpp"

namespace kordon::drivers {

class SimBarrier final : public Barrier {
 public:
  SimBarrier(BarrierConfig config, boost::asio::io_context& io, const Clock& clock,
             StatusCallback on_status);
  void start() override;
  void stop() override;
  void requestOpen(const std::string& command_id) override;
  void requestClose(const std::string& command_id) override;

 private:
  void move(msg::BarrierPosition through, msg::BarrierPosition to, const std::string& command_id);
  void report(msg::BarrierPosition position, const std::string& command_id);

  BarrierConfig config_;
  boost::asio::steady_timer timer_;
  const Clock& clock_;
  StatusCallback on_status_;
  msg::BarrierPosition position_ = msg::BarrierPosition::kClosed;
};

}  // namespace kordon::drivers
