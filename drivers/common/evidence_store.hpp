// SPDX-License-Identifier: Apache-2.0
#pragma once

// Content-addressed evidence files (plate images, later N42 and TDR documents):
//   <root>/<first two hex digits>/<sha256>.<ext>
// put() is idempotent and durable: write to a temp file, fsync, rename, fsync the directory.
// Thread-safe: concurrent put() of the same content is harmless.

#include <string>
#include <string_view>

#include "edge/base/status.hpp"
#include "edge/msg/plate_read.hpp"

namespace kordon::drivers {

class EvidenceStore {
 public:
  explicit EvidenceStore(std::string root_dir);
  Result<msg::Evidence> put(std::string_view bytes, const std::string& media_type,
                            const std::string& role);
  std::string pathFor(const std::string& sha256, const std::string& media_type) const;
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

}  // namespace kordon::drivers
