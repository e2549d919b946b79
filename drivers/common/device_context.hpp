// SPDX-License-Identifier: Apache-2.0
#pragma once

// What every device factory is given besides its configuration and its sink: the control loop,
// the post's clock and its evidence store. Whatever thread a driver reads its bus on (one worker
// per blocking bus), its sink is called on the control loop: reports are posted there, and a
// reading the device waits to hear "saved" about is run there while the worker waits
// (LoopCaller), so the device is told only once the loop has journalled it.
//
//   DeviceContext ctx{io, loop_caller, clock, &evidence};
//   auto wb = makeWeighbridge(config, ctx, {.reading = [&](const msg::WeightReading& r) {...}});

#include <functional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "edge/base/clock.hpp"
#include "edge/base/loop_call.hpp"
#include "edge/base/status.hpp"

namespace kordon::drivers {

class EvidenceStore;

struct DeviceContext {
  boost::asio::io_context& loop;
  LoopCaller& loop_caller;
  const Clock& clock;
  EvidenceStore* evidence = nullptr;  // devices that keep images or documents need one
};

// A report from a worker, delivered on the loop (a copy of the value travels).
template <class T>
std::function<void(const T&)> postedToLoop(boost::asio::io_context& loop,
                                           std::function<void(const T&)> sink) {
  if (!sink) return nullptr;
  return [&loop, sink = std::move(sink)](const T& value) {
    boost::asio::post(loop, [sink, value] { sink(value); });
  };
}

// A reading the worker waits on: run on the loop; its Status is the worker's answer.
template <class T>
std::function<Status(const T&)> calledOnLoop(LoopCaller& caller,
                                             std::function<Status(const T&)> sink) {
  if (!sink) return nullptr;
  return [&caller, sink = std::move(sink)](const T& value) {
    return caller.call([sink, value] { return sink(value); });
  };
}

}  // namespace kordon::drivers
