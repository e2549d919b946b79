// SPDX-License-Identifier: Apache-2.0
#pragma once

// Content-addressed evidence files (plate images, later N42 and TDR documents):
//   <root>/<first two hex digits>/<sha256>.<ext>
// put() is idempotent and durable: write to a temp file, fsync, rename, fsync the directory.
// With a StorageGauge, put() first asks it whether the file system can take the bytes and keep
// its reserve (edge/base/storage_gauge.hpp), and refuses with an error otherwise: a full disk is
// a clear error before the write, not a torn file after it. Written bytes are added to the gauge.
// Thread-safe: concurrent put() of the same content is harmless.

#include <string>
#include <string_view>

#include "edge/base/status.hpp"
#include "edge/base/storage_gauge.hpp"
#include "edge/msg/plate_read.hpp"

namespace kordon::drivers {

class EvidenceStore {
 public:
  explicit EvidenceStore(std::string root_dir, StorageGauge* gauge = nullptr);
  Result<msg::Evidence> put(std::string_view bytes, const std::string& media_type,
                            const std::string& role);
  std::string pathFor(const std::string& sha256, const std::string& media_type) const;
  const std::string& root() const { return root_; }

 private:
  std::string root_;
  StorageGauge* gauge_;
};

}  // namespace kordon::drivers
