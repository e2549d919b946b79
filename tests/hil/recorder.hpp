// SPDX-License-Identifier: Apache-2.0
#pragma once

// Collects what a driver delivers on its worker thread, so a HIL test can wait for a reading,
// status or result to show up. Thread-safe: add() from the driver's thread, the rest from the
// test's thread.
//
//   test::Recorder<msg::WeightReading> readings;   // callback: [&](auto& r) { readings.add(r); }
//   const std::size_t mark = readings.size();
//   ... inject a fault ...
//   auto lost = readings.indexOf(mark, healthIs(kNotConnected), seconds(3));

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace kordon::test {

template <typename T>
class Recorder {
 public:
  using Match = std::function<bool(const T&)>;

  void add(const T& item) {
    std::lock_guard lock(mutex_);
    items_.push_back(item);
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return items_.size();
  }
  T at(std::size_t index) const {
    std::lock_guard lock(mutex_);
    return items_.at(index);
  }
  // Everything recorded at or after `from`.
  std::vector<T> since(std::size_t from) const {
    std::lock_guard lock(mutex_);
    if (from >= items_.size()) return {};
    return {items_.begin() + static_cast<std::ptrdiff_t>(from), items_.end()};
  }
  // Index of the first item at or after `from` that matches, waiting up to `timeout`.
  std::optional<std::size_t> indexOf(std::size_t from, const Match& match,
                                     std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      {
        std::lock_guard lock(mutex_);
        for (std::size_t i = from; i < items_.size(); ++i) {
          if (match(items_[i])) return i;
        }
      }
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  // The first item at or after `from` that matches, waiting up to `timeout`.
  std::optional<T> waitFor(std::size_t from, const Match& match,
                           std::chrono::milliseconds timeout) const {
    const auto index = indexOf(from, match, timeout);
    if (!index) return std::nullopt;
    return at(*index);
  }

 private:
  mutable std::mutex mutex_;
  std::vector<T> items_;
};

}  // namespace kordon::test
