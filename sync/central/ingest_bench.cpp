// SPDX-License-Identifier: Apache-2.0
// kordon-bench-central: central's ingest rate (events/s) against a baseline of raw SQLite
// INSERTs of the same rows, measured in the same run (docs/BENCHMARKS.md "Central ingest").
//
//   build/bin/kordon-bench-central [--events N] [--runs R] [--posts P] [--dir DIR]
//                                  [--postgres postgresql://user@host:port]
//
// Each run ingests N chained, signed event envelopes from P posts into a fresh database:
//   central/verified    CentralStore::ingestFromTopic with post keys: parse, hash, Ed25519
//                       verification, dedupe, chain check, per-post counters
//   central/unverified  the same without post keys (the demo's default)
//   raw sqlite          one prepared INSERT of the same columns per event
//   postgresql/verified with --postgres: as central/verified into a fresh database per run
//                       (CREATE DATABASE kordon_bench_<run> on that server, dropped after)
// All three commit one transaction per event with WAL and synchronous=FULL, as central does,
// so the ratio is the cost of central's checks and bookkeeping over the bare write. The
// medians over R runs are printed.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "edge/msg/event.hpp"
#include "edge/msg/topics.hpp"
#include "edge/store/sqlite.hpp"
#include "sync/central/central_store.hpp"

#include <pqxx/pqxx>

namespace kordon::central {
namespace {

struct Options {
  int events = 5000;
  int runs = 5;
  int posts = 4;
  std::string dir = std::filesystem::temp_directory_path().string();
  std::string postgres;  // server URI without a database; "" = no PostgreSQL run
};

struct Wire {
  std::string topic;
  msg::Event event;
  std::string json;
};

std::vector<Wire> makeEvents(const Options& opts, const std::vector<SigningKey>& keys) {
  std::vector<Wire> out;
  std::vector<std::string> prev(static_cast<std::size_t>(opts.posts), msg::kGenesisHash);
  for (int i = 0; i < opts.events; ++i) {
    const int post = i % opts.posts;
    msg::Event e;
    e.post = "KZ-BENCH-" + std::to_string(post);
    e.seq = i / opts.posts + 1;
    e.id = newUuid();
    e.type = "passage.decided";
    e.time_ms = 1795602300000 + i;
    e.lane = "L" + std::to_string(i % 3 + 1);
    e.passage = newUuid();
    e.prev_hash = prev[static_cast<std::size_t>(post)];
    e.payload = {{"corridor", "green"}, {"plate", "123ABC02"}, {"gross_kg", 38420}};
    e.hash = msg::computeEventHash(e);
    msg::signEvent(e, keys[static_cast<std::size_t>(post)]);
    prev[static_cast<std::size_t>(post)] = e.hash;
    out.push_back({msg::eventsTopic(e.post), e, msg::toWireString(e)});
  }
  return out;
}

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

void removeDb(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

// Events per second through CentralStore, or a negative value on failure.
double runCentral(const std::string& db, const std::vector<Wire>& events,
                  const std::optional<PostKeys>& keys) {
  if (!db.starts_with("postgresql://")) removeDb(db);
  auto store = CentralStore::open(db);
  if (!store) {
    std::fprintf(stderr, "open: %s\n", store.status().message().c_str());
    return -1;
  }
  (*store)->setPostKeys(keys);
  const auto start = std::chrono::steady_clock::now();
  for (const Wire& w : events) {
    auto outcome = (*store)->ingestFromTopic(w.topic, w.json, 0);
    if (!outcome || *outcome != IngestOutcome::kStored) {
      std::fprintf(stderr, "ingest failed: %s\n",
                   outcome ? toString(*outcome) : outcome.status().message().c_str());
      return -1;
    }
  }
  return static_cast<double>(events.size()) / seconds(std::chrono::steady_clock::now() - start);
}

double runRaw(const std::string& path, const std::vector<Wire>& events) {
  removeDb(path);
  auto db = store::Database::open(path, store::Durability::kFull);
  if (!db) return -1;
  Status s = (*db)->exec(
      "CREATE TABLE events(cursor INTEGER PRIMARY KEY AUTOINCREMENT, post TEXT NOT NULL, seq "
      "INTEGER NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL, time_ms INTEGER NOT NULL, lane "
      "TEXT NOT NULL, passage TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, "
      "envelope TEXT NOT NULL, received_ms INTEGER NOT NULL, UNIQUE(post, seq))");
  auto insert = (*db)->prepare(
      "INSERT INTO events(post, seq, id, type, time_ms, lane, passage, prev_hash, hash, envelope, "
      "received_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  if (!s || !insert) return -1;
  const auto start = std::chrono::steady_clock::now();
  for (const Wire& w : events) {
    const msg::Event& e = w.event;
    s = (*db)->transaction([&] {
      return insert->bind(1, e.post)
          .bind(2, e.seq)
          .bind(3, e.id)
          .bind(4, e.type)
          .bind(5, e.time_ms)
          .bind(6, e.lane)
          .bind(7, e.passage)
          .bind(8, e.prev_hash)
          .bind(9, e.hash)
          .bind(10, w.json)
          .bind(11, std::int64_t{0})
          .run();
    });
    if (!s) return -1;
  }
  return static_cast<double>(events.size()) / seconds(std::chrono::steady_clock::now() - start);
}

// Runs one statement on the server's `postgres` database, outside a transaction.
bool adminSql(const std::string& server, const std::string& sql) {
  try {
    pqxx::connection admin(server + "/postgres");
    pqxx::nontransaction tx(admin);
    tx.exec(sql);
    return true;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "postgresql: %s: %s\n", sql.c_str(), e.what());
    return false;
  }
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int run(int argc, char** argv) {
  Options opts;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i];
    const std::string value = argv[i + 1];
    if (name == "--events") {
      opts.events = std::stoi(value);
    } else if (name == "--runs") {
      opts.runs = std::stoi(value);
    } else if (name == "--posts") {
      opts.posts = std::stoi(value);
    } else if (name == "--dir") {
      opts.dir = value;
    } else if (name == "--postgres") {
      opts.postgres = value;
    } else {
      std::fprintf(stderr,
                   "usage: kordon-bench-central [--events N] [--runs R] [--posts P] "
                   "[--dir DIR] [--postgres URI]\n");
      return 2;
    }
  }
  if (argc % 2 == 0 || opts.events < 1 || opts.runs < 1 || opts.posts < 1) {
    std::fprintf(stderr, "kordon-bench-central: bad arguments (see the header comment)\n");
    return 2;
  }
  std::vector<SigningKey> keys;
  PostKeys post_keys;
  for (int p = 0; p < opts.posts; ++p) {
    keys.push_back(SigningKey::generate());
    post_keys.emplace("KZ-BENCH-" + std::to_string(p), VerifyKey::of(keys.back()));
  }
  const std::vector<Wire> events = makeEvents(opts, keys);
  const std::string path = opts.dir + "/kordon-bench-central.db";
  std::vector<double> verified, unverified, raw, postgres;
  for (int r = 0; r < opts.runs; ++r) {
    // Interleaved, so a noisy neighbour slows all of them alike.
    raw.push_back(runRaw(path, events));
    verified.push_back(runCentral(path, events, post_keys));
    unverified.push_back(runCentral(path, events, std::nullopt));
    std::printf("run %d: raw %.0f/s, central/verified %.0f/s, central/unverified %.0f/s", r + 1,
                raw.back(), verified.back(), unverified.back());
    if (!opts.postgres.empty()) {
      const std::string name = "kordon_bench_" + std::to_string(r);
      if (!adminSql(opts.postgres, "DROP DATABASE IF EXISTS " + name) ||
          !adminSql(opts.postgres, "CREATE DATABASE " + name)) {
        return 1;
      }
      postgres.push_back(runCentral(opts.postgres + "/" + name, events, post_keys));
      (void)adminSql(opts.postgres, "DROP DATABASE " + name);
      std::printf(", postgresql/verified %.0f/s", postgres.back());
      if (postgres.back() < 0) return 1;
    }
    std::printf("\n");
    if (raw.back() < 0 || verified.back() < 0 || unverified.back() < 0) return 1;
  }
  removeDb(path);
  const double raw_m = median(raw);
  std::printf("\n%d events, %d posts, %d runs (medians), in %s\n", opts.events, opts.posts,
              opts.runs, opts.dir.c_str());
  std::printf("| what | events/s | ratio to raw SQLite |\n|---|---:|---:|\n");
  std::printf("| raw SQLite INSERT, 1 txn/event | %.0f | 1.00 |\n", raw_m);
  std::printf("| central ingest, signatures verified | %.0f | %.2f |\n", median(verified),
              median(verified) / raw_m);
  std::printf("| central ingest, unverified | %.0f | %.2f |\n", median(unverified),
              median(unverified) / raw_m);
  if (!postgres.empty()) {
    std::printf("| central ingest into PostgreSQL, signatures verified | %.0f | %.2f |\n",
                median(postgres), median(postgres) / raw_m);
  }
  return 0;
}

}  // namespace
}  // namespace kordon::central

int main(int argc, char** argv) { return kordon::central::run(argc, argv); }
