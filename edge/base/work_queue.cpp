// SPDX-License-Identifier: Apache-2.0
#include "edge/base/work_queue.hpp"

#include "edge/base/log.hpp"

namespace kordon {

WorkQueue::WorkQueue(int workers, std::size_t max_pending) : max_pending_(max_pending) {
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { run(); });
}

WorkQueue::~WorkQueue() { stop(); }

bool WorkQueue::submit(std::function<void()> item) {
  {
    MutexLock lock(mutex_);
    if (stopping_ || pending_.size() >= max_pending_) return false;
    pending_.push_back(std::move(item));
  }
  wake_.notify_one();
  return true;
}

void WorkQueue::stop() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
    pending_.clear();
  }
  wake_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
}

std::size_t WorkQueue::pending() const {
  MutexLock lock(mutex_);
  return pending_.size();
}

void WorkQueue::run() {
  for (;;) {
    std::function<void()> item;
    {
      MutexLock lock(mutex_);
      while (!stopping_ && pending_.empty()) wake_.wait(lock.native());
      if (stopping_) return;
      item = std::move(pending_.front());
      pending_.pop_front();
    }
    try {
      item();
    } catch (const std::exception& e) {
      log::error("work item threw", {{"error", e.what()}});
    }
  }
}

}  // namespace kordon
