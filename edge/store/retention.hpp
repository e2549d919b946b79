// SPDX-License-Identifier: Apache-2.0
#pragma once

// Bounded disk: keeps the post's records (database + WAL + evidence files) under max_bytes
// without ever losing one that central has not acknowledged.
//
// run() is one bounded pass, called from the control loop's timer:
//   1. by age: delivered journal rows older than retain_delivered_days, and evidence last
//      referenced before retain_evidence_days, oldest first;
//   2. by size, while usage is at or above the warn level: the oldest delivered rows and
//      evidence regardless of age;
//   3. measure, and journal a level change: storage.alarm {level:"warn"|"full", reason,
//      used_bytes, max_bytes, warn_bytes, free_bytes, min_free_bytes} on the way up, storage.ok
//      on the way back under warn.
// The level (edge/base/storage_gauge.hpp) counts both the records against max_bytes and the file
// system's real free space against min_free_bytes / warn_free_bytes. check() re-reads it
// without measuring or pruning, cheaply enough for the write path: the daemon calls it after
// every commit, so a burst of writes is an alarm at once, not at the next periodic pass.
// Undelivered events (outbox delivered_ms IS NULL), the chain head and evidence of undelivered
// events are never deleted (Store::pruneJournal, Store::prunableEvidence). At the bound the
// lanes stop automatic releases (lane::PostCondition::storage_full -> STORAGE-FULL), so records
// keep being written while nothing more goes green.
//
// Thread-safety: control loop thread only, like the Store.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "edge/base/clock.hpp"
#include "edge/base/storage_gauge.hpp"
#include "edge/msg/event.hpp"
#include "edge/store/store.hpp"

namespace kordon::store {

struct StorageConfig {
  std::int64_t max_bytes = 4LL * 1024 * 1024 * 1024;
  int warn_pct = 80;
  std::int64_t min_free_bytes = 256LL * 1024 * 1024;  // free space kept for the journal
  std::int64_t warn_free_bytes = 1024LL * 1024 * 1024;
  int retain_delivered_days = 30;
  int retain_evidence_days = 30;
  int check_interval_s = 60;
  int batch_rows = 500;  // rows deleted per statement
  int max_batches = 8;   // statements per run(), so the loop never stalls on a big backlog

  StorageLimits limits() const { return {max_bytes, warn_pct, min_free_bytes, warn_free_bytes}; }
};

using kordon::StorageLevel;
using kordon::toString;

class Retention {
 public:
  // evidence_path maps an evidence row to its file (drivers::EvidenceStore::pathFor).
  using EvidencePath = std::function<std::string(const EvidenceRow&)>;

  // `gauge` holds the same limits (config.limits()); the evidence store asks it before writing.
  Retention(Store& store, const Clock& clock, StorageConfig config, StorageGauge& gauge,
            EvidencePath evidence_path);

  void run();
  // Re-reads the level (free space now, records as last measured plus what was written since)
  // and journals a change. No pruning, no measuring: cheap enough to call after every commit.
  void check();
  StorageLevel level() const { return level_; }
  const std::string& reason() const { return reason_; }
  const StorageUsage& lastUsage() const { return usage_; }
  std::int64_t maxBytes() const { return config_.max_bytes; }
  nlohmann::json statusJson() const;

 private:
  std::int64_t warnBytes() const { return config_.max_bytes / 100 * config_.warn_pct; }
  // One batch each of delivered journal rows and evidence older than the cutoffs; true when
  // anything was deleted.
  bool pruneBatch(WallMs journal_before_ms, WallMs evidence_before_ms);
  bool measure();  // refreshes usage_ (and the gauge); false (logged, counted) on error
  void reclaim();

  Store& store_;
  const Clock& clock_;
  StorageConfig config_;
  EvidencePath evidence_path_;
  StorageGauge& gauge_;
  StorageLevel level_ = StorageLevel::kOk;           // in force
  StorageLevel recorded_level_ = StorageLevel::kOk;  // as last journalled
  std::string reason_;
  bool checking_ = false;  // check() journals an alarm, whose commit calls check() again
  StorageUsage usage_;
  std::uint64_t events_pruned_ = 0;
  std::uint64_t evidence_pruned_ = 0;
  std::uint64_t errors_ = 0;
};

}  // namespace kordon::store
