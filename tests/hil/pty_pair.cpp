// SPDX-License-Identifier: Apache-2.0
#include "tests/hil/pty_pair.hpp"

#include <filesystem>
#include <thread>
#include <utility>

namespace kordon::test {

Result<PtyPair> startPtyPair(const std::string& dir, std::chrono::milliseconds timeout) {
  const std::string a = dir + "/a";
  const std::string b = dir + "/b";
  std::error_code ec;
  std::filesystem::remove(a, ec);
  std::filesystem::remove(b, ec);
  auto socat =
      Process::spawn({"socat", "-d", "-d", "pty,raw,echo=0,link=" + a, "pty,raw,echo=0,link=" + b},
                     dir + "/socat.log");
  if (!socat) return socat.status().withContext("start socat");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!(std::filesystem::exists(a, ec) && std::filesystem::exists(b, ec))) {
    if (!socat->isRunning()) {
      return Status::error("socat exited (" + socat->exitStatus().toString() +
                           "): " + readTail(dir + "/socat.log", 512));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::error("socat did not create " + a + " and " + b + " in time");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return PtyPair{a, b, std::move(*socat)};
}

}  // namespace kordon::test
