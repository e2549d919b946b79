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
    std::lock_guard lock(shared_->mutex);
    if (shared_->stopped) return Status::error("shutting down");
  }
  boost::asio::post(io_, [shared = shared_, call, work = std::move(work)] {
    Status s = work();
    std::lock_guard lock(shared->mutex);
    call->result = std::move(s);
    shared->done.notify_all();
  });
  std::unique_lock lock(shared_->mutex);
  const bool answered = shared_->done.wait_for(
      lock, timeout, [&] { return call->result.has_value() || shared_->stopped; });
  if (call->result) return *call->result;
  return Status::error(answered ? "shutting down" : "the control loop did not answer in time");
}

void LoopCaller::stop() {
  std::lock_guard lock(shared_->mutex);
  shared_->stopped = true;
  shared_->done.notify_all();
}

}  // namespace kordon
