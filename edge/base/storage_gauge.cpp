// SPDX-License-Identifier: Apache-2.0
#include "edge/base/storage_gauge.hpp"

#include <sys/statvfs.h>

namespace kordon {

const char* toString(StorageLevel level) {
  switch (level) {
    case StorageLevel::kOk:
      return "ok";
    case StorageLevel::kWarn:
      return "warn";
    case StorageLevel::kFull:
      return "full";
  }
  return "ok";
}

StorageGauge::StorageGauge(std::string path, StorageLimits limits)
    : path_(std::move(path)), limits_(limits) {}

void StorageGauge::setUsed(std::int64_t bytes) { used_ = bytes; }

void StorageGauge::addWritten(std::int64_t bytes) { used_ += bytes; }

std::optional<std::int64_t> StorageGauge::freeBytes() const {
  struct statvfs fs {};
  if (::statvfs(path_.c_str(), &fs) != 0) return std::nullopt;
  // f_bavail: what an unprivileged writer may still use (the root reserve is not ours).
  return static_cast<std::int64_t>(fs.f_bavail) * static_cast<std::int64_t>(fs.f_frsize);
}

Status StorageGauge::reserveFor(std::int64_t bytes) const {
  const auto free = freeBytes();
  if (!free) return Status::error("storage: cannot read the free space of " + path_);
  if (*free - bytes < limits_.min_free_bytes) {
    return Status::error("storage: " + std::to_string(*free) + " bytes free on " + path_ +
                         "; writing " + std::to_string(bytes) + " would go below the reserve of " +
                         std::to_string(limits_.min_free_bytes));
  }
  return Status::ok();
}

StorageGauge::Reading StorageGauge::read() const {
  Reading r;
  r.used_bytes = used_.load();
  r.free_bytes = freeBytes();
  if (!r.free_bytes) {
    r.level = StorageLevel::kFull;
    r.reason = "cannot read the free space of " + path_;
    return r;
  }
  const std::int64_t free = *r.free_bytes;
  if (r.used_bytes >= limits_.max_bytes) {
    r.level = StorageLevel::kFull;
    r.reason = "records take " + std::to_string(r.used_bytes) + " bytes, at the bound of " +
               std::to_string(limits_.max_bytes);
  } else if (free < limits_.min_free_bytes) {
    r.level = StorageLevel::kFull;
    r.reason = "the file system has " + std::to_string(free) +
               " bytes free, below the reserve of " + std::to_string(limits_.min_free_bytes);
  } else if (r.used_bytes >= limits_.warnBytes()) {
    r.level = StorageLevel::kWarn;
    r.reason = "records take " + std::to_string(r.used_bytes) + " bytes, over the warn level of " +
               std::to_string(limits_.warnBytes());
  } else if (free < limits_.warn_free_bytes) {
    r.level = StorageLevel::kWarn;
    r.reason = "the file system has " + std::to_string(free) + " bytes free, below " +
               std::to_string(limits_.warn_free_bytes);
  }
  return r;
}

}  // namespace kordon
