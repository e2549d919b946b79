// SPDX-License-Identifier: Apache-2.0
#include "edge/store/retention.hpp"

#include <filesystem>
#include <limits>

#include "edge/base/log.hpp"

namespace kordon::store {
namespace {

constexpr WallMs kDayMs = 24LL * 3600 * 1000;
constexpr WallMs kAnyAge = std::numeric_limits<WallMs>::max();

}  // namespace

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

Retention::Retention(Store& store, const Clock& clock, StorageConfig config,
                     EvidencePath evidence_path, EventsCommitted on_events)
    : store_(store),
      clock_(clock),
      config_(config),
      evidence_path_(std::move(evidence_path)),
      on_events_(std::move(on_events)) {}

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

  const std::int64_t used = usage_.total();
  const StorageLevel level = used >= config_.max_bytes ? StorageLevel::kFull
                             : used >= warnBytes()     ? StorageLevel::kWarn
                                                       : StorageLevel::kOk;
  if (level == level_) return;
  level_ = level;
  const nlohmann::json payload = {{"level", toString(level)},
                                  {"used_bytes", used},
                                  {"max_bytes", config_.max_bytes},
                                  {"warn_bytes", warnBytes()}};
  if (level == StorageLevel::kOk) {
    log::info("storage back under the warn level", {{"used_bytes", used}});
  } else {
    log::warn("storage alarm",
              {{"level", toString(level)}, {"used_bytes", used}, {"max_bytes", config_.max_bytes}});
  }
  auto events = store_.transact([&](Transaction& tx) {
    return tx.emit({level == StorageLevel::kOk ? "storage.ok" : "storage.alarm", "", "", payload});
  });
  if (!events.isOk()) {
    ++errors_;
    log::error("retention: alarm not journalled", {{"error", events.status().message()}});
    return;
  }
  if (on_events_) on_events_(*events);
}

nlohmann::json Retention::statusJson() const {
  return {{"level", toString(level_)},
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
