// SPDX-License-Identifier: Apache-2.0
#include "edge/store/retention.hpp"

#include <filesystem>
#include <limits>

#include "edge/base/log.hpp"
#include "edge/msg/event_types.hpp"

namespace kordon::store {
namespace {

constexpr WallMs kDayMs = 24LL * 3600 * 1000;
constexpr WallMs kAnyAge = std::numeric_limits<WallMs>::max();

}  // namespace

Retention::Retention(Store& store, const Clock& clock, StorageConfig config, StorageGauge& gauge,
                     EvidencePath evidence_path)
    : store_(store),
      clock_(clock),
      config_(config),
      evidence_path_(std::move(evidence_path)),
      gauge_(gauge) {}

bool Retention::pruneBatch(WallMs journal_before_ms, WallMs evidence_before_ms) {
  bool deleted = false;
  auto pruned = store_.pruneJournal(journal_before_ms, config_.batch_rows);
  if (!pruned.isOk()) {
    ++errors_;
    log::error("retention: journal prune failed", {{"error", pruned.status().message()}});
  } else if (*pruned > 0) {
    events_pruned_ += static_cast<std::uint64_t>(*pruned);
    deleted = true;
  }
  auto rows = store_.prunableEvidence(evidence_before_ms, config_.batch_rows);
  if (!rows.isOk()) {
    ++errors_;
    log::error("retention: evidence query failed", {{"error", rows.status().message()}});
    return deleted;
  }
  if (rows->empty()) return deleted;
  // Files first: a crash in between leaves an index row whose file is gone (counted a little
  // too long), never a file that nothing counts or deletes.
  for (const auto& r : *rows) {
    std::error_code ec;
    std::filesystem::remove(evidence_path_(r), ec);
    if (ec)
      log::warn("retention: evidence file not removed",
                {{"sha256", r.sha256}, {"error", ec.message()}});
  }
  if (Status s = store_.forgetEvidence(*rows); !s) {
    ++errors_;
    log::error("retention: evidence index delete failed", {{"error", s.message()}});
    return deleted;
  }
  evidence_pruned_ += rows->size();
  return true;
}

bool Retention::measure() {
  auto usage = store_.usage();
  if (!usage.isOk()) {
    ++errors_;
    log::error("retention: cannot measure storage", {{"error", usage.status().message()}});
    return false;
  }
  usage_ = *usage;
  gauge_.setUsed(usage_.total());
  return true;
}

void Retention::reclaim() {
  if (Status s = store_.reclaimSpace(); !s) {
    ++errors_;
    log::warn("retention: space not reclaimed", {{"error", s.message()}});
  }
}

void Retention::run() {
  const WallMs now = clock_.nowWallMs();
  for (int i = 0; i < config_.max_batches; ++i) {
    if (!pruneBatch(now - config_.retain_delivered_days * kDayMs,
                    now - config_.retain_evidence_days * kDayMs)) {
      break;
    }
  }
  // Every pass, deletions or not: the checkpoint also bounds the WAL, which would otherwise
  // grow to SQLite's auto-checkpoint size between passes and make the measure jump.
  reclaim();
  if (!measure()) return;
  // Above the warn level, delivered records go regardless of age, oldest first.
  for (int i = 0; i < config_.max_batches && usage_.total() >= warnBytes(); ++i) {
    if (!pruneBatch(kAnyAge, kAnyAge)) break;
    reclaim();
    if (!measure()) return;
  }

  check();
}

void Retention::check() {
  if (checking_) return;
  checking_ = true;
  const StorageGauge::Reading reading = gauge_.read();
  reason_ = reading.reason;
  // The level takes effect at once (the lanes stop releasing at kFull), recorded or not.
  if (reading.level != level_) {
    level_ = reading.level;
    if (level_ == StorageLevel::kOk) {
      log::info("storage back under the warn level", {{"used_bytes", reading.used_bytes}});
    } else {
      log::warn("storage alarm", {{"level", toString(level_)}, {"reason", reading.reason}});
    }
  }
  if (recorded_level_ != level_) {
    msg::StorageReading payload;
    payload.level = toString(level_);
    payload.reason = reading.reason;
    payload.used_bytes = reading.used_bytes;
    payload.max_bytes = config_.max_bytes;
    payload.warn_bytes = warnBytes();
    if (reading.free_bytes) payload.free_bytes = static_cast<std::int64_t>(*reading.free_bytes);
    payload.min_free_bytes = config_.min_free_bytes;
    auto events = store_.transact([&](Transaction& tx) {
      return tx.emit(level_ == StorageLevel::kOk ? msg::draft(msg::StorageOk{payload})
                                                 : msg::draft(msg::StorageAlarm{payload}));
    });
    if (!events.isOk()) {
      // Tried again at the next check: the alarm is in status and /healthz meanwhile.
      ++errors_;
      log::error("retention: alarm not journalled", {{"error", events.status().message()}});
    } else {
      recorded_level_ = level_;
    }
  }
  checking_ = false;
}

nlohmann::json Retention::statusJson() const {
  const StorageGauge::Reading now = gauge_.read();
  return {{"level", toString(level_)},
          {"reason", reason_},
          {"free_bytes", now.free_bytes ? nlohmann::json(*now.free_bytes) : nlohmann::json()},
          {"min_free_bytes", config_.min_free_bytes},
          {"used_bytes", usage_.total()},
          {"db_bytes", usage_.db_bytes},
          {"wal_bytes", usage_.wal_bytes},
          {"evidence_bytes", usage_.evidence_bytes},
          {"max_bytes", config_.max_bytes},
          {"warn_bytes", warnBytes()},
          {"events_pruned", events_pruned_},
          {"evidence_pruned", evidence_pruned_},
          {"errors", errors_}};
}

}  // namespace kordon::store
