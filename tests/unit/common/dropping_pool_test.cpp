// SPDX-License-Identifier: Apache-2.0
#include "drivers/common/dropping_pool.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace kordon::drivers {
namespace {

using namespace std::chrono_literals;

// Work that holds its worker until the test opens the gate, and records what it took.
class GatedWork {
 public:
  void operator()(int& item) {
    std::unique_lock lock(mutex_);
    started_.push_back(item);
    changed_.notify_all();
    changed_.wait(lock, [this] { return open_; });
    ++finished_;
    changed_.notify_all();
  }
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    changed_.notify_all();
  }
  bool waitStarted(std::size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 5s, [&] { return started_.size() >= n; });
  }
  bool waitFinished(int n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 5s, [&] { return finished_ >= n; });
  }
  std::vector<int> started() {
    std::lock_guard lock(mutex_);
    return started_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<int> started_;
  bool open_ = false;
  int finished_ = 0;
};

TEST(DroppingPool, DropsWhatArrivesWhileEveryWorkerIsBusyAndQueuesNothing) {
  GatedWork work;
  DroppingPool<int> pool(2, [&work](int& item) { work(item); });
  EXPECT_TRUE(pool.offer(1));
  EXPECT_TRUE(pool.offer(2));
  ASSERT_TRUE(work.waitStarted(2));
  // Both workers are held: the next items are dropped, not kept for later.
  EXPECT_FALSE(pool.offer(3));
  EXPECT_FALSE(pool.offer(4));
  work.open();
  ASSERT_TRUE(work.waitFinished(2));
  // Free again (a worker counts itself idle right after its item): the newest item is taken.
  bool taken = false;
  for (int attempt = 0; attempt < 500 && !taken; ++attempt) {
    taken = pool.offer(5);
    if (!taken) std::this_thread::sleep_for(1ms);
  }
  EXPECT_TRUE(taken);
  ASSERT_TRUE(work.waitStarted(3));
  EXPECT_EQ(work.started(), (std::vector<int>{1, 2, 5}));
}

TEST(DroppingPool, AStoppedPoolTakesNothingAndLetsTheRunningItemFinish) {
  GatedWork work;
  auto pool = std::make_unique<DroppingPool<int>>(1, [&work](int& item) { work(item); });
  EXPECT_TRUE(pool->offer(1));
  ASSERT_TRUE(work.waitStarted(1));
  auto stopped = std::async(std::launch::async, [&] { pool->stop(); });
  EXPECT_EQ(stopped.wait_for(50ms), std::future_status::timeout);  // waits for item 1
  work.open();
  stopped.get();
  EXPECT_TRUE(work.waitFinished(1));
  EXPECT_FALSE(pool->offer(2));
  pool.reset();  // the destructor after stop() joins nothing twice
}

}  // namespace
}  // namespace kordon::drivers
