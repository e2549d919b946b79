// SPDX-License-Identifier: Apache-2.0
#pragma once

// A fixed set of worker threads with a bounded queue in front: work that costs in proportion to
// untrusted input (parsing a camera's body, writing its pictures) runs here, off the control
// loop. submit() refuses when max_pending items already wait, so a flood is answered "busy"
// instead of growing memory; the caller counts and answers the refusal.
//
// Thread-safety: submit() and stop() from any thread; items run on the workers. The destructor
// stops the pool, lets running items finish and drops the waiting ones.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "edge/base/thread_annotations.hpp"

namespace kordon {

class WorkQueue {
 public:
  WorkQueue(int workers, std::size_t max_pending);
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // False when the queue is full or stopped: the item was not taken.
  bool submit(std::function<void()> item);
  void stop();
  std::size_t pending() const;

 private:
  void run();

  const std::size_t max_pending_;
  mutable Mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> pending_ GUARDED_BY(mutex_);
  bool stopping_ GUARDED_BY(mutex_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace kordon
