// SPDX-License-Identifier: Apache-2.0
#pragma once

// The box's HAL: the lane's contacts and relays on GPIO lines (docs/LANE.md, wiring table).
// Inputs read as "condition present", except the photocell, whose N.C. contact reads 1 while
// the beam is intact: the HAL reports `photocell_broken = !line`, so a cut wire reads broken.
// Any failed read makes the whole scan stale (the core then treats the lane as occupied, S3);
// outputs are requested at 0, their rest state, before the first cycle (S4).
//
// Thread-safety: none; the controller loop owns it.

#include <cstdint>
#include <functional>
#include <string>

#include "firmware/core/hal.hpp"
#include "firmware/linux/gpio_lines.hpp"

namespace kordon::firmware {

struct GpioLine {
  int offset = -1;  // -1: not wired (inputs read "absent", outputs are dropped)
  bool active_low = false;
};

struct GpioMap {
  std::string chip = "gpiochip0";
  GpioLine presence_loop, safety_loop, photocell, limit_open, limit_closed, loop_fault,
      barrier_fault;
  GpioLine open_relay, close_relay, green_relay, alarm_relay;
};

class GpioHal final : public Hal {
 public:
  GpioHal(GpioLines& lines, GpioMap map, std::function<void()> watchdog);

  // Requests every wired line; outputs at rest.
  [[nodiscard]] Status open();

  Inputs readInputs() override;
  void writeOutputs(const Outputs& outputs) override;
  void kickWatchdog() override;

  std::uint64_t readErrors() const { return read_errors_; }
  std::uint64_t writeErrors() const { return write_errors_; }

 private:
  bool read(const GpioLine& line, bool& ok);
  void write(const GpioLine& line, bool value);

  GpioLines& lines_;
  GpioMap map_;
  std::function<void()> watchdog_;
  std::uint64_t read_errors_ = 0;
  std::uint64_t write_errors_ = 0;
};

}  // namespace kordon::firmware
