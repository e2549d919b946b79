// SPDX-License-Identifier: Apache-2.0
#pragma once

// kordond's control loop for driver tests: an io_context on a thread of its own, with the
// LoopCaller that workers wait on, so a driver made by its factory delivers to the test's sink
// as it does to a lane (on the loop). Sinks run on that thread: keep what they record behind a
// lock (tests/hil/recorder.hpp) or read it after drain().

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "drivers/common/device_context.hpp"
#include "edge/base/loop_call.hpp"

namespace kordon::test {

class DeviceLoop {
 public:
  DeviceLoop() : caller_(io_), thread_([this] { io_.run(); }) {}
  ~DeviceLoop() {
    caller_.stop();
    work_.reset();
    io_.stop();
    thread_.join();
  }
  DeviceLoop(const DeviceLoop&) = delete;
  DeviceLoop& operator=(const DeviceLoop&) = delete;

  drivers::DeviceContext context(const Clock& clock, drivers::EvidenceStore* evidence = nullptr) {
    return {io_, caller_, clock, evidence};
  }
  boost::asio::io_context& io() { return io_; }

  // Waits until everything posted to the loop before this call has run.
  void drain() {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
    boost::asio::post(io_, [&] {
      std::lock_guard lock(m);
      done = true;
      cv.notify_one();
    });
    std::unique_lock lock(m);
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return done; });
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  LoopCaller caller_;
  std::thread thread_;
};

}  // namespace kordon::test
