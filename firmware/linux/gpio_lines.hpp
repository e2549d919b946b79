// SPDX-License-Identifier: Apache-2.0
#pragma once

// The thin seam over libgpiod v1 (chardev uAPI). GpioHal talks to GpioLines, never to
// libgpiod, so unit tests substitute a fake chip (tests/unit/lane/gpio_hal_test.cpp) and the
// gpio-sim integration test runs the real GpiodLines against a kernel-simulated chip.
//
// Values are logical: with active_low the kernel inverts them, so 1 always means "asserted".
//
// Thread-safety: none; one thread (the controller loop) owns it.

#include <memory>
#include <string>

#include "edge/base/status.hpp"

namespace kordon::firmware {

class GpioLines {
 public:
  virtual ~GpioLines() = default;
  [[nodiscard]] virtual Status requestInput(unsigned offset, bool active_low) = 0;
  // Outputs start at `initial` from the moment of the request (rest = 0).
  [[nodiscard]] virtual Status requestOutput(unsigned offset, bool active_low, int initial) = 0;
  [[nodiscard]] virtual Result<int> get(unsigned offset) = 0;
  [[nodiscard]] virtual Status set(unsigned offset, int value) = 0;
};

// The production implementation: opens `chip` ("gpiochip0", "/dev/gpiochip0" or a label) via
// gpiod_chip_open_lookup(); requests carry `consumer` so gpioinfo names the owner.
Result<std::unique_ptr<GpioLines>> openGpiodChip(const std::string& chip,
                                                 const std::string& consumer);

}  // namespace kordon::firmware
