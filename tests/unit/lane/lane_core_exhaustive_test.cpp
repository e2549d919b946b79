// SPDX-License-Identifier: Apache-2.0
// Exhaustive check of the lane controller core (issue 5, "proof"): breadth-first over every
// sequence of events (each input toggled, each command, a heartbeat, two time steps, a
// restart) from power-on, checking every safety invariant after every step. States are
// deduplicated by their full contents (core state plus the checker's own shadow), so the
// search reaches its fixpoint: every reachable state and every transition out of it is checked,
// which covers every input sequence of any length. KORDON_SAFETY_MAX_DEPTH bounds the depth
// (for slow sanitizer builds); the default bound is far beyond the fixpoint.
//
// The shadow is the checker's own bookkeeping, written from the rules in DESIGN.md rather than
// from the core's code: time since the last heartbeat, vehicles seen since a granted open.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_set>
#include <vector>

#include <gtest/gtest.h>

#include "firmware/core/lane_core.hpp"

namespace kordon::firmware {
namespace {

enum class EventKind { kToggle, kCommand, kHeartbeat, kElapse, kRestart };
struct Event {
  EventKind kind;
  int arg;  // input bit, Command, or milliseconds
};

struct Shadow {
  std::uint32_t since_heartbeat_ms = 0;  // capped at the timeout
  bool released = false;
  std::uint8_t vehicles = 0;  // capped at 2
  bool tailgate_expected = false;
};

struct Node {
  LaneCore core;
  Shadow shadow;
};

struct Key {
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  bool operator==(const Key&) const = default;
};
struct KeyHash {
  std::size_t operator()(const Key& k) const { return k.a * 0x9E3779B97F4A7C15ULL ^ k.b; }
};

// Packs every field; each counter fits in 16 bits with the small test configuration.
Key keyOf(const Node& n) {
  const CoreState& s = n.core.state();
  Key k;
  k.a = static_cast<std::uint64_t>(s.barrier) | std::uint64_t{encodeInputs(s.inputs)} << 3 |
        std::uint64_t{s.open_pulse} << 11 | std::uint64_t{s.close_pulse} << 12 |
        std::uint64_t{s.heartbeat_alive} << 13 | std::uint64_t{s.released} << 14 |
        std::uint64_t{s.vehicles} << 15 | std::uint64_t{s.close_wanted} << 17 |
        static_cast<std::uint64_t>(s.close_reason) << 18 | std::uint64_t{s.was_occupied} << 21 |
        std::uint64_t{s.alarms} << 22 | std::uint64_t{n.shadow.released} << 38 |
        std::uint64_t{n.shadow.vehicles} << 39 | std::uint64_t{n.shadow.tailgate_expected} << 41;
  k.b = std::uint64_t{s.pulse_left_ms} | std::uint64_t{s.motion_left_ms} << 16 |
        std::uint64_t{s.heartbeat_left_ms} << 32 | std::uint64_t{n.shadow.since_heartbeat_ms} << 48;
  return k;
}

CoreConfig testConfig(HeartbeatLoss loss) {
  CoreConfig c;
  c.pulse_ms = 500;
  c.motion_timeout_ms = 1500;
  c.heartbeat_timeout_ms = 1000;
  c.heartbeat_loss = loss;
  return c;
}

std::vector<Event> allEvents() {
  std::vector<Event> events;
  for (int bit = 0; bit < 8; ++bit) events.push_back({EventKind::kToggle, bit});
  for (Command c : {Command::kOpen, Command::kClose, Command::kAckAlarms}) {
    events.push_back({EventKind::kCommand, static_cast<int>(c)});
  }
  events.push_back({EventKind::kHeartbeat, 0});
  events.push_back({EventKind::kElapse, 500});    // one pulse length: every countdown boundary
  events.push_back({EventKind::kElapse, 10000});  // a long silence: every timeout at once
  events.push_back({EventKind::kRestart, 0});
  return events;
}

std::string describe(const Event& e) {
  switch (e.kind) {
    case EventKind::kToggle:
      return "toggle input bit " + std::to_string(e.arg);
    case EventKind::kCommand:
      return "command " + std::to_string(e.arg);
    case EventKind::kHeartbeat:
      return "heartbeat";
    case EventKind::kElapse:
      return "elapse " + std::to_string(e.arg) + " ms";
    case EventKind::kRestart:
      return "restart";
  }
  return "?";
}

// Applies one event; returns false (with a message) when an invariant breaks.
bool step(const Node& pre, const Event& e, Node& post, std::string& why) {
  post = pre;
  Effects fx;
  const CoreConfig& config = pre.core.config();
  switch (e.kind) {
    case EventKind::kToggle: {
      const auto bits =
          static_cast<std::uint16_t>(encodeInputs(pre.core.state().inputs) ^ (1U << e.arg));
      post.core.onInputs(decodeInputs(bits), fx);
      break;
    }
    case EventKind::kCommand:
      post.core.onCommand(static_cast<Command>(e.arg), fx);
      break;
    case EventKind::kHeartbeat:
      post.core.onHeartbeat();
      post.shadow.since_heartbeat_ms = 0;
      break;
    case EventKind::kElapse:
      post.core.onElapsed(static_cast<std::uint32_t>(e.arg), fx);
      post.shadow.since_heartbeat_ms = std::min<std::uint32_t>(
          post.shadow.since_heartbeat_ms + static_cast<std::uint32_t>(e.arg),
          config.heartbeat_timeout_ms);
      break;
    case EventKind::kRestart: {
      const Inputs wired = pre.core.state().inputs;  // the world does not restart
      post.core = LaneCore(config);
      post.shadow = Shadow{};
      // S4: every output at rest after a restart, before and after the first input scan.
      if (!(post.core.outputs() == Outputs{})) {
        why = "S4: outputs not at rest after restart";
        return false;
      }
      post.core.onInputs(wired, fx);
      const Outputs out = post.core.outputs();
      if (out.open_pulse || out.close_pulse || out.green_light) {
        why = "S4: a command or green light right after restart";
        return false;
      }
      break;
    }
  }

  const CoreState& a = pre.core.state();
  const CoreState& s = post.core.state();
  const Outputs out = post.core.outputs();
  const bool occ = s.inputs.presence_loop || s.inputs.safety_loop || s.inputs.photocell_broken ||
                   s.inputs.loop_fault || s.inputs.stale;  // S3, restated independently
  const bool was_occ = a.inputs.presence_loop || a.inputs.safety_loop ||
                       a.inputs.photocell_broken || a.inputs.loop_fault || a.inputs.stale;

  // Shadow of S6: vehicles since the open kordond was granted, until the barrier is closed.
  Shadow& sh = post.shadow;
  bool open_granted = false;
  for (int i = 0; i < fx.count; ++i) {
    open_granted |=
        fx.records[i].action == Action::kOpenPulse && fx.records[i].reason == Reason::kCommand;
  }
  if (e.kind != EventKind::kRestart) {
    if (s.barrier == BarrierState::kClosed) {
      sh.released = false;  // a closed boom ends the release before anyone else can pass
      sh.vehicles = 0;
    } else if (open_granted) {
      sh.released = true;
      sh.vehicles = occ ? 1 : 0;
      sh.tailgate_expected = false;
    } else if (sh.released && occ && !was_occ && sh.vehicles < 2) {
      if (++sh.vehicles == 2) sh.tailgate_expected = true;
    }
    if (e.kind == EventKind::kCommand && static_cast<Command>(e.arg) == Command::kAckAlarms) {
      sh.tailgate_expected = false;
    }
  }

  if (out.close_pulse && occ) return why = "S1: close pulse while occupied", false;
  if (out.open_pulse && out.close_pulse) return why = "open and close pulse together", false;
  if (s.barrier == BarrierState::kClosing && occ) {
    return why = "S2: still closing onto an occupied lane", false;
  }
  if (a.barrier == BarrierState::kClosing && occ && s.barrier != BarrierState::kClosed &&
      e.kind == EventKind::kToggle && !out.open_pulse) {
    return why = "S2: presence during closing did not reverse", false;
  }
  if (!s.heartbeat_alive && out.green_light) return why = "S5: green without heartbeat", false;
  if (sh.since_heartbeat_ms >= config.heartbeat_timeout_ms &&
      ((s.alarms & kAlarmHeartbeatLost) == 0 || !out.alarm || s.heartbeat_alive)) {
    return why = "S5: heartbeat timed out without the alarm", false;
  }
  if (sh.tailgate_expected && ((s.alarms & kAlarmTailgating) == 0 || !out.alarm)) {
    return why = "S6: second vehicle under one open without the tailgating alarm", false;
  }
  if (out.green_light && (s.barrier != BarrierState::kOpen || sh.vehicles > 1 || !sh.released)) {
    return why = "green light for anything but one released vehicle at an open barrier", false;
  }
  bool logged_open = false;
  bool logged_close = false;
  for (int i = 0; i < fx.count; ++i) {
    const LogRecord& r = fx.records[i];
    if (r.inputs != encodeInputs(s.inputs)) return why = "S7: record without its inputs", false;
    if (r.action == Action::kOpenPulse) {
      logged_open = true;
      if (r.reason != Reason::kReverse && !s.heartbeat_alive) {
        return why = "S5: open without heartbeat", false;
      }
    }
    if (r.action == Action::kClosePulse) {
      logged_close = true;
      if (s.inputs.barrier_fault) return why = "close pulse on a faulted barrier", false;
    }
  }
  if (out.open_pulse && !a.open_pulse && !logged_open) return why = "S7: open not logged", false;
  if (out.close_pulse && !a.close_pulse && !logged_close) {
    return why = "S7: close not logged", false;
  }
  return true;
}

struct Result {
  int depth = 0;
  std::size_t states = 0;
  std::size_t transitions = 0;
  bool fixpoint = false;
};

Result explore(HeartbeatLoss loss, int max_depth) {
  const std::vector<Event> events = allEvents();
  std::unordered_set<Key, KeyHash> seen;
  std::vector<Node> frontier{Node{LaneCore(testConfig(loss)), Shadow{}}};
  seen.insert(keyOf(frontier.front()));
  Result result;
  std::string why;
  Node next{LaneCore(testConfig(loss)), Shadow{}};
  while (!frontier.empty() && result.depth < max_depth) {
    std::vector<Node> deeper;
    for (const Node& node : frontier) {
      for (const Event& e : events) {
        ++result.transitions;
        if (!step(node, e, next, why)) {
          ADD_FAILURE() << why << " after " << describe(e) << " at depth " << result.depth + 1
                        << " (barrier " << toString(node.core.state().barrier) << ", inputs 0x"
                        << std::hex << encodeInputs(node.core.state().inputs) << ")";
          return result;
        }
        if (seen.insert(keyOf(next)).second) deeper.push_back(next);
      }
    }
    frontier.swap(deeper);
    if (!frontier.empty()) ++result.depth;
  }
  result.states = seen.size();
  result.fixpoint = frontier.empty();
  return result;
}

int maxDepth() {
  if (const char* env = std::getenv("KORDON_SAFETY_MAX_DEPTH")) return std::atoi(env);
  return 1000;
}

void run(HeartbeatLoss loss, const char* name) {
  const auto t0 = std::chrono::steady_clock::now();
  const Result r = explore(loss, maxDepth());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf(
      "[ safety ] heartbeat_loss=%s: depth %d, %zu distinct states, %zu transitions, "
      "%s, %.2f s\n",
      name, r.depth, r.states, r.transitions,
      r.fixpoint ? "fixpoint reached (all reachable states)" : "depth-bounded", seconds);
  EXPECT_GT(r.states, 1000U);
}

TEST(LaneCoreExhaustive, EveryReachableStateKeepsTheInvariantsCloseWhenClear) {
  run(HeartbeatLoss::kCloseWhenClear, "close_when_clear");
}

TEST(LaneCoreExhaustive, EveryReachableStateKeepsTheInvariantsHold) {
  run(HeartbeatLoss::kHold, "hold");
}

}  // namespace
}  // namespace kordon::firmware
