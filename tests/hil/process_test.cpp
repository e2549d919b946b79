// SPDX-License-Identifier: Apache-2.0
// The HIL process helpers, checked with ordinary system tools.

#include "tests/hil/process.hpp"

#include <csignal>
#include <filesystem>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include <unistd.h>

namespace kordon::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string tempLog(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("kordon-process-test-" + std::to_string(getpid()) + "-" + name + ".log"))
      .string();
}

TEST(Process, CapturesOutputEnvironmentAndExitCode) {
  const std::string log = tempLog("output");
  std::filesystem::remove(log);
  auto child = Process::spawn({"sh", "-c", "echo out $KORDON_PROCESS_TEST; echo err >&2; exit 3"},
                              log, {"KORDON_PROCESS_TEST=hello"});
  ASSERT_TRUE(child) << child.status().message();
  const auto ended = child->wait(seconds(5));
  ASSERT_TRUE(ended) << ended.status().message();
  EXPECT_TRUE(ended->exited);
  EXPECT_EQ(ended->code, 3);
  EXPECT_FALSE(ended->cleanExit());
  EXPECT_EQ(readTail(log), "out hello\nerr\n");
  std::filesystem::remove(log);
}

TEST(Process, TerminateEndsAChildWithSigterm) {
  const std::string log = tempLog("terminate");
  auto child = Process::spawn({"sleep", "30"}, log);
  ASSERT_TRUE(child) << child.status().message();
  EXPECT_TRUE(child->isRunning());
  const auto ended = child->terminate(seconds(2));
  ASSERT_TRUE(ended) << ended.status().message();
  EXPECT_FALSE(ended->exited);
  EXPECT_EQ(ended->signal, SIGTERM);
  EXPECT_FALSE(child->isRunning());
  EXPECT_FALSE(child->sendSignal(SIGKILL)) << "a reaped child is never signalled";
  std::filesystem::remove(log);
}

TEST(Process, TerminateEscalatesToSigkill) {
  const std::string log = tempLog("escalate");
  auto child = Process::spawn({"sh", "-c", "trap '' TERM; echo ready; sleep 30 & wait"}, log);
  ASSERT_TRUE(child) << child.status().message();
  for (int i = 0; i < 200 && readTail(log).empty(); ++i) {
    std::this_thread::sleep_for(milliseconds(10));  // until the trap is installed
  }
  const auto ended = child->terminate(milliseconds(200));
  ASSERT_TRUE(ended) << ended.status().message();
  EXPECT_EQ(ended->signal, SIGKILL) << ended->toString();
  std::filesystem::remove(log);
}

TEST(Process, MissingProgramIsAnError) {
  const auto child = Process::spawn({"/nonexistent/kordon-nothing"}, tempLog("missing"));
  EXPECT_FALSE(child);
  std::filesystem::remove(tempLog("missing"));
}

TEST(Ports, FreePortIsUsableAndWaitTimesOutWhenNothingListens) {
  const auto port = freeLoopbackPort();
  ASSERT_TRUE(port) << port.status().message();
  EXPECT_GT(*port, 0);
  const Status waited = waitForTcpPort("127.0.0.1", *port, milliseconds(100));
  EXPECT_FALSE(waited);
  EXPECT_NE(waited.message().find("nothing accepted"), std::string::npos) << waited.message();
}

}  // namespace
}  // namespace kordon::test
