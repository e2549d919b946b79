// SPDX-License-Identifier: Apache-2.0
// Chaos (label chaos): 10,000 events from four lanes of a real kordond reach a real
// kordon-central exactly once, in order, with every chain link and signature verified, while
//   - the broker is killed and restarted three times (it keeps no state: queued messages die),
//   - the broker is frozen with SIGSTOP for a few seconds and resumed,
//   - kordond is killed with SIGKILL mid-stream and restarted,
//   - kordon-central is killed with SIGKILL and restarted.
// The events are plate reads pushed by four camera-like HTTP clients, so every one of them goes
// through the daemon's real path: HTTP, the lane, one SQLite transaction, the outbox, MQTT.
// Afterwards central's copy is compared seq by seq with the post's own journal.

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "edge/base/crypto.hpp"
#include "tests/hil/broker.hpp"
#include "tests/hil/camera_traffic.hpp"
#include "tests/hil/post_config.hpp"
#include "tests/hil/process.hpp"
#include "tests/hil/sync_rig.hpp"

namespace kordon::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kPost = "KZ-CHAOS";
constexpr std::int64_t kEvents = 10'000;
constexpr int kLanes = 4;

// seq -> hash of the post's journal, read straight from its SQLite file.
std::vector<std::pair<std::int64_t, std::string>> postJournal(const std::string& db_path) {
  std::vector<std::pair<std::int64_t, std::string>> rows;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return rows;
  }
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "SELECT seq, hash FROM journal ORDER BY seq", -1, &stmt, nullptr);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    rows.emplace_back(sqlite3_column_int64(stmt, 0),
                      reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1)));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return rows;
}

class ChaosSync : public SyncRig {
 protected:
  void SetUp() override {
    SyncRig::SetUp();
    registerPostKey(kPost, SigningKey::generate(), /*install_on_post=*/true);
    writeCentralConfig("backfill_retry_s = 2\n");
    writeKordondConfig(postConfig(kPost, stateDir(), broker_->uri(), post_http_, dead_port_, kLanes,
                                  "[sync]\nstatus_interval_s = 2\n"));
    startCentral();
    startKordond();
  }

  void TearDown() override {
    stop_traffic_ = true;
    for (auto& t : traffic_) t.join();
    SyncRig::TearDown();
  }

  // One camera per lane, pushing plate reads as fast as kordond takes them; a failed push is
  // retried, as a camera retries an unanswered alert.
  void startTraffic() {
    for (int lane = 1; lane <= kLanes; ++lane) {
      traffic_.emplace_back([this, lane] {
        for (int i = 0; !stop_traffic_; ++i) {
          const std::string plate = std::to_string(100 + i % 900) + "CHS0" + std::to_string(lane);
          while (!stop_traffic_ &&
                 !pushAnprAlert(post_http_, "/anpr/L" + std::to_string(lane), plate, i)) {
            std::this_thread::sleep_for(milliseconds(50));
          }
          pushed_.fetch_add(1);
        }
      });
    }
  }

  // The post's last seq, or -1 while it does not answer.
  std::int64_t postLastSeq() {
    const nlohmann::json h = postHealth(post_http_);
    return h.is_null() ? -1 : h["outbox"]["last_seq"].get<std::int64_t>();
  }

  void waitForPostSeq(std::int64_t seq) {
    const auto deadline = std::chrono::steady_clock::now() + seconds(240);
    while (postLastSeq() < seq) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline)
          << "the post did not reach seq " << seq << "\n"
          << readTail(dir_ + "/kordond.log");
      std::this_thread::sleep_for(milliseconds(100));
    }
  }

  std::vector<std::thread> traffic_;
  std::atomic<bool> stop_traffic_{false};
  std::atomic<std::int64_t> pushed_{0};
};

TEST_F(ChaosSync, TenThousandEventsArriveOnceInOrderThroughBrokerPostAndCentralFaults) {
  startTraffic();
  const auto step = [](std::int64_t n) { return n * kEvents / 8; };

  waitForPostSeq(step(1));
  ASSERT_TRUE(broker_->kill());
  std::this_thread::sleep_for(seconds(1));
  ASSERT_TRUE(broker_->restart());

  waitForPostSeq(step(2));
  ASSERT_TRUE(broker_->freeze());
  std::this_thread::sleep_for(seconds(4));  // longer than the keep-alive: clients notice
  ASSERT_TRUE(broker_->thaw());

  waitForPostSeq(step(3));
  ASSERT_TRUE(kordond_->sendSignal(SIGKILL));
  ASSERT_TRUE(kordond_->wait(seconds(5)));
  std::this_thread::sleep_for(milliseconds(500));
  startKordond();

  waitForPostSeq(step(4));
  ASSERT_TRUE(central_->sendSignal(SIGKILL));
  ASSERT_TRUE(central_->wait(seconds(5)));
  std::this_thread::sleep_for(seconds(1));
  startCentral();

  waitForPostSeq(step(5));
  ASSERT_TRUE(broker_->kill());
  std::this_thread::sleep_for(milliseconds(500));
  ASSERT_TRUE(broker_->restart());

  waitForPostSeq(step(6));
  ASSERT_TRUE(broker_->kill());
  ASSERT_TRUE(broker_->restart());

  waitForPostSeq(kEvents);
  stop_traffic_ = true;
  for (auto& t : traffic_) t.join();
  traffic_.clear();

  // Everything settles: the post has nothing undelivered, central has no gap up to its last seq.
  std::int64_t last_seq = 0;
  const auto deadline = std::chrono::steady_clock::now() + seconds(180);
  nlohmann::json central;
  for (;;) {
    const nlohmann::json h = postHealth(post_http_);
    central = centralPostStatus(central_http_, kPost);
    if (!h.is_null() && !central.is_null()) {
      last_seq = h["outbox"]["last_seq"].get<std::int64_t>();
      if (h["outbox"]["undelivered"] == 0 && central["contiguous_seq"] == last_seq &&
          central["highest_seq"] == last_seq) {
        break;
      }
    }
    ASSERT_LT(std::chrono::steady_clock::now(), deadline)
        << "central did not catch up: post " << h.dump() << "\ncentral " << central.dump();
    std::this_thread::sleep_for(milliseconds(250));
  }
  ASSERT_GE(last_seq, kEvents);
  // What it took, for the log: duplicates received, and the backfill central had to ask for.
  std::printf("post last_seq %lld, pushes %lld; central: %s\n", static_cast<long long>(last_seq),
              static_cast<long long>(pushed_.load()), central.dump().c_str());
  EXPECT_EQ(central["chain_breaks"], 0) << central.dump();
  EXPECT_EQ(central["conflicts"], 0) << central.dump();
  EXPECT_EQ(central["rejected"], 0) << central.dump();

  // Seq by seq, central's copy is the post's journal.
  ASSERT_TRUE(kordond_->terminate(seconds(10)));
  kordond_.reset();
  const auto journal = postJournal(dir_ + "/state/kordon.db");
  ASSERT_EQ(static_cast<std::int64_t>(journal.size()), last_seq);
  std::int64_t compared = 0;
  for (std::int64_t after = 0; after < last_seq;) {
    const nlohmann::json page =
        getJson(central_http_, "/v1/events?post=" + std::string(kPost) +
                                   "&after=" + std::to_string(after) + "&limit=1000");
    ASSERT_FALSE(page.is_null());
    const nlohmann::json& events = page.is_array() ? page : page["events"];
    ASSERT_FALSE(events.empty()) << "central stops after seq " << after;
    for (const auto& e : events) {
      const std::int64_t seq = e["seq"].get<std::int64_t>();
      ASSERT_EQ(seq, after + 1) << "out of order or duplicated";
      ASSERT_EQ(e["hash"], journal[static_cast<std::size_t>(seq - 1)].second) << "seq " << seq;
      after = seq;
      ++compared;
    }
  }
  EXPECT_EQ(compared, last_seq);
  RecordProperty("events", static_cast<int>(last_seq));
  RecordProperty("pushed", static_cast<int>(pushed_.load()));
}

}  // namespace
}  // namespace kordon::test
