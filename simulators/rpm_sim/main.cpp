// SPDX-License-Identifier: Apache-2.0
// kordon-sim-rpm: a radiation portal monitor speaking the Rapiscan/TSA VM-250 CSV line stream
// over TCP (device-protocols.md §2.2), so the production "vm250-tcp" driver runs unchanged
// against it (STYLE.md §C wire seam). Optionally it also writes one ANSI N42.42-2012 document per
// occupancy (§2.1) for the "n42-folder" driver. Lines and XML are encoded here, from the
// published formats, never through the driver's parsers.
//
// Run recipe:
//   build/bin/kordon-sim-rpm --vm250 127.0.0.1:1601 --control 127.0.0.1:8503 [--n42-folder DIR]
//   curl -X POST
//   'http://127.0.0.1:8503/occupancy?duration_ms=3000&gamma=normal&neutron=normal&speed_kmh=8' curl
//   -X POST 'http://127.0.0.1:8503/occupancy?gamma=alarm'          # {"ok":true,"occupancy":2} curl
//   -X POST 'http://127.0.0.1:8503/fault?kind=disconnect'
//        # none|disconnect|silence|garbage|stuck|slow|truncate
//   curl http://127.0.0.1:8503/state
//   nc 127.0.0.1 1601                                                    # watch the stream
// paired with the kordond config
//   [lanes.radiation] type = "vm250-tcp"  host = "127.0.0.1"  port = 1601
//   or               type = "n42-folder" folder = "DIR"
//
// Stream: every 200 ms tick, while idle, a GB line (4 panels, ~250-300 cps each, Poisson-like
// noise from a seeded RNG) and, every 5th tick, an NB line (4 panels, ~1-4 cps). During an
// occupancy: a GS line (GA while the gamma alarm is on) per tick with the counts of that 200 ms
// sample, an NS (NA) line every 5th tick, then at the end an SP line (speed-time, mph, km/h) and
// GX,<occupancy counter>,<neutron background x1000>,0,0. Occupancies requested while one runs are
// queued. Faults:
//   disconnect  close all clients and refuse connections (listener closed) until cleared
//   silence     keep connections, send nothing
//   garbage     after every line, also a line of random non-protocol bytes
//   stuck       repeat the same GB values forever
//   slow        the stream's clock runs 10x slow: one tick every 2 s
//   truncate    one-shot: the next occupancy stops halfway (clients dropped, no GX) and its N42
//               document is written cut in the middle
// N42 files are written as DIR/.occupancy-N.n42.tmp and renamed to DIR/occupancy-N.n42.
// GET /state returns the fault, counters and the last completed occupancy's ground truth
// (counts exactly as sent). Port 0 binds a free port, which the log names. SIGINT/SIGTERM exit 0.
//
// Threads: one. The TCP server, the tick timer, the control HTTP server and the signal handler
// all run on one io_context, so the model needs no lock.

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <list>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>

#include "edge/base/clock.hpp"
#include "edge/base/http.hpp"
#include "edge/base/log.hpp"
#include "simulators/rpm_sim/rpm_encoding.hpp"

namespace kordon::sim {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using std::chrono::milliseconds;

constexpr milliseconds kTick{200};
constexpr int kSlowFactor = 10;
constexpr int kTicksPerSecond = 5;

enum class Fault { kNone, kDisconnect, kSilence, kGarbage, kStuck, kSlow, kTruncate };

constexpr std::string_view toString(Fault f) {
  switch (f) {
    case Fault::kNone:
      return "none";
    case Fault::kDisconnect:
      return "disconnect";
    case Fault::kSilence:
      return "silence";
    case Fault::kGarbage:
      return "garbage";
    case Fault::kStuck:
      return "stuck";
    case Fault::kSlow:
      return "slow";
    case Fault::kTruncate:
      return "truncate";
  }
  return "?";
}

std::optional<Fault> parseFault(std::string_view text) {
  for (Fault f : {Fault::kNone, Fault::kDisconnect, Fault::kSilence, Fault::kGarbage, Fault::kStuck,
                  Fault::kSlow, Fault::kTruncate}) {
    if (text == toString(f)) return f;
  }
  return std::nullopt;
}

std::optional<std::int64_t> parseInt(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

struct Options {
  std::string vm250_host = "127.0.0.1";
  std::uint16_t vm250_port = 1601;
  std::string control_host = "127.0.0.1";
  std::uint16_t control_port = 8503;
  std::string n42_folder;
  std::uint32_t seed = 1;
};

constexpr const char* kUsage =
    "usage: kordon-sim-rpm [--vm250 HOST:PORT] [--control HOST:PORT] [--n42-folder DIR] "
    "[--seed N]\n"
    "defaults: --vm250 127.0.0.1:1601 --control 127.0.0.1:8503 --seed 1\n";

std::optional<std::string> parseOptions(int argc, char** argv, Options* options) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") return std::string();
    if (i + 1 >= argc) return "missing value for " + std::string(flag);
    const std::string value = argv[++i];
    if (flag == "--vm250") {
      if (!http::splitHostPort(value, &options->vm250_host, &options->vm250_port)) {
        return "bad --vm250 '" + value + "', want HOST:PORT";
      }
    } else if (flag == "--control") {
      if (!http::splitHostPort(value, &options->control_host, &options->control_port)) {
        return "bad --control '" + value + "', want HOST:PORT";
      }
    } else if (flag == "--n42-folder") {
      options->n42_folder = value;
    } else if (flag == "--seed") {
      const auto seed = parseInt(value);
      if (!seed || *seed < 0 || *seed > 0xFFFFFFFFLL) return "bad --seed '" + value + "'";
      options->seed = static_cast<std::uint32_t>(*seed);
    } else {
      return "unknown option " + std::string(flag);
    }
  }
  return std::nullopt;
}

struct Finished {
  std::int64_t id = 0;
  std::int64_t gamma_counts = 0;
  std::int64_t neutron_counts = 0;
  bool gamma_alarm = false;
  bool neutron_alarm = false;
  bool truncated = false;
  double duration_s = 0;
  double speed_kmh = 0;
};

// --- the portal --------------------------------------------------------------------------------

struct Client {
  explicit Client(tcp::socket&& s) : socket(std::move(s)) {}
  tcp::socket socket;
  std::deque<std::string> queue;
  bool writing = false;
  bool closed = false;
};

class Portal {
 public:
  Portal(asio::io_context& io, Options options)
      : io_(io), options_(std::move(options)), rng_(options_.seed), tick_timer_(io) {}

  Status listen() {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(options_.vm250_host, ec);
    if (ec) return Status::error("bad --vm250 host '" + options_.vm250_host + "': " + ec.message());
    endpoint_ = tcp::endpoint(address, options_.vm250_port);
    if (Status s = openAcceptor(); !s) return s;
    endpoint_.port(acceptor_->local_endpoint().port());  // port 0: keep the chosen one
    log::info("vm250 listening", {{"host", options_.vm250_host}, {"port", endpoint_.port()}});
    return Status::ok();
  }

  void start() { scheduleTick(); }

  void stop() {
    closeAcceptor();
    dropClients();
    tick_timer_.cancel();
  }

  http::Response handle(const http::Request& req) {
    if (req.path == "/occupancy") {
      if (req.method != "POST") {
        return error(405, "use POST /occupancy?duration_ms=&gamma=&neutron=&speed_kmh=");
      }
      OccupancyPlan plan;
      const auto duration = parseInt(req.param("duration_ms", "3000"));
      if (!duration || *duration < 200 || *duration > 600000) {
        return error(400, "duration_ms must be an integer in 200..600000");
      }
      plan.ticks = static_cast<int>(*duration / kTick.count());
      const std::string gamma = req.param("gamma", "normal");
      const std::string neutron = req.param("neutron", "normal");
      if ((gamma != "normal" && gamma != "alarm") || (neutron != "normal" && neutron != "alarm")) {
        return error(400, "gamma and neutron must be normal or alarm");
      }
      plan.gamma_alarm = gamma == "alarm";
      plan.neutron_alarm = neutron == "alarm";
      const auto speed = parseInt(req.param("speed_kmh", "8"));
      if (!speed || *speed < 0 || *speed > 200) return error(400, "speed_kmh must be in 0..200");
      plan.speed_kmh = static_cast<double>(*speed);
      plan.id = ++counter_;
      pending_.push_back(plan);
      log::info(
          "occupancy queued",
          {{"occupancy", plan.id}, {"ticks", plan.ticks}, {"gamma", gamma}, {"neutron", neutron}});
      return http::Response::json(200, nlohmann::json{{"ok", true}, {"occupancy", plan.id}}.dump());
    }
    if (req.path == "/fault") {
      if (req.method != "POST") return error(405, "use POST /fault?kind=...");
      const auto fault = parseFault(req.param("kind"));
      if (!fault) {
        return error(400,
                     "kind must be none, disconnect, silence, garbage, stuck, slow or truncate");
      }
      setFault(*fault);
      return http::Response::json(200, R"({"ok":true})");
    }
    if (req.path == "/state") {
      if (req.method != "GET") return error(405, "use GET /state");
      nlohmann::json last = nullptr;
      if (last_) {
        last = {{"occupancy", last_->id},
                {"gamma_counts", last_->gamma_counts},
                {"neutron_counts", last_->neutron_counts},
                {"gamma_alarm", last_->gamma_alarm},
                {"neutron_alarm", last_->neutron_alarm},
                {"truncated", last_->truncated},
                {"duration_s", last_->duration_s},
                {"speed_kmh", last_->speed_kmh}};
      }
      return http::Response::json(200, nlohmann::json{{"fault", toString(fault_)},
                                                      {"vm250_port", endpoint_.port()},
                                                      {"clients", clients_.size()},
                                                      {"occupied", current_.has_value()},
                                                      {"pending", pending_.size()},
                                                      {"occupancies", counter_},
                                                      {"completed", completed_},
                                                      {"lines_sent", lines_sent_},
                                                      {"last_occupancy", last}}
                                           .dump());
    }
    return error(404, "no such endpoint: " + req.path + " (try /occupancy, /fault, /state)");
  }

 private:
  static http::Response error(int status, const std::string& message) {
    return http::Response::json(status,
                                nlohmann::json{{"ok", false}, {"error", message}}.dump(
                                    -1, ' ', false, nlohmann::json::error_handler_t::replace));
  }

  Status openAcceptor() {
    auto acceptor = std::make_unique<tcp::acceptor>(io_);
    boost::system::error_code ec;
    acceptor->open(endpoint_.protocol(), ec);
    if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor->bind(endpoint_, ec);
    if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Status::error("vm250 listen: " + ec.message());
    acceptor_ = std::move(acceptor);
    accept();
    return Status::ok();
  }

  void closeAcceptor() {
    if (!acceptor_) return;
    boost::system::error_code ignored;
    acceptor_->close(ignored);
    // The pending accept completes with operation_aborted and holds no reference to it.
    retired_.push_back(std::move(acceptor_));
  }

  void accept() {
    tcp::acceptor* acceptor = acceptor_.get();
    acceptor->async_accept(
        [this, acceptor](const boost::system::error_code& ec, tcp::socket socket) {
          if (ec || acceptor != acceptor_.get()) return;
          if (fault_ == Fault::kDisconnect) return;
          boost::system::error_code ignored;
          socket.set_option(tcp::no_delay(true), ignored);
          clients_.push_back(std::make_shared<Client>(std::move(socket)));
          log::info("vm250 client connected", {{"clients", clients_.size()}});
          accept();
        });
  }

  void dropClients() {
    for (auto& c : clients_) {
      boost::system::error_code ignored;
      c->closed = true;
      c->socket.shutdown(tcp::socket::shutdown_both, ignored);
      c->socket.close(ignored);
    }
    if (!clients_.empty()) log::info("vm250 clients dropped", {{"clients", clients_.size()}});
    clients_.clear();
  }

  void setFault(Fault fault) {
    const Fault before = fault_;
    fault_ = fault;
    log::info("fault set", {{"kind", toString(fault)}});
    if (fault == Fault::kDisconnect) {
      closeAcceptor();
      dropClients();
    } else if (before == Fault::kDisconnect) {
      if (Status s = openAcceptor(); !s) log::error("reopen failed", {{"error", s.message()}});
    }
    if (fault == Fault::kStuck) stuck_gb_ = noisy(gamma_bg_mean_);
    if (fault == Fault::kTruncate) truncate_next_ = true;
    if (fault != Fault::kTruncate && before == Fault::kTruncate) truncate_next_ = false;
    if ((before == Fault::kSlow) != (fault == Fault::kSlow)) {
      tick_timer_.cancel();  // re-arm with the new period at once
      scheduleTick();
    }
  }

  void send(const std::string& line) {
    if (fault_ == Fault::kSilence || fault_ == Fault::kDisconnect) return;
    ++lines_sent_;
    for (auto& c : clients_) enqueue(c, line);
    if (fault_ == Fault::kGarbage) {
      std::uniform_int_distribution<int> len(1, 60);
      std::uniform_int_distribution<int> byte(0, 255);
      std::string junk = "~";
      for (int i = len(rng_); i > 0; --i) {
        char c = static_cast<char>(byte(rng_));
        if (c == '\n') c = '#';
        junk += c;
      }
      junk += "\n";
      for (auto& c : clients_) enqueue(c, junk);
    }
  }

  void enqueue(const std::shared_ptr<Client>& client, const std::string& bytes) {
    if (client->closed) return;
    if (client->queue.size() > 10000) return;  // a client that does not read loses lines
    client->queue.push_back(bytes);
    if (!client->writing) writeNext(client);
  }

  void writeNext(const std::shared_ptr<Client>& client) {
    if (client->queue.empty() || client->closed) {
      client->writing = false;
      return;
    }
    client->writing = true;
    asio::async_write(client->socket, asio::buffer(client->queue.front()),
                      [this, client](const boost::system::error_code& ec, std::size_t) {
                        if (ec) {
                          client->closed = true;
                          client->writing = false;
                          std::erase(clients_, client);
                          return;
                        }
                        client->queue.pop_front();
                        writeNext(client);
                      });
  }

  Panels noisy(const Panels& mean) {
    Panels out{};
    for (std::size_t p = 0; p < kPanels; ++p) {
      std::poisson_distribution<std::int64_t> d(static_cast<double>(mean[p]));
      out[p] = d(rng_);
    }
    return out;
  }

  void scheduleTick() {
    const milliseconds period = fault_ == Fault::kSlow ? kTick * kSlowFactor : kTick;
    tick_timer_.expires_after(period);
    tick_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      tick();
      scheduleTick();
    });
  }

  void tick() {
    ++tick_;
    if (!current_ && !pending_.empty()) {
      current_ = pending_.front();
      pending_.pop_front();
      samples_.clear();
      occupancy_tick_ = 0;
      truncating_ = truncate_next_;
      truncate_next_ = false;
      if (truncating_ && fault_ == Fault::kTruncate) fault_ = Fault::kNone;  // one-shot
    }
    if (current_) {
      occupancyTick();
      return;
    }
    const Panels gb = fault_ == Fault::kStuck ? stuck_gb_ : noisy(gamma_bg_mean_);
    last_gb_ = gb;
    if (tick_ % kTicksPerSecond == 0) last_gb_start_ms_ = clock_.nowWallMs();
    send(panelLine("GB", gb));
    if (tick_ % kTicksPerSecond == 0) {
      last_nb_ = noisy(neutron_bg_mean_);
      send(panelLine("NB", last_nb_));
    }
  }

  void occupancyTick() {
    const OccupancyPlan& plan = *current_;
    Sample sample;
    sample.start_ms = clock_.nowWallMs();
    Panels gamma_mean{};
    for (std::size_t p = 0; p < kPanels; ++p) {
      // A truck shields part of the background (~10 %); a source triples the count rate.
      const double per_tick = static_cast<double>(gamma_bg_mean_[p]) / kTicksPerSecond;
      gamma_mean[p] = std::llround(per_tick * (plan.gamma_alarm ? 3.0 : 0.9));
    }
    sample.gamma = noisy(gamma_mean);
    send(panelLine(plan.gamma_alarm ? "GA" : "GS", sample.gamma));
    if (occupancy_tick_ % kTicksPerSecond == 0) {
      Panels neutron_mean = neutron_bg_mean_;
      if (plan.neutron_alarm) neutron_mean = {20, 20, 20, 20};
      sample.neutron = noisy(neutron_mean);
      send(panelLine(plan.neutron_alarm ? "NA" : "NS", *sample.neutron));
    }
    samples_.push_back(sample);
    ++occupancy_tick_;

    if (truncating_ && occupancy_tick_ >= std::max(1, plan.ticks / 2)) {
      log::info("occupancy truncated", {{"occupancy", plan.id}});
      dropClients();
      finish(true);
      return;
    }
    if (occupancy_tick_ < plan.ticks) return;
    const double kmh = plan.speed_kmh;
    const double speed_time_s = kmh > 0 ? 3.6 / kmh : 0;  // seconds per metre
    send("SP," + fixed(speed_time_s, 4) + "," + fixed(kmh / 1.609344, 2) + "," + fixed(kmh, 2) +
         "\r\n");
    std::int64_t nbg = 0;
    for (const auto v : last_nb_) nbg += v;
    send("GX," + std::to_string(plan.id) + "," + std::to_string(nbg * 1000) + ",0,0\r\n");
    finish(false);
  }

  void finish(bool truncated) {
    const OccupancyPlan plan = *current_;
    Finished f;
    f.id = plan.id;
    f.gamma_alarm = plan.gamma_alarm;
    f.neutron_alarm = plan.neutron_alarm;
    f.truncated = truncated;
    f.speed_kmh = truncated ? 0 : plan.speed_kmh;
    f.duration_s = static_cast<double>(samples_.size()) * 0.2;
    for (const auto& s : samples_) {
      for (const auto v : s.gamma) f.gamma_counts += v;
      if (s.neutron) {
        for (const auto v : *s.neutron) f.neutron_counts += v;
      }
    }
    last_ = f;
    ++completed_;
    current_.reset();
    if (!options_.n42_folder.empty()) writeN42(plan, truncated);
  }

  void writeN42(const OccupancyPlan& plan, bool truncated) {
    std::string doc =
        n42Document(plan, samples_, last_gb_, last_nb_, last_gb_start_ms_, uuidFrom(rng_));
    if (truncated) doc.resize(doc.size() / 2);
    namespace fs = std::filesystem;
    const fs::path dir(options_.n42_folder);
    std::error_code ec;
    fs::create_directories(dir, ec);
    const std::string name = "occupancy-" + std::to_string(plan.id) + ".n42";
    const fs::path tmp = dir / ("." + name + ".tmp");
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << doc;
      if (!out) {
        log::error("n42 write failed", {{"file", tmp.string()}});
        return;
      }
    }
    fs::rename(tmp, dir / name, ec);
    if (ec) {
      log::error("n42 rename failed", {{"file", name}, {"error", ec.message()}});
      return;
    }
    log::info("n42 written", {{"file", name}, {"truncated", truncated}});
  }

  asio::io_context& io_;
  const Options options_;
  SystemClock clock_;
  std::mt19937 rng_;
  asio::steady_timer tick_timer_;
  tcp::endpoint endpoint_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::vector<std::unique_ptr<tcp::acceptor>> retired_;
  std::list<std::shared_ptr<Client>> clients_;

  Fault fault_ = Fault::kNone;
  bool truncate_next_ = false;
  bool truncating_ = false;
  std::uint64_t tick_ = 0;
  std::uint64_t lines_sent_ = 0;
  const Panels gamma_bg_mean_{262, 281, 255, 297};
  const Panels neutron_bg_mean_{2, 3, 1, 2};
  Panels stuck_gb_{};
  Panels last_gb_{262, 281, 255, 297};
  Panels last_nb_{2, 3, 1, 2};
  WallMs last_gb_start_ms_ = 0;

  std::int64_t counter_ = 0;
  std::int64_t completed_ = 0;
  std::deque<OccupancyPlan> pending_;
  std::optional<OccupancyPlan> current_;
  std::vector<Sample> samples_;
  int occupancy_tick_ = 0;
  std::optional<Finished> last_;
};

int run(int argc, char** argv) {
  Options options;
  if (const auto error = parseOptions(argc, argv, &options)) {
    if (error->empty()) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    std::fprintf(stderr, "kordon-sim-rpm: %s\n%s", error->c_str(), kUsage);
    return 2;
  }
  log::configure(log::Level::kInfo, log::Format::kText, "sim-rpm");
  std::signal(SIGPIPE, SIG_IGN);

  asio::io_context io;
  Portal portal(io, options);
  if (Status s = portal.listen(); !s) {
    log::error("listen failed", {{"error", s.message()}});
    return 1;
  }
  http::Server control(io, [&portal](const http::Request& req) { return portal.handle(req); });
  const auto control_port = control.listen(options.control_host, options.control_port);
  if (!control_port) {
    log::error("control listen failed", {{"error", control_port.status().message()}});
    return 1;
  }
  log::info("control listening", {{"host", options.control_host}, {"port", *control_port}});
  int stop_signal = 0;
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal_number) {
    if (ec) return;
    stop_signal = signal_number;
    portal.stop();
    control.stop();
    io.stop();
  });
  portal.start();
  io.run();
  log::info("stopped", {{"signal", stop_signal}, {"exit_code", 0}});
  return 0;
}

}  // namespace
}  // namespace kordon::sim

int main(int argc, char** argv) { return kordon::sim::run(argc, argv); }
