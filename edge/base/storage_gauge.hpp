// SPDX-License-Identifier: Apache-2.0
#pragma once

// What the post's disk can still take, as the write path sees it: the file system's real free
// space (statvfs, read fresh at every look), and the bytes Kordon's records take against its own
// bound (store::Retention measures them; every write since is added, so a burst is seen at once
// and not only at the next measurement).
//
// Levels:  full  used >= max_bytes, or free < min_free_bytes
//          warn  used >= warn_pct of max_bytes, or free < warn_free_bytes
//          ok    otherwise
// reserveFor(n) refuses a write of n bytes that would leave less than min_free_bytes free: the
// evidence store asks before every picture, so the journal always keeps room to record what
// happens (a refused picture is a "not saved" answer its device re-sends).
//
// Thread-safety: every method may be called from any thread.

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "edge/base/status.hpp"

namespace kordon {

enum class StorageLevel { kOk, kWarn, kFull };
const char* toString(StorageLevel level);

struct StorageLimits {
  std::int64_t max_bytes = 4LL * 1024 * 1024 * 1024;
  int warn_pct = 80;
  std::int64_t min_free_bytes = 256LL * 1024 * 1024;
  std::int64_t warn_free_bytes = 1024LL * 1024 * 1024;
  std::int64_t warnBytes() const { return max_bytes / 100 * warn_pct; }
};

class StorageGauge {
 public:
  // `path`: a directory on the file system the records live on (the state directory).
  StorageGauge(std::string path, StorageLimits limits);

  void setUsed(std::int64_t bytes);     // a full measurement of the records' bytes
  void addWritten(std::int64_t bytes);  // written since
  [[nodiscard]] Status reserveFor(std::int64_t bytes) const;

  struct Reading {
    StorageLevel level = StorageLevel::kOk;
    std::int64_t used_bytes = 0;
    std::optional<std::int64_t> free_bytes;  // nullopt when statvfs failed (then: full)
    std::string reason;                      // why warn or full, in words
  };
  Reading read() const;
  const StorageLimits& limits() const { return limits_; }
  const std::string& path() const { return path_; }

 private:
  std::optional<std::int64_t> freeBytes() const;

  std::string path_;
  StorageLimits limits_;
  std::atomic<std::int64_t> used_{0};
};

}  // namespace kordon
