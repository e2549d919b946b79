// SPDX-License-Identifier: Apache-2.0
#include "firmware/core/lane_core.hpp"

namespace kordon::firmware {
namespace {

constexpr std::uint16_t kInputAlarms =
    kAlarmLoopFault | kAlarmBarrierFault | kAlarmInputStale | kAlarmLimitConflict;

void setBit(std::uint16_t& bits, std::uint16_t bit, bool on) {
  bits = static_cast<std::uint16_t>(on ? (bits | bit) : (bits & ~bit));
}

}  // namespace

std::uint16_t encodeInputs(const Inputs& in) {
  std::uint16_t bits = 0;
  const bool fields[] = {in.presence_loop, in.safety_loop, in.photocell_broken, in.limit_open,
                         in.limit_closed,  in.loop_fault,  in.barrier_fault,    in.stale};
  for (int i = 0; i < 8; ++i) {
    if (fields[i]) bits = static_cast<std::uint16_t>(bits | (1U << i));
  }
  return bits;
}

Inputs decodeInputs(std::uint16_t bits) {
  auto bit = [bits](int i) { return (bits & (1U << i)) != 0; };
  Inputs in;
  in.presence_loop = bit(0);
  in.safety_loop = bit(1);
  in.photocell_broken = bit(2);
  in.limit_open = bit(3);
  in.limit_closed = bit(4);
  in.loop_fault = bit(5);
  in.barrier_fault = bit(6);
  in.stale = bit(7);
  return in;
}

std::uint16_t encodeOutputs(const Outputs& out) {
  return static_cast<std::uint16_t>((out.open_pulse ? 1U : 0U) | (out.close_pulse ? 2U : 0U) |
                                    (out.green_light ? 4U : 0U) | (out.alarm ? 8U : 0U));
}

LaneCore::LaneCore(const CoreConfig& config) : config_(config) {
  // S4: every output starts at rest. The heartbeat clock starts now: no heartbeat within the
  // timeout raises the alarm just as a lost one does.
  s_.heartbeat_left_ms = config_.heartbeat_timeout_ms;
}

bool LaneCore::occupied(const Inputs& in) {
  return in.presence_loop || in.safety_loop || in.photocell_broken || in.loop_fault || in.stale;
}

void LaneCore::onInputs(const Inputs& inputs, Effects& fx) {
  s_.inputs = inputs;
  updateInputAlarms();
  updateBarrierFromLimits();
  trackVehicles(occupied(inputs));
  settle(fx);
}

void LaneCore::onCommand(Command command, Effects& fx) {
  const bool occ = occupied(s_.inputs);
  switch (command) {
    case Command::kNone:
      break;
    case Command::kOpen:
      if (!s_.heartbeat_alive) {
        emit(Action::kOpenRefused, Reason::kNoHeartbeat, fx);
        break;
      }
      if (s_.inputs.barrier_fault || (s_.alarms & kAlarmLimitConflict) != 0) {
        emit(Action::kOpenRefused, Reason::kFault, fx);
        break;
      }
      // A new release: the vehicle already on the loops, if any, is the one released.
      s_.released = true;
      s_.vehicles = occ ? 1 : 0;
      s_.was_occupied = occ;
      s_.close_wanted = false;
      setBit(s_.alarms, kAlarmTailgating, false);
      startOpen(Reason::kCommand, fx);
      break;
    case Command::kClose:
      if (s_.barrier == BarrierState::kClosed) break;  // nothing to command
      if (s_.inputs.barrier_fault) {
        emit(Action::kCloseRefused, Reason::kFault, fx);
        break;
      }
      s_.close_wanted = true;
      s_.close_reason = Reason::kCommand;
      if (occ) emit(Action::kCloseDeferred, Reason::kOccupied, fx);
      break;
    case Command::kAckAlarms:
      setBit(s_.alarms, kAlarmTailgating | kAlarmMotionTimeout, false);
      emit(Action::kAlarmsAcked, Reason::kCommand, fx);
      break;
  }
  settle(fx);
}

void LaneCore::onHeartbeat() {
  s_.heartbeat_alive = true;
  s_.heartbeat_left_ms = config_.heartbeat_timeout_ms;
  setBit(s_.alarms, kAlarmHeartbeatLost, false);
}

void LaneCore::onElapsed(std::uint32_t dt_ms, Effects& fx) {
  if (s_.open_pulse || s_.close_pulse) {
    if (dt_ms >= s_.pulse_left_ms) {
      stopPulses();
    } else {
      s_.pulse_left_ms -= dt_ms;
    }
  }
  if (s_.motion_left_ms > 0) {
    if (dt_ms >= s_.motion_left_ms) {
      // No limit switch in time: the barrier is stuck, blocked or its contact is broken.
      s_.motion_left_ms = 0;
      s_.barrier = BarrierState::kUnknown;
      setBit(s_.alarms, kAlarmMotionTimeout, true);
      updateBarrierFromLimits();  // a contact still made says where the boom is
    } else {
      s_.motion_left_ms -= dt_ms;
    }
  }
  if (s_.heartbeat_left_ms > 0) {
    if (dt_ms >= s_.heartbeat_left_ms) {
      // S5: kordond is gone (or never came). Red light (outputs() needs a live heartbeat for
      // green), no open, and per configuration close once the lane is clear.
      s_.heartbeat_left_ms = 0;
      s_.heartbeat_alive = false;
      setBit(s_.alarms, kAlarmHeartbeatLost, true);
      emit(Action::kSafeState, Reason::kHeartbeatLost, fx);
      if (config_.heartbeat_loss == HeartbeatLoss::kCloseWhenClear &&
          s_.barrier != BarrierState::kClosed) {
        s_.close_wanted = true;
        s_.close_reason = Reason::kHeartbeatLost;
      }
    } else {
      s_.heartbeat_left_ms -= dt_ms;
    }
  }
  settle(fx);
}

Outputs LaneCore::outputs() const {
  Outputs out;
  out.open_pulse = s_.open_pulse;
  out.close_pulse = s_.close_pulse;
  // Green only for the released vehicle, towards an open barrier, with kordond alive and
  // nothing wrong.
  out.green_light = s_.released && s_.barrier == BarrierState::kOpen && s_.heartbeat_alive &&
                    s_.vehicles <= 1 && !s_.close_wanted && s_.alarms == 0;
  out.alarm = s_.alarms != 0;
  return out;
}

void LaneCore::settle(Effects& fx) {
  const bool occ = occupied(s_.inputs);
  if (occ) {
    // S1 and S2: nothing closes onto a vehicle. A running close pulse is cut, and a boom on
    // its way down goes back up, heartbeat or not: opening is the safe direction.
    if (s_.close_pulse) {
      emit(Action::kCutClose, Reason::kOccupied, fx);
      stopPulses();
    }
    if (s_.barrier == BarrierState::kClosing) {
      s_.close_wanted = true;  // close again once the lane is clear
      startOpen(Reason::kReverse, fx);
    }
    return;
  }
  const bool can_start_close =
      s_.barrier == BarrierState::kOpen || s_.barrier == BarrierState::kUnknown;
  if (s_.close_wanted && can_start_close && !s_.open_pulse && !s_.inputs.barrier_fault) {
    startClose(s_.close_reason, fx);
  }
}

void LaneCore::trackVehicles(bool occupied_now) {
  if (s_.released) {
    if (occupied_now && !s_.was_occupied) {
      if (s_.vehicles < 2) ++s_.vehicles;
      // S6: a second presence cycle under one open.
      if (s_.vehicles >= 2) setBit(s_.alarms, kAlarmTailgating, true);
    }
    if (!occupied_now && s_.was_occupied && s_.vehicles >= 1 && !s_.close_wanted) {
      s_.close_wanted = true;  // the released vehicle is through: close behind it
      s_.close_reason = Reason::kVehiclePassed;
    }
  }
  s_.was_occupied = occupied_now;
}

void LaneCore::updateInputAlarms() {
  const Inputs& in = s_.inputs;
  setBit(s_.alarms, kAlarmLoopFault, in.loop_fault);
  setBit(s_.alarms, kAlarmBarrierFault, in.barrier_fault);
  setBit(s_.alarms, kAlarmInputStale, in.stale);
  setBit(s_.alarms, kAlarmLimitConflict, in.limit_open && in.limit_closed);
  static_assert((kInputAlarms & kAlarmHeartbeatLost) == 0);
}

void LaneCore::updateBarrierFromLimits() {
  const bool lo = s_.inputs.limit_open;
  const bool lc = s_.inputs.limit_closed;
  if (lo && lc) return;  // contradictory contacts tell nothing; the alarm is raised
  BarrierState next = s_.barrier;
  if (lc) {
    // While opening, the closed contact stays made until the boom has lifted a little.
    if (s_.barrier != BarrierState::kOpening) next = BarrierState::kClosed;
  } else if (lo) {
    if (s_.barrier != BarrierState::kClosing) next = BarrierState::kOpen;
  } else if (s_.barrier == BarrierState::kClosed || s_.barrier == BarrierState::kOpen) {
    next = BarrierState::kUnknown;  // the boom moved without a command of ours
  }
  if (next == s_.barrier) return;
  s_.barrier = next;
  if (next == BarrierState::kClosed || next == BarrierState::kOpen) {
    s_.motion_left_ms = 0;
    setBit(s_.alarms, kAlarmMotionTimeout, false);
  }
  if (next == BarrierState::kClosed) {
    // The release is over: the next vehicle needs a new open.
    s_.released = false;
    s_.vehicles = 0;
    s_.close_wanted = false;
  }
}

void LaneCore::startOpen(Reason reason, Effects& fx) {
  s_.close_pulse = false;
  s_.open_pulse = true;
  s_.pulse_left_ms = config_.pulse_ms;
  if (s_.inputs.limit_open && !s_.inputs.limit_closed) {
    s_.barrier = BarrierState::kOpen;  // already there; the pulse is harmless
    s_.motion_left_ms = 0;
  } else {
    s_.barrier = BarrierState::kOpening;
    s_.motion_left_ms = config_.motion_timeout_ms;
  }
  emit(Action::kOpenPulse, reason, fx);
}

void LaneCore::startClose(Reason reason, Effects& fx) {
  s_.open_pulse = false;
  s_.close_pulse = true;
  s_.pulse_left_ms = config_.pulse_ms;
  s_.close_wanted = false;
  s_.barrier = BarrierState::kClosing;
  s_.motion_left_ms = config_.motion_timeout_ms;
  emit(Action::kClosePulse, reason, fx);
}

void LaneCore::stopPulses() {
  s_.open_pulse = false;
  s_.close_pulse = false;
  s_.pulse_left_ms = 0;
}

void LaneCore::emit(Action action, Reason reason, Effects& fx) const {
  if (fx.count >= Effects::kMax) return;  // cannot happen: a step emits at most three
  LogRecord& r = fx.records[fx.count++];
  r.action = action;
  r.reason = reason;
  r.barrier = s_.barrier;
  r.inputs = encodeInputs(s_.inputs);
  r.alarms = s_.alarms;
}

const char* toString(BarrierState state) {
  switch (state) {
    case BarrierState::kUnknown:
      return "unknown";
    case BarrierState::kClosed:
      return "closed";
    case BarrierState::kOpening:
      return "opening";
    case BarrierState::kOpen:
      return "open";
    case BarrierState::kClosing:
      return "closing";
  }
  return "?";
}

const char* toString(Action action) {
  switch (action) {
    case Action::kOpenPulse:
      return "open_pulse";
    case Action::kClosePulse:
      return "close_pulse";
    case Action::kOpenRefused:
      return "open_refused";
    case Action::kCloseDeferred:
      return "close_deferred";
    case Action::kCloseRefused:
      return "close_refused";
    case Action::kCutClose:
      return "close_cut";
    case Action::kSafeState:
      return "safe_state";
    case Action::kAlarmsAcked:
      return "alarms_acked";
  }
  return "?";
}

const char* toString(Reason reason) {
  switch (reason) {
    case Reason::kCommand:
      return "command";
    case Reason::kVehiclePassed:
      return "vehicle_passed";
    case Reason::kReverse:
      return "reverse";
    case Reason::kOccupied:
      return "occupied";
    case Reason::kNoHeartbeat:
      return "no_heartbeat";
    case Reason::kFault:
      return "fault";
    case Reason::kHeartbeatLost:
      return "heartbeat_lost";
  }
  return "?";
}

}  // namespace kordon::firmware
