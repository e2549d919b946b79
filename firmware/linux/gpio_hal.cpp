// SPDX-License-Identifier: Apache-2.0
#include "firmware/linux/gpio_hal.hpp"

namespace kordon::firmware {

GpioHal::GpioHal(GpioLines& lines, GpioMap map, std::function<void()> watchdog)
    : lines_(lines), map_(std::move(map)), watchdog_(std::move(watchdog)) {}

Status GpioHal::open() {
  for (const GpioLine* in :
       {&map_.presence_loop, &map_.safety_loop, &map_.photocell, &map_.limit_open,
        &map_.limit_closed, &map_.loop_fault, &map_.barrier_fault}) {
    if (in->offset < 0) continue;
    if (Status s = lines_.requestInput(static_cast<unsigned>(in->offset), in->active_low); !s) {
      return s;
    }
  }
  for (const GpioLine* out :
       {&map_.open_relay, &map_.close_relay, &map_.green_relay, &map_.alarm_relay}) {
    if (out->offset < 0) continue;
    if (Status s = lines_.requestOutput(static_cast<unsigned>(out->offset), out->active_low, 0);
        !s) {
      return s;
    }
  }
  return Status::ok();
}

bool GpioHal::read(const GpioLine& line, bool& ok) {
  if (line.offset < 0) return false;
  Result<int> value = lines_.get(static_cast<unsigned>(line.offset));
  if (!value) {
    ++read_errors_;
    ok = false;
    return false;
  }
  return *value != 0;
}

Inputs GpioHal::readInputs() {
  bool ok = true;
  Inputs in;
  in.presence_loop = read(map_.presence_loop, ok);
  in.safety_loop = read(map_.safety_loop, ok);
  // An unwired photocell counts as intact; a wired one reads 1 while its N.C. contact is made.
  in.photocell_broken = map_.photocell.offset >= 0 && !read(map_.photocell, ok);
  in.limit_open = read(map_.limit_open, ok);
  in.limit_closed = read(map_.limit_closed, ok);
  in.loop_fault = read(map_.loop_fault, ok);
  in.barrier_fault = read(map_.barrier_fault, ok);
  in.stale = !ok;
  return in;
}

void GpioHal::write(const GpioLine& line, bool value) {
  if (line.offset < 0) return;
  if (!lines_.set(static_cast<unsigned>(line.offset), value ? 1 : 0)) ++write_errors_;
}

void GpioHal::writeOutputs(const Outputs& outputs) {
  write(map_.open_relay, outputs.open_pulse);
  write(map_.close_relay, outputs.close_pulse);
  write(map_.green_relay, outputs.green_light);
  write(map_.alarm_relay, outputs.alarm);
}

void GpioHal::kickWatchdog() {
  if (watchdog_) watchdog_();
}

}  // namespace kordon::firmware
