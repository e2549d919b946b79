// SPDX-License-Identifier: Apache-2.0
#pragma once

// A fixed set of worker threads that take an item only when one of them is idle: offer() hands
// the item to an idle worker, or drops it and says so. Nothing is ever queued behind busy
// workers, so under load the work stays on the newest items instead of falling behind (a frame
// camera: a plate read a second late is worth less than a frame skipped). The caller counts
// the drops.
//
// Thread-safety: offer() and stop() may be called from any thread; `work` runs on the workers.
// The destructor stops the pool and joins the workers, letting a running item finish.

#include <condition_variable>
#include <deque>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include "edge/base/thread_annotations.hpp"

namespace kordon::drivers {

template <typename Item>
class DroppingPool {
 public:
  DroppingPool(int workers, std::function<void(Item&)> work) : work_(std::move(work)) {
    idle_ = workers;
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { run(); });
  }
  ~DroppingPool() { stop(); }
  DroppingPool(const DroppingPool&) = delete;
  DroppingPool& operator=(const DroppingPool&) = delete;

  // True when a worker took the item; false when every worker was busy (or the pool stopped),
  // and the item was dropped.
  bool offer(Item item) {
    {
      MutexLock lock(mutex_);
      if (stopping_ || idle_ == 0) return false;
      --idle_;
      pending_.push_back(std::move(item));
    }
    wake_.notify_one();
    return true;
  }

  void stop() {
    {
      MutexLock lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (std::thread& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }

 private:
  void run() {
    for (;;) {
      Item item;
      {
        MutexLock lock(mutex_);
        while (!stopping_ && pending_.empty()) wake_.wait(lock.native());
        if (stopping_) return;
        item = std::move(pending_.front());
        pending_.pop_front();
      }
      work_(item);
      MutexLock lock(mutex_);
      ++idle_;
    }
  }

  const std::function<void(Item&)> work_;
  Mutex mutex_;
  std::condition_variable wake_;
  int idle_ GUARDED_BY(mutex_) = 0;
  // Items handed over and not yet taken: never more than the idle workers counted for them.
  std::deque<Item> pending_ GUARDED_BY(mutex_);
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace kordon::drivers
