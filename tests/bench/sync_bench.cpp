// SPDX-License-Identifier: Apache-2.0
// kordon-bench-sync: the post's sync path measured side by side with its baselines, in one run
// (docs/BENCHMARKS.md "Sync"). Prints a Markdown table of medians and ratios.
//
//   1. durable enqueue: Store::transact with one signed, hash-chained event per transaction
//      (synchronous=FULL), against raw SQLite INSERTs of the same envelopes, one per
//      transaction, with the same pragmas;
//   2. drain to a local mosquitto: OutboxPump + MqttClient (QoS1, window 64, marks delivered
//      in SQLite), against raw Paho async_client QoS1 publishes of the same payloads with the
//      same window and no store;
//   3. the drain time of a large backlog (100,000 events by default).
//
//   kordon-bench-sync [--enqueue N] [--drain N] [--backlog N] [--runs R] [--dir DIR]
//
// It starts its own mosquitto on a free loopback port. Nothing here is asserted: figures only.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <mqtt/async_client.h>
#include <sqlite3.h>

#include "edge/base/clock.hpp"
#include "edge/base/crypto.hpp"
#include "edge/base/log.hpp"
#include "edge/store/store.hpp"
#include "sync/mqtt_client.hpp"
#include "sync/outbox_pump.hpp"
#include "tests/hil/broker.hpp"

namespace kordon::bench {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

constexpr const char* kPost = "KZ-BENCH";
constexpr int kWindow = 64;
constexpr int kBatch = 50;  // events per transaction in the batched enqueue

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// A plate read as lanes record them: the typical size and shape of an event.
msg::EventDraft typicalDraft(int i) {
  return {"plate.read",
          "L" + std::to_string(i % 4 + 1),
          newUuid(),
          {{"raw", "123ABC02"},
           {"plate", "123ABC02"},
           {"confidence_pct", 90},
           {"camera", "L1-cam"},
           {"direction", "forward"},
           {"camera_event", std::to_string(i)},
           {"camera_time", "2026-11-21T10:00:00.000Z"},
           {"evidence", nlohmann::json::array({{{"sha256", sha256Hex(std::to_string(i))},
                                                {"media_type", "image/jpeg"},
                                                {"role", "plate"}}})}}};
}

std::unique_ptr<store::Store> openStore(const std::string& path, const kordon::Clock& clock) {
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  auto store = store::Store::open(path, kPost, clock, SigningKey::generate());
  if (!store) {
    std::cerr << "store: " << store.status().message() << "\n";
    std::exit(1);
  }
  return std::move(*store);
}

// Fills a store with n events, `per_tx` to a transaction (set-up, not measured).
void fill(store::Store& store, int n, int per_tx = 500) {
  for (int done = 0; done < n;) {
    const int batch = std::min(per_tx, n - done);
    auto r = store.transact([&](store::Transaction& tx) {
      for (int i = 0; i < batch; ++i) {
        if (Status s = tx.emit(typicalDraft(done + i)); !s) return s;
      }
      return Status::ok();
    });
    if (!r) {
      std::cerr << "fill: " << r.status().message() << "\n";
      std::exit(1);
    }
    done += batch;
  }
}

std::vector<std::string> envelopes(store::Store& store) {
  std::vector<std::string> out;
  for (std::int64_t after = 0;;) {
    auto batch = store.undeliveredEntries(after, 5000);
    if (!batch || batch->empty()) break;
    for (auto& e : *batch) out.push_back(std::move(e.envelope));
    after = batch->back().seq;
  }
  return out;
}

// --- 1. durable enqueue ------------------------------------------------------------------------

// Events per second, `per_tx` events to a transaction. The drafts are made before the clock
// starts, as the raw baseline's payloads are.
double enqueueKordon(const std::string& dir, int n, int per_tx) {
  SystemClock clock;
  auto store = openStore(dir + "/enqueue.db", clock);
  std::vector<msg::EventDraft> drafts;
  for (int i = 0; i < n; ++i) drafts.push_back(typicalDraft(i));
  const auto t0 = Clock::now();
  for (int done = 0; done < n; done += per_tx) {
    auto r = store->transact([&](store::Transaction& tx) {
      for (int i = done; i < std::min(n, done + per_tx); ++i) {
        if (Status s = tx.emit(std::move(drafts[static_cast<std::size_t>(i)])); !s) return s;
      }
      return Status::ok();
    });
    if (!r) std::exit(1);
  }
  return n / seconds(Clock::now() - t0);
}

double enqueueRawSqlite(const std::string& dir, const std::vector<std::string>& payloads,
                        std::size_t per_tx) {
  const std::string path = dir + "/raw.db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
               "CREATE TABLE journal (seq INTEGER PRIMARY KEY, envelope TEXT NOT NULL);",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO journal (seq, envelope) VALUES (?1, ?2)", -1, &insert,
                     nullptr);
  const auto t0 = Clock::now();
  for (std::size_t i = 0; i < payloads.size(); i += per_tx) {
    sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    for (std::size_t j = i; j < std::min(payloads.size(), i + per_tx); ++j) {
      sqlite3_bind_int64(insert, 1, static_cast<sqlite3_int64>(j + 1));
      sqlite3_bind_text(insert, 2, payloads[j].data(), static_cast<int>(payloads[j].size()),
                        SQLITE_STATIC);
      sqlite3_step(insert);
      sqlite3_reset(insert);
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  const double rate = payloads.size() / seconds(Clock::now() - t0);
  sqlite3_finalize(insert);
  sqlite3_close(db);
  return rate;
}

// --- 2. drain ------------------------------------------------------------------------------------

// Seconds for OutboxPump to get every event of `store` acknowledged and marked delivered.
double drainKordon(store::Store& store, const std::string& uri) {
  auto pending = store.undeliveredCount();
  const std::uint64_t total = pending ? static_cast<std::uint64_t>(*pending) : 0;
  asio::io_context io;
  SystemClock clock;
  sync::MqttOptions options;
  options.server_uri = uri;
  options.client_id = "bench-pump";
  sync::MqttClient mqtt(io, options);
  sync::OutboxPump pump(io, store, mqtt, clock, kWindow);
  Clock::time_point t0;
  std::optional<Clock::time_point> t1;
  mqtt.onConnected([&] {
    t0 = Clock::now();
    pump.onConnected();
  });
  asio::steady_timer poll(io);
  std::function<void()> check = [&] {
    poll.expires_after(std::chrono::milliseconds(2));
    poll.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      if (pump.deliveredCount() == total) {
        t1 = Clock::now();
        mqtt.stop();
        io.stop();
        return;
      }
      check();
    });
  };
  if (Status s = mqtt.start(); !s) std::exit(1);
  check();
  io.run();
  return t1 ? seconds(*t1 - t0) : -1;
}

// Seconds for raw Paho to publish every payload at QoS1 with at most kWindow unacknowledged.
double drainRawPaho(const std::vector<std::string>& payloads, const std::string& uri) {
  mqtt::async_client client(uri, "bench-raw", nullptr);
  client.connect(mqtt::connect_options_builder().clean_session(true).finalize())->wait();
  std::mutex mutex;
  std::condition_variable cv;
  int in_flight = 0;
  std::size_t acked = 0;
  struct Listener : mqtt::iaction_listener {
    std::function<void()> done;
    void on_success(const mqtt::token&) override { done(); }
    void on_failure(const mqtt::token&) override { done(); }
  } listener;
  listener.done = [&] {
    std::lock_guard lock(mutex);
    --in_flight;
    ++acked;
    cv.notify_one();
  };
  const std::string topic = std::string("kordon/v1/") + kPost + "/events";
  const auto t0 = Clock::now();
  for (const std::string& payload : payloads) {
    {
      std::unique_lock lock(mutex);
      cv.wait(lock, [&] { return in_flight < kWindow; });
      ++in_flight;
    }
    client.publish(mqtt::make_message(topic, payload, 1, false), nullptr, listener);
  }
  {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return acked == payloads.size(); });
  }
  const double s = seconds(Clock::now() - t0);
  client.disconnect()->wait();
  return s;
}

int intOption(int argc, char** argv, const std::string& name, int fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == "--" + name) return std::stoi(argv[i + 1]);
  }
  return fallback;
}

int run(int argc, char** argv) {
  const int enqueue_n = intOption(argc, argv, "enqueue", 1000);
  const int drain_n = intOption(argc, argv, "drain", 20000);
  const int backlog_n = intOption(argc, argv, "backlog", 100000);
  const int runs = intOption(argc, argv, "runs", 5);
  std::string dir = (std::filesystem::temp_directory_path() / "kordon-bench-sync").string();
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--dir") dir = argv[i + 1];
  }
  std::filesystem::create_directories(dir);
  log::configure(log::Level::kError, log::Format::kText, "bench");

  auto broker = test::Broker::start(dir);
  if (!broker) {
    std::cerr << "mosquitto: " << broker.status().message() << "\n";
    return 1;
  }
  SystemClock clock;

  std::vector<double> kordon_enqueue, raw_enqueue, kordon_batch, raw_batch, kordon_drain, raw_drain;
  for (int r = 0; r < runs; ++r) {
    auto store = openStore(dir + "/payloads.db", clock);
    fill(*store, enqueue_n * kBatch);
    const std::vector<std::string> enqueue_payloads = envelopes(*store);
    kordon_enqueue.push_back(enqueueKordon(dir, enqueue_n, 1));
    raw_enqueue.push_back(
        enqueueRawSqlite(dir, {enqueue_payloads.begin(), enqueue_payloads.begin() + enqueue_n}, 1));
    kordon_batch.push_back(enqueueKordon(dir, enqueue_n * kBatch, kBatch));
    raw_batch.push_back(enqueueRawSqlite(dir, enqueue_payloads, kBatch));

    auto drain_store = openStore(dir + "/drain.db", clock);
    fill(*drain_store, drain_n);
    const std::vector<std::string> payloads = envelopes(*drain_store);
    kordon_drain.push_back(drain_n / drainKordon(*drain_store, broker->uri()));
    raw_drain.push_back(drain_n / drainRawPaho(payloads, broker->uri()));
    std::fprintf(
        stderr, "run %d: enqueue %.0f vs %.0f /s, batched %.0f vs %.0f /s, drain %.0f vs %.0f /s\n",
        r + 1, kordon_enqueue.back(), raw_enqueue.back(), kordon_batch.back(), raw_batch.back(),
        kordon_drain.back(), raw_drain.back());
  }

  std::vector<double> backlog_s;
  const int backlog_runs = std::max(1, runs / 2);
  for (int r = 0; r < backlog_runs; ++r) {
    auto store = openStore(dir + "/backlog.db", clock);
    fill(*store, backlog_n);
    backlog_s.push_back(drainKordon(*store, broker->uri()));
    std::fprintf(stderr, "backlog run %d: %d events in %.1f s\n", r + 1, backlog_n,
                 backlog_s.back());
  }

  const double ke = median(kordon_enqueue), re = median(raw_enqueue);
  const double kd = median(kordon_drain), rd = median(raw_drain);
  std::printf("| measure | Kordon | baseline | Kordon / baseline |\n|---|---|---|---|\n");
  std::printf(
      "| durable enqueue, 1 event per transaction (events/s, %d events) | %.0f | %.0f "
      "(raw SQLite INSERT) | %.2f |\n",
      enqueue_n, ke, re, ke / re);
  const double kb = median(kordon_batch), rb = median(raw_batch);
  std::printf(
      "| durable enqueue, %d events per transaction (events/s, %d events) | %.0f | %.0f "
      "(raw SQLite INSERT) | %.2f |\n",
      kBatch, enqueue_n * kBatch, kb, rb, kb / rb);
  std::printf(
      "| drain to local mosquitto, QoS1, window %d (events/s, %d events) | %.0f | %.0f "
      "(raw Paho) | %.2f |\n",
      kWindow, drain_n, kd, rd, kd / rd);
  std::printf("| drain of a %d-event backlog (s) | %.1f | | |\n", backlog_n, median(backlog_s));
  std::printf("\nmedians of %d runs (backlog: %d)\n", runs, backlog_runs);
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace kordon::bench

int main(int argc, char** argv) { return kordon::bench::run(argc, argv); }
