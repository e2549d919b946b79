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
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

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
      std::lock_guard lock(mutex_);
      if (stopping_ || idle_ == 0) return false;
      --idle_;
      pending_.push_back(std::move(item));
    }
    wake_.notify_one();
    return true;
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
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
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
        if (stopping_) return;
        item = std::move(pending_.front());
        pending_.pop_front();
      }
      work_(item);
      std::lock_guard lock(mutex_);
      ++idle_;
    }
  }

  const std::function<void(Item&)> work_;
  std::mutex mutex_;  // guards idle_, pending_, stopping_
  std::condition_variable wake_;
  int idle_ = 0;
  // Items handed over and not yet taken: never more than the idle workers counted for them.
  std::deque<Item> pending_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace kordon::drivers
