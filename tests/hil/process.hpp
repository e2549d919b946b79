// SPDX-License-Identifier: Apache-2.0
#pragma once

// Child processes for HIL tests: simulators and the daemon run as real processes, each with
// its stdout and stderr appended to a log file the test names, so a failure can be diagnosed
// from the log. Ports come from freeLoopbackPort() (Mosquitto mosq_test.get_port()).
//
//   auto sim = Process::spawn({KORDON_BIN_DIR "/kordon-sim-weighbridge", "--modbus", ...},
//                             dir + "/sim.log");
//   ASSERT_TRUE(sim) << sim.status().message();
//   ASSERT_TRUE(waitForTcpPort("127.0.0.1", port, std::chrono::seconds(5)));
//
// Thread-safety: a Process object belongs to one thread. The free functions are thread-safe.

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "edge/base/status.hpp"

#include <sys/types.h>

namespace kordon::test {

// How a child ended, decoded from waitpid().
struct ExitStatus {
  bool exited = false;  // true: returned or called exit(); false: killed by a signal
  int code = 0;         // exit code when exited
  int signal = 0;       // terminating signal when !exited

  bool cleanExit() const { return exited && code == 0; }
  std::string toString() const;  // "exit code 0", "killed by signal 9 (Killed)"
};

class Process {
 public:
  // Starts argv[0] (looked up in PATH when it has no '/') with argv. `env` holds "NAME=value"
  // entries added to, or replacing, this process's environment. stdout and stderr are appended
  // to `log_path` (created if missing). SIGINT, SIGTERM and SIGPIPE start with default
  // dispositions and no signals blocked, whatever the test runner did.
  [[nodiscard]] static Result<Process> spawn(const std::vector<std::string>& argv,
                                             const std::string& log_path,
                                             const std::vector<std::string>& env = {});

  Process(Process&& other) noexcept;
  Process& operator=(Process&& other) noexcept;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();  // terminate()s a child that is still running

  pid_t pid() const { return pid_; }  // still valid, for logs, after the child is reaped
  const std::string& logPath() const { return log_path_; }

  // Reaps the child if it has ended; false once it has.
  bool isRunning();
  // The exit status once the child has been reaped.
  const ExitStatus& exitStatus() const { return exit_status_; }

  // Sends `signal` (SIGKILL simulates a crash); does not wait.
  [[nodiscard]] Status sendSignal(int signal);
  // Waits up to `timeout` for the child to end.
  [[nodiscard]] Result<ExitStatus> wait(std::chrono::milliseconds timeout);
  // SIGTERM, then SIGKILL if it has not ended after `grace`. Returns how it ended.
  Result<ExitStatus> terminate(std::chrono::milliseconds grace = std::chrono::seconds(3));

 private:
  Process(pid_t pid, std::string log_path)
      : pid_(pid), running_(true), log_path_(std::move(log_path)) {}

  pid_t pid_ = -1;
  bool running_ = false;  // spawned and not yet reaped; false once moved from
  std::string log_path_;
  ExitStatus exit_status_;
};

// A TCP port on 127.0.0.1, below the kernel's ephemeral range, that was free a moment ago.
// Another process may still take it in between; tests retry rather than assume.
[[nodiscard]] Result<std::uint16_t> freeLoopbackPort();

// Connects repeatedly until something accepts on host:port or `timeout` passes.
[[nodiscard]] Status waitForTcpPort(const std::string& host, std::uint16_t port,
                                    std::chrono::milliseconds timeout);

// The last `max_bytes` of a file, for failure messages; empty if unreadable.
std::string readTail(const std::string& path, std::size_t max_bytes = 4096);
// A whole file (a child's log, a captured output); empty if unreadable.
std::string readFile(const std::string& path);

}  // namespace kordon::test
