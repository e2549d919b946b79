// SPDX-License-Identifier: Apache-2.0
// The device factories' promise: whatever thread a driver reports from, its sink runs on the
// control loop; a reading the worker waits on returns the sink's own answer.
#include "drivers/common/device_context.hpp"

#include <thread>

#include <gtest/gtest.h>

#include "tests/support/device_loop.hpp"

namespace kordon::drivers {
namespace {

std::thread::id loopThread(test::DeviceLoop& loop) {
  std::thread::id id;
  boost::asio::post(loop.io(), [&id] { id = std::this_thread::get_id(); });
  loop.drain();
  return id;
}

TEST(DeviceContext, AWorkersReportIsDeliveredOnTheLoop) {
  test::DeviceLoop loop;
  const std::thread::id on_loop = loopThread(loop);
  std::thread::id seen;
  int value = 0;
  const auto report = postedToLoop<int>(loop.io(), [&](const int& v) {
    seen = std::this_thread::get_id();
    value = v;
  });
  std::thread worker([&] { report(42); });
  worker.join();
  loop.drain();
  EXPECT_EQ(seen, on_loop);
  EXPECT_NE(seen, std::this_thread::get_id());
  EXPECT_EQ(value, 42);
  EXPECT_EQ(postedToLoop<int>(loop.io(), nullptr), nullptr);
}

TEST(DeviceContext, AWaitedReadingRunsOnTheLoopAndAnswersTheWorker) {
  test::DeviceLoop loop;
  const SystemClock clock;
  const std::thread::id on_loop = loopThread(loop);
  std::thread::id seen;
  const auto journal = calledOnLoop<int>(loop.context(clock).loop_caller, [&](const int& v) {
    seen = std::this_thread::get_id();
    return v > 0 ? Status::ok() : Status::error("refused");
  });
  Status first, second;
  std::thread worker([&] {
    first = journal(1);
    second = journal(-1);
  });
  worker.join();
  EXPECT_EQ(seen, on_loop);
  EXPECT_TRUE(first);
  EXPECT_EQ(second.message(), "refused");
}

}  // namespace
}  // namespace kordon::drivers
