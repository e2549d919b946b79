// SPDX-License-Identifier: Apache-2.0
#pragma once

// The lane controller's state machine: barrier, traffic light, loops, photocell, fault inputs,
// kordond's heartbeat. Portable and deterministic: no OS calls, no heap, no exceptions, no
// clock of its own. The owner (LaneController) feeds it inputs, commands and elapsed time, and
// copies its outputs to the HAL. Because every call is a pure step on a small value type, the
// exhaustive safety test can copy a core, try every event on it and compare states by bytes.
//
// Safety rules (DESIGN.md "Barrier safety", device-protocols.md §5), and where they live:
//   S1 no close pulse while occupied      -> startClose() refuses; settle() cuts a running pulse
//   S2 presence while closing reverses     -> settle(), reason kReverse
//   S3 stale or faulty input = occupied    -> occupied()
//   S4 outputs at rest after restart       -> LaneCore() leaves every output off
//   S5 heartbeat lost -> safe state, alarm -> onElapsed(), config.heartbeat_loss
//   S6 one release = one vehicle           -> trackVehicles(): auto-close after one passage,
//                                             a second presence cycle raises kTailgating
//   S7 every command logged with inputs    -> every pulse and refusal emits a LogRecord
// docs/LANE.md has the state table; tests/safety/lane_core_exhaustive_test.cpp checks them all.
//
// Thread-safety: none; one owner calls it from one thread.

#include <cstdint>

namespace kordon::firmware {

// What the HAL read, already converted to "true = the condition is present" (the N.C. wiring
// of the photocell is undone by the HAL, so `photocell_broken` true means beam interrupted).
struct Inputs {
  bool presence_loop = false;  // vehicle on the presence (arming) loop
  bool safety_loop = false;    // vehicle on the safety loop under the boom
  bool photocell_broken = false;
  bool limit_open = false;     // barrier's "fully open" contact
  bool limit_closed = false;   // barrier's "fully closed" contact
  bool loop_fault = false;     // loop detector fault relay
  bool barrier_fault = false;  // barrier board fault / emergency stop
  bool stale = false;          // the HAL could not read fresh values (set by the HAL, not wired)

  bool operator==(const Inputs&) const = default;
};

std::uint16_t encodeInputs(const Inputs& in);  // bit i = field i in declaration order
Inputs decodeInputs(std::uint16_t bits);

// Relay outputs. false is the de-energised rest state of every one of them: no command, red
// light (the light relay energises green), no alarm.
struct Outputs {
  bool open_pulse = false;
  bool close_pulse = false;
  bool green_light = false;
  bool alarm = false;

  bool operator==(const Outputs&) const = default;
};

std::uint16_t encodeOutputs(const Outputs& out);

enum class BarrierState : std::uint8_t { kUnknown, kClosed, kOpening, kOpen, kClosing };

// Latched conditions, as bits of `alarms`.
enum Alarm : std::uint16_t {
  kAlarmHeartbeatLost = 1U << 0,
  kAlarmTailgating = 1U << 1,
  kAlarmMotionTimeout = 1U << 2,
  kAlarmLoopFault = 1U << 3,
  kAlarmBarrierFault = 1U << 4,
  kAlarmInputStale = 1U << 5,
  kAlarmLimitConflict = 1U << 6,  // both limit switches at once
};

enum class Command : std::uint8_t { kNone, kOpen, kClose, kAckAlarms };

// What a log record says was done, and why.
enum class Action : std::uint8_t {
  kOpenPulse = 1,
  kClosePulse = 2,
  kOpenRefused = 3,
  kCloseDeferred = 4,  // close wanted but the lane is occupied; it starts when clear
  kCloseRefused = 5,
  kCutClose = 6,   // a running close pulse was cut because the lane became occupied
  kSafeState = 7,  // heartbeat lost
  kAlarmsAcked = 8,
};

enum class Reason : std::uint8_t {
  kCommand = 1,        // kordond asked
  kVehiclePassed = 2,  // the released vehicle left the loops: auto-close
  kReverse = 3,        // presence while closing
  kOccupied = 4,
  kNoHeartbeat = 5,
  kFault = 6,
  kHeartbeatLost = 7,
};

// One command with the inputs that justified it (S7). Fixed size, no strings.
struct LogRecord {
  std::uint32_t seq = 0;      // 1, 2, ... set by the CommandLog
  std::uint32_t time_ms = 0;  // controller uptime, set by the owner
  Action action = Action::kOpenPulse;
  Reason reason = Reason::kCommand;
  BarrierState barrier = BarrierState::kUnknown;
  std::uint16_t inputs = 0;  // encodeInputs()
  std::uint16_t alarms = 0;
};

// Records produced by one step; the owner appends them to its CommandLog.
struct Effects {
  static constexpr int kMax = 4;
  LogRecord records[kMax];
  int count = 0;
};

enum class HeartbeatLoss : std::uint8_t {
  kHold,            // red light, no open; the barrier stays where it is
  kCloseWhenClear,  // red light, no open; close once the lane is clear
};

struct CoreConfig {
  std::uint32_t pulse_ms = 500;            // relay pulse length (device-protocols.md §5: 300-1000)
  std::uint32_t motion_timeout_ms = 6000;  // from the pulse to the limit switch
  std::uint32_t heartbeat_timeout_ms = 3000;
  HeartbeatLoss heartbeat_loss = HeartbeatLoss::kCloseWhenClear;
};

// The whole mutable state: small, trivially copyable, no padding holes left undefined (every
// member is initialised), so the exhaustive test can hash it by fields.
struct CoreState {
  BarrierState barrier = BarrierState::kUnknown;
  Inputs inputs;
  bool open_pulse = false;
  bool close_pulse = false;
  std::uint32_t pulse_left_ms = 0;
  std::uint32_t motion_left_ms = 0;
  std::uint32_t heartbeat_left_ms = 0;
  bool heartbeat_alive = false;  // false until kordond's first heartbeat (no open before it)
  bool released = false;         // an open was granted; ends when the barrier is closed
  std::uint8_t vehicles = 0;     // presence cycles begun under the current release, capped at 2
  bool close_wanted = false;     // close as soon as the lane is clear
  Reason close_reason = Reason::kCommand;
  bool was_occupied = false;
  std::uint16_t alarms = 0;

  bool operator==(const CoreState&) const = default;
};

class LaneCore {
 public:
  explicit LaneCore(const CoreConfig& config);

  void onInputs(const Inputs& inputs, Effects& fx);
  void onCommand(Command command, Effects& fx);
  void onHeartbeat();
  void onElapsed(std::uint32_t dt_ms, Effects& fx);

  Outputs outputs() const;
  const CoreState& state() const { return s_; }
  const CoreConfig& config() const { return config_; }
  // S3: stale and faulty inputs count as a vehicle.
  static bool occupied(const Inputs& in);

 private:
  void settle(Effects& fx);  // applies every rule that depends on the current state
  void trackVehicles(bool occupied_now);
  void updateBarrierFromLimits();
  void updateInputAlarms();
  void startOpen(Reason reason, Effects& fx);
  void startClose(Reason reason, Effects& fx);
  void stopPulses();
  void emit(Action action, Reason reason, Effects& fx) const;

  CoreConfig config_;
  CoreState s_;
};

const char* toString(BarrierState state);
const char* toString(Action action);
const char* toString(Reason reason);

}  // namespace kordon::firmware
