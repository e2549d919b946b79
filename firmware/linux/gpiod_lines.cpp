// SPDX-License-Identifier: Apache-2.0
// GpioLines on libgpiod 1.6 (device-protocols.md §6): one gpiod_line per requested offset,
// released with the chip.

#include <cerrno>
#include <cstring>
#include <map>

#include <gpiod.h>

#include "firmware/linux/gpio_lines.hpp"

namespace kordon::firmware {
namespace {

Status gpioError(const std::string& context) {
  return Status::error(context + ": " + std::strerror(errno));
}

class GpiodLines final : public GpioLines {
 public:
  GpiodLines(gpiod_chip* chip, std::string consumer)
      : chip_(chip), consumer_(std::move(consumer)) {}
  ~GpiodLines() override {
    for (auto& [offset, line] : lines_) gpiod_line_release(line);
    gpiod_chip_close(chip_);
  }
  GpiodLines(const GpiodLines&) = delete;
  GpiodLines& operator=(const GpiodLines&) = delete;

  Status requestInput(unsigned offset, bool active_low) override {
    gpiod_line* line = gpiod_chip_get_line(chip_, offset);
    if (line == nullptr) return gpioError("line " + std::to_string(offset));
    const int flags = active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;
    if (gpiod_line_request_input_flags(line, consumer_.c_str(), flags) != 0) {
      return gpioError("request input line " + std::to_string(offset));
    }
    lines_[offset] = line;
    return Status::ok();
  }

  Status requestOutput(unsigned offset, bool active_low, int initial) override {
    gpiod_line* line = gpiod_chip_get_line(chip_, offset);
    if (line == nullptr) return gpioError("line " + std::to_string(offset));
    const int flags = active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;
    if (gpiod_line_request_output_flags(line, consumer_.c_str(), flags, initial) != 0) {
      return gpioError("request output line " + std::to_string(offset));
    }
    lines_[offset] = line;
    return Status::ok();
  }

  Result<int> get(unsigned offset) override {
    auto it = lines_.find(offset);
    if (it == lines_.end())
      return Status::error("line " + std::to_string(offset) + " not requested");
    const int value = gpiod_line_get_value(it->second);
    if (value < 0) return gpioError("read line " + std::to_string(offset));
    return value;
  }

  Status set(unsigned offset, int value) override {
    auto it = lines_.find(offset);
    if (it == lines_.end())
      return Status::error("line " + std::to_string(offset) + " not requested");
    if (gpiod_line_set_value(it->second, value) != 0) {
      return gpioError("write line " + std::to_string(offset));
    }
    return Status::ok();
  }

 private:
  gpiod_chip* chip_;
  std::string consumer_;
  std::map<unsigned, gpiod_line*> lines_;
};

}  // namespace

Result<std::unique_ptr<GpioLines>> openGpiodChip(const std::string& chip,
                                                 const std::string& consumer) {
  gpiod_chip* handle = gpiod_chip_open_lookup(chip.c_str());
  if (handle == nullptr) return gpioError("open gpio chip " + chip);
  return std::unique_ptr<GpioLines>(std::make_unique<GpiodLines>(handle, consumer));
}

}  // namespace kordon::firmware
