// SPDX-License-Identifier: Apache-2.0
#pragma once

// The lane controller's hardware abstraction. Two implementations: firmware/linux (libgpiod
// lines on the box) and simulators/lane_sim (a simulated barrier with travel time and limit
// switches, driven over HTTP in HIL tests). The core never sees which one runs.
//
// Thread-safety: called only from the controller's loop thread.

#include "firmware/core/lane_core.hpp"

namespace kordon::firmware {

class Hal {
 public:
  virtual ~Hal() = default;
  // Current inputs, converted to "true = condition present". A HAL that cannot read fresh
  // values sets `stale` (the core then treats the lane as occupied, S3).
  virtual Inputs readInputs() = 0;
  virtual void writeOutputs(const Outputs& outputs) = 0;
  // The hardware watchdog hook: called once per healthy control cycle.
  virtual void kickWatchdog() = 0;
};

}  // namespace kordon::firmware
