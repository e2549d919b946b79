// SPDX-License-Identifier: Apache-2.0
#pragma once

// Runs work on the control loop from a worker thread and waits for its Status, so that a bus
// worker tells its device "saved" (a DICOM C-STORE success, a file moved to done/) only once the
// loop has committed the reading to the journal.
//
//   LoopCaller loop(io);
//   // on a worker:
//   Status saved = loop.call([&] { return lane.onXray(result); });
//
// call() runs `work` at once when it is already on the loop's thread. It gives up with an error
// after `timeout`, and at once after stop(): the daemon stops its devices from the loop itself,
// and a worker waiting for the loop meanwhile would never be answered. Work that was posted and
// then given up on may still run later: the device was told "not saved", re-sends, and the
// reading is recorded twice rather than never.
//
// `work` must own what it uses (capture by value): it may run after call() has given up.
//
// Thread-safety: call() from any thread; stop() from any thread.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>

#include <boost/asio/io_context.hpp>

#include "edge/base/status.hpp"
#include "edge/base/thread_annotations.hpp"

namespace kordon {

class LoopCaller {
 public:
  explicit LoopCaller(boost::asio::io_context& io);
  Status call(std::function<Status()> work,
              std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void stop();

 private:
  struct Shared {
    Mutex mutex;  // also guards each call's result
    std::condition_variable done;
    bool stopped GUARDED_BY(mutex) = false;
  };
  boost::asio::io_context& io_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace kordon
