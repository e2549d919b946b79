// SPDX-License-Identifier: Apache-2.0
#include "simulators/lane_sim/sim_hal.hpp"

namespace kordon::sim {

using firmware::Inputs;
using firmware::Outputs;

void SimHal::advance(std::uint32_t now_ms) {
  const std::uint32_t dt = started_ && now_ms > now_ms_ ? now_ms - now_ms_ : 0;
  started_ = true;
  now_ms_ = now_ms;
  if (world_.barrier_fault || world_.stuck) {
    direction_ = 0;
    return;
  }
  // The board's own safety input: a closing boom goes back up.
  if (direction_ < 0 && (world_.safety_loop || world_.photocell_broken)) direction_ = +1;
  if (direction_ > 0) {
    position_ms_ = position_ms_ + dt >= travel_ms_ ? travel_ms_ : position_ms_ + dt;
    if (position_ms_ == travel_ms_) direction_ = 0;
  } else if (direction_ < 0) {
    position_ms_ = dt >= position_ms_ ? 0 : position_ms_ - dt;
    if (position_ms_ == 0) direction_ = 0;
  }
}

Inputs SimHal::readInputs() {
  Inputs in;
  in.presence_loop = world_.presence_loop;
  in.safety_loop = world_.safety_loop;
  in.photocell_broken = world_.photocell_broken;
  in.limit_open = position_ms_ >= travel_ms_ || world_.limits_swapped_broken;
  in.limit_closed = position_ms_ == 0 || world_.limits_swapped_broken;
  in.loop_fault = world_.loop_fault;
  in.barrier_fault = world_.barrier_fault;
  in.stale = world_.stale;
  return in;
}

void SimHal::writeOutputs(const Outputs& outputs) {
  // The board reacts to the rising edge of a command contact.
  if (outputs.open_pulse && !outputs_.open_pulse) {
    ++open_pulses_;
    if (!world_.barrier_fault && !world_.stuck && position_ms_ < travel_ms_) direction_ = +1;
  }
  if (outputs.close_pulse && !outputs_.close_pulse) {
    ++close_pulses_;
    const bool safety_tripped = world_.safety_loop || world_.photocell_broken;
    if (!world_.barrier_fault && !world_.stuck && !safety_tripped && position_ms_ > 0) {
      direction_ = -1;
    }
  }
  outputs_ = outputs;
}

}  // namespace kordon::sim
