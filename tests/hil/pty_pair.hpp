// SPDX-License-Identifier: Apache-2.0
#pragma once

// A null-modem cable for serial HIL tests: socat joins two pseudo-terminals, so a simulator
// opens one end and the driver under test the other, each as if it were /dev/ttyUSB0.
//
//   auto pty = test::startPtyPair(dir);     // dir/a <-> dir/b, socat log in dir/socat.log
//   ASSERT_TRUE(pty) << pty.status().message();
//   sim on pty->a, driver with serial_device = pty->b
//
// socat runs as `socat -d -d pty,raw,echo=0,link=DIR/a pty,raw,echo=0,link=DIR/b` (installed by
// scripts/setup.sh). Baud, parity and stop bits set on a pty are accepted and ignored, so the
// line settings of both ends need not match; framing, CRC and timing of the protocol are real.
// The pair lives as long as the PtyPair; closing one end for good may end socat.
//
// Thread-safety: as test::Process; a PtyPair belongs to one thread.

#include <chrono>
#include <string>

#include "edge/base/status.hpp"
#include "tests/hil/process.hpp"

namespace kordon::test {

struct PtyPair {
  std::string a;  // DIR/a, a symlink to /dev/pts/N
  std::string b;  // DIR/b
  Process socat;
};

// Starts socat and waits (up to `timeout`) until both links exist. `dir` must exist.
[[nodiscard]] Result<PtyPair> startPtyPair(
    const std::string& dir, std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace kordon::test
