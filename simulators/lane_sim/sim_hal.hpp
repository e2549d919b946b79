// SPDX-License-Identifier: Apache-2.0
#pragma once

// The host HAL: a simulated barrier and lane, so the real controller (core, command log,
// Modbus server) runs as the barrier simulator in HIL tests (STYLE.md §C, AP_Periph SITL).
//
// Physics: the boom's position runs from 0 (closed) to travel_ms (open). An open pulse starts
// it rising, a close pulse lowering, each at 1 per ms; the limit contacts close at the ends.
// Like a real barrier board (device-protocols.md §5) the simulated board reverses by itself
// when its safety inputs (safety loop, photocell) trip while closing: the primary protection.
// Vehicles are the test's business: it sets loops and photocell through the control surface.
//
// Thread-safety: none; the owner holds its lock around every call.

#include <cstdint>

#include "firmware/core/hal.hpp"

namespace kordon::sim {

struct SimWorld {
  bool presence_loop = false;
  bool safety_loop = false;
  bool photocell_broken = false;
  bool loop_fault = false;
  bool barrier_fault = false;
  bool stale = false;                  // the simulated input scan fails
  bool stuck = false;                  // the boom does not move (motor or gearbox fault)
  bool limits_swapped_broken = false;  // both limit contacts read made (wiring fault)
};

class SimHal final : public firmware::Hal {
 public:
  explicit SimHal(std::uint32_t travel_ms) : travel_ms_(travel_ms) {}

  // Advances the physics to now_ms (monotonic).
  void advance(std::uint32_t now_ms);

  firmware::Inputs readInputs() override;
  void writeOutputs(const firmware::Outputs& outputs) override;
  void kickWatchdog() override { ++watchdog_kicks_; }

  SimWorld& world() { return world_; }
  const firmware::Outputs& outputs() const { return outputs_; }
  std::uint32_t positionMs() const { return position_ms_; }
  std::uint32_t travelMs() const { return travel_ms_; }
  int direction() const { return direction_; }  // +1 rising, -1 lowering, 0 still
  std::uint64_t watchdogKicks() const { return watchdog_kicks_; }
  std::uint32_t openPulses() const { return open_pulses_; }
  std::uint32_t closePulses() const { return close_pulses_; }

 private:
  std::uint32_t travel_ms_;
  std::uint32_t position_ms_ = 0;  // starts closed
  int direction_ = 0;
  std::uint32_t now_ms_ = 0;
  bool started_ = false;
  SimWorld world_;
  firmware::Outputs outputs_;
  std::uint64_t watchdog_kicks_ = 0;
  std::uint32_t open_pulses_ = 0;
  std::uint32_t close_pulses_ = 0;
};

}  // namespace kordon::sim
