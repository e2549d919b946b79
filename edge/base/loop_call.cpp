// SPDX-License-Identifier: Apache-2.0
#include "edge/base/loop_call.hpp"

#include <optional>

#include <boost/asio/post.hpp>

namespace kordon {

LoopCaller::LoopCaller(boost::asio::io_context& io)
    : io_(io), shared_(std::make_shared<Shared>()) {}

Status LoopCaller::call(std::function<Status()> work, std::chrono::milliseconds timeout) {
  if (io_.get_executor().running_in_this_thread()) return work();
  struct Call {
    std::optional<Status> result;
  };
  auto call = std::make_shared<Call>();
  {
    MutexLock lock(shared_->mutex);
    if (shared_->stopped) return Status::error("shutting down");
  }
  boost::asio::post(io_, [shared = shared_, call, work = std::move(work)] {
    Status s = work();
    MutexLock lock(shared->mutex);
    call->result = std::move(s);
    shared->done.notify_all();
  });
  MutexLock lock(shared_->mutex);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!call->result && !shared_->stopped) {
    if (shared_->done.wait_until(lock.native(), deadline) == std::cv_status::timeout) break;
  }
  if (call->result) return *call->result;
  return Status::error(shared_->stopped ? "shutting down"
                                        : "the control loop did not answer in time");
}

void LoopCaller::stop() {
  MutexLock lock(shared_->mutex);
  shared_->stopped = true;
  shared_->done.notify_all();
}

}  // namespace kordon
