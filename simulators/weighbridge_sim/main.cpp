// SPDX-License-Identifier: Apache-2.0
// kordon-sim-weighbridge: a weighing indicator speaking real Modbus TCP (libmodbus server), so
// the production ModbusWeighbridge runs unchanged against it (STYLE.md §C wire seam). It encodes
// its registers itself from the published layouts in device-protocols.md §1.1 (Laumas) and
// §1.2 (Flintec FT-11), never through the driver's decoder, so a symmetric bug cannot hide.
//
// Run recipe:
//   build/bin/kordon-sim-weighbridge --modbus 127.0.0.1:1502 --map laumas --control 127.0.0.1:8501
//   curl -X POST 'http://127.0.0.1:8501/weight?kg=38420&settle_ms=1500'   # truck drives on
//   curl -X POST 'http://127.0.0.1:8501/weight?kg=0'                      # truck leaves
//   curl -X POST 'http://127.0.0.1:8501/fault?kind=silent'                #
//   none|overload|error|silent curl http://127.0.0.1:8501/state     #
//   {"gross_kg":38420,"stable":true,"map":"laumas",...}
// paired with the kordond config
//   [lanes.weighbridge] type = "modbus-tcp"  host = "127.0.0.1"  port = 1502  register_map =
//   "laumas"
//
// Model: after POST /weight the value ramps from the old weight to `kg` with a decaying
// oscillation and the motion/unstable status for settle_ms, then holds exactly `kg` with the
// stability flag. Faults: overload and error set the map's overload/fault status; silent stops
// answering (the driver times out). Requests for another unit id get exception 0x0B, as from a
// gateway. Port 0 binds a free port, which the log names. SIGINT/SIGTERM exit with code 0.
//
// Threads: the main thread runs the Modbus select() loop; the control server runs on its own
// io_context thread. Both touch the model and the register mapping only under `Shared::mutex`.

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <numbers>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <modbus/modbus.h>
#include <nlohmann/json.hpp>

#include "edge/base/http.hpp"
#include "edge/base/log.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kordon::sim {
namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kRegisterCount = 32;  // covers both maps; reads beyond get "illegal data address"
constexpr std::int64_t kMaxAbsKg = 999999;  // Laumas' display limit (status bit 4)
constexpr milliseconds kDefaultSettle{1000};
constexpr milliseconds kMaxSettle{600000};

enum class MapKind { kLaumas, kFlintec };
enum class Fault { kNone, kOverload, kError, kSilent };

constexpr std::string_view toString(MapKind map) {
  return map == MapKind::kLaumas ? "laumas" : "flintec";
}

constexpr std::string_view toString(Fault fault) {
  switch (fault) {
    case Fault::kNone:
      return "none";
    case Fault::kOverload:
      return "overload";
    case Fault::kError:
      return "error";
    case Fault::kSilent:
      return "silent";
  }
  return "?";
}

std::optional<Fault> parseFault(std::string_view text) {
  for (Fault f : {Fault::kNone, Fault::kOverload, Fault::kError, Fault::kSilent}) {
    if (text == toString(f)) return f;
  }
  return std::nullopt;
}

std::optional<std::int64_t> parseInt(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// --- weight model ----------------------------------------------------------------------------

struct Snapshot {
  std::int64_t gross_kg = 0;
  bool stable = true;
};

// What the load cells see: a ramp with a decaying wobble while a truck drives on or off, then
// the exact target. Not thread-safe; Shared::mutex guards it.
class WeightModel {
 public:
  void setTarget(std::int64_t target_kg, milliseconds settle, Steady::time_point now) {
    from_kg_ = at(now).gross_kg;
    target_kg_ = target_kg;
    changed_at_ = now;
    settle_ = settle;
  }

  Snapshot at(Steady::time_point now) const {
    const auto elapsed = now - changed_at_;
    if (settle_.count() <= 0 || elapsed >= settle_) return {target_kg_, true};
    const double progress = std::chrono::duration<double>(elapsed) / settle_;
    const double seconds = std::chrono::duration<double>(elapsed).count();
    const double delta = static_cast<double>(target_kg_ - from_kg_);
    const double amplitude_kg = 30.0 + std::abs(delta) / 40.0;
    // Axles rolling on: a 2 Hz wobble that swells and dies out over the settle time.
    const double wobble = amplitude_kg * std::sin(std::numbers::pi * progress) *
                          std::sin(2.0 * std::numbers::pi * 2.0 * seconds);
    auto value = static_cast<std::int64_t>(
        std::llround(static_cast<double>(from_kg_) + delta * progress + wobble));
    if (std::min(from_kg_, target_kg_) >= 0) value = std::max<std::int64_t>(value, 0);
    return {value, false};
  }

  std::int64_t targetKg() const { return target_kg_; }

 private:
  std::int64_t from_kg_ = 0;
  std::int64_t target_kg_ = 0;
  Steady::time_point changed_at_{};
  milliseconds settle_{0};
};

// --- register encoding (independent of drivers/weighbridge) ----------------------------------

std::uint16_t highWord(std::int64_t value) {
  return static_cast<std::uint16_t>((static_cast<std::uint32_t>(value) >> 16) & 0xFFFFU);
}
std::uint16_t lowWord(std::int64_t value) {
  return static_cast<std::uint16_t>(static_cast<std::uint32_t>(value) & 0xFFFFU);
}

// device-protocols.md §1.1: wire 6 status, 7/8 gross high/low as an unsigned magnitude with
// the sign in status bit 7; net (9/10) equals gross (no tare), sign in bit 8.
void encodeLaumas(const Snapshot& s, Fault fault, std::uint16_t* regs) {
  constexpr std::uint16_t kLoadCellError = 1U << 0;
  constexpr std::uint16_t kOver110PercentFullScale = 1U << 3;
  constexpr std::uint16_t kGrossNegative = 1U << 7;
  constexpr std::uint16_t kNetNegative = 1U << 8;
  constexpr std::uint16_t kStable = 1U << 11;
  constexpr std::uint16_t kCentreOfZero = 1U << 12;

  std::uint16_t status = 0;
  if (s.stable) status |= kStable;
  if (s.gross_kg < 0) status |= kGrossNegative | kNetNegative;
  if (s.gross_kg == 0) status |= kCentreOfZero;
  if (fault == Fault::kOverload) status |= kOver110PercentFullScale;
  if (fault == Fault::kError) status |= kLoadCellError;
  const std::int64_t magnitude = s.gross_kg < 0 ? -s.gross_kg : s.gross_kg;

  regs[0] = 0x0110;  // firmware version
  regs[1] = 0x0001;  // instrument type
  regs[2] = 2024;    // year of manufacture
  regs[3] = 4242;    // serial number
  regs[4] = 0;       // program type
  regs[5] = 0;       // command register
  regs[6] = status;
  regs[7] = highWord(magnitude);
  regs[8] = lowWord(magnitude);
  regs[9] = highWord(magnitude);  // net
  regs[10] = lowWord(magnitude);
  regs[11] = 0;  // peak
  regs[12] = 0;
  regs[13] = 0x0001;  // divisions and unit: 1 kg
}

// device-protocols.md §1.2: 0x0000-1 display value, 0x0002 status, 0x0003-4 tare, 0x0005-6
// gross; 32-bit values signed two's complement, high word first.
void encodeFlintec(const Snapshot& s, Fault fault, std::uint16_t* regs) {
  constexpr std::uint16_t kDataOk = 1U << 1;
  constexpr std::uint16_t kMotion = 1U << 2;
  constexpr int kErrorCodeShift = 13;
  constexpr std::uint16_t kAdcOverRange = 2;
  constexpr std::uint16_t kSystemFault = 4;

  std::uint16_t status = kDataOk;
  if (!s.stable) status |= kMotion;
  if (fault == Fault::kOverload) {
    status |= static_cast<std::uint16_t>(kAdcOverRange << kErrorCodeShift);
  }
  if (fault == Fault::kError) {
    status = static_cast<std::uint16_t>((status & ~kDataOk) | (kSystemFault << kErrorCodeShift));
  }
  regs[0] = highWord(s.gross_kg);
  regs[1] = lowWord(s.gross_kg);
  regs[2] = status;
  regs[3] = 0;  // tare
  regs[4] = 0;
  regs[5] = highWord(s.gross_kg);
  regs[6] = lowWord(s.gross_kg);
}

// --- shared state ----------------------------------------------------------------------------

struct Shared {
  std::mutex mutex;
  WeightModel model;           // guarded by mutex
  Fault fault = Fault::kNone;  // guarded by mutex
};

struct Options {
  std::string modbus_host = "127.0.0.1";
  std::uint16_t modbus_port = 1502;
  MapKind map = MapKind::kLaumas;
  int unit = 1;
  std::string control_host = "127.0.0.1";
  std::uint16_t control_port = 8501;
};

constexpr const char* kUsage =
    "usage: kordon-sim-weighbridge [--modbus HOST:PORT] [--map laumas|flintec] [--unit N]\n"
    "                              [--control HOST:PORT]\n"
    "defaults: --modbus 127.0.0.1:1502 --map laumas --unit 1 --control 127.0.0.1:8501\n";

std::optional<std::string> parseOptions(int argc, char** argv, Options* options) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") return std::string();
    if (i + 1 >= argc) return "missing value for " + std::string(flag);
    const std::string value = argv[++i];
    if (flag == "--modbus") {
      if (!http::splitHostPort(value, &options->modbus_host, &options->modbus_port)) {
        return "bad --modbus '" + value + "', want HOST:PORT";
      }
    } else if (flag == "--control") {
      if (!http::splitHostPort(value, &options->control_host, &options->control_port)) {
        return "bad --control '" + value + "', want HOST:PORT";
      }
    } else if (flag == "--map") {
      if (value == "laumas") {
        options->map = MapKind::kLaumas;
      } else if (value == "flintec") {
        options->map = MapKind::kFlintec;
      } else {
        return "unknown --map '" + value + "' (known: laumas, flintec)";
      }
    } else if (flag == "--unit") {
      const auto unit = parseInt(value);
      if (!unit || *unit < 1 || *unit > 247) return "bad --unit '" + value + "', want 1..247";
      options->unit = static_cast<int>(*unit);
    } else {
      return "unknown option " + std::string(flag);
    }
  }
  return std::nullopt;
}

// --- control API -----------------------------------------------------------------------------

http::Response jsonError(int status, const std::string& message) {
  // Messages echo request text, which need not be valid UTF-8: replace, never throw.
  return http::Response::json(status,
                              nlohmann::json{{"ok", false}, {"error", message}}.dump(
                                  -1, ' ', false, nlohmann::json::error_handler_t::replace));
}

http::Response handleControl(const http::Request& req, Shared& shared, MapKind map) {
  if (req.path == "/weight") {
    if (req.method != "POST") return jsonError(405, "use POST /weight?kg=N[&settle_ms=M]");
    const auto kg = parseInt(req.param("kg"));
    if (!kg || *kg < -kMaxAbsKg || *kg > kMaxAbsKg) {
      return jsonError(400,
                       "kg must be an integer in -999999..999999, got '" + req.param("kg") + "'");
    }
    milliseconds settle = kDefaultSettle;
    if (!req.param("settle_ms").empty()) {
      const auto value = parseInt(req.param("settle_ms"));
      if (!value || *value < 0 || *value > kMaxSettle.count()) {
        return jsonError(
            400, "settle_ms must be an integer in 0..600000, got '" + req.param("settle_ms") + "'");
      }
      settle = milliseconds(*value);
    }
    {
      std::lock_guard lock(shared.mutex);
      shared.model.setTarget(*kg, settle, Steady::now());
    }
    log::info("weight target set", {{"kg", *kg}, {"settle_ms", settle.count()}});
    return http::Response::json(200, R"({"ok":true})");
  }
  if (req.path == "/fault") {
    if (req.method != "POST") {
      return jsonError(405, "use POST /fault?kind=none|overload|error|silent");
    }
    const auto fault = parseFault(req.param("kind"));
    if (!fault) {
      return jsonError(
          400, "kind must be none, overload, error or silent, got '" + req.param("kind") + "'");
    }
    {
      std::lock_guard lock(shared.mutex);
      shared.fault = *fault;
    }
    log::info("fault set", {{"kind", toString(*fault)}});
    return http::Response::json(200, R"({"ok":true})");
  }
  if (req.path == "/state") {
    if (req.method != "GET") return jsonError(405, "use GET /state");
    std::lock_guard lock(shared.mutex);
    const Snapshot s = shared.model.at(Steady::now());
    return http::Response::json(200, nlohmann::json{{"gross_kg", s.gross_kg},
                                                    {"stable", s.stable},
                                                    {"target_kg", shared.model.targetKg()},
                                                    {"map", toString(map)},
                                                    {"fault", toString(shared.fault)}}
                                         .dump());
  }
  return jsonError(404, "no such endpoint: " + req.path + " (try /weight, /fault, /state)");
}

// --- Modbus server ---------------------------------------------------------------------------

volatile std::sig_atomic_t g_stop_signal = 0;

void onStopSignal(int signal_number) { g_stop_signal = signal_number; }

std::uint16_t boundPort(int socket_fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (getsockname(socket_fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
  if (address.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port);
  }
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port);
  }
  return 0;
}

// Serves Modbus TCP until a stop signal. Returns the process exit code.
int serveModbus(const Options& options, Shared& shared) {
  const std::string service = std::to_string(options.modbus_port);
  modbus_t* ctx = modbus_new_tcp_pi(options.modbus_host.c_str(), service.c_str());
  modbus_mapping_t* mapping = modbus_mapping_new(0, 0, kRegisterCount, 0);
  if (ctx == nullptr || mapping == nullptr) {
    log::error("cannot allocate libmodbus context", {{"error", modbus_strerror(errno)}});
    if (ctx != nullptr) modbus_free(ctx);
    if (mapping != nullptr) modbus_mapping_free(mapping);
    return 1;
  }
  const int listen_fd = modbus_tcp_pi_listen(ctx, 8);
  if (listen_fd < 0) {
    log::error("modbus listen failed", {{"host", options.modbus_host},
                                        {"port", options.modbus_port},
                                        {"error", modbus_strerror(errno)}});
    modbus_mapping_free(mapping);
    modbus_free(ctx);
    return 1;
  }
  log::info("modbus listening", {{"host", options.modbus_host},
                                 {"port", boundPort(listen_fd)},
                                 {"map", toString(options.map)},
                                 {"unit", options.unit}});

  const int unit_offset = modbus_get_header_length(ctx) - 1;  // MBAP: unit id ends the header
  std::set<int> clients;
  std::uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
  while (g_stop_signal == 0) {
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(listen_fd, &readable);
    int max_fd = listen_fd;
    for (int fd : clients) {
      FD_SET(fd, &readable);
      max_fd = std::max(max_fd, fd);
    }
    timeval tick{0, 100 * 1000};  // re-check the stop flag even if no signal interrupts select
    const int ready = select(max_fd + 1, &readable, nullptr, nullptr, &tick);
    if (ready < 0) {
      if (errno == EINTR) continue;
      log::error("select failed", {{"error", std::strerror(errno)}});
      break;
    }
    if (FD_ISSET(listen_fd, &readable)) {
      const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0 && fd < FD_SETSIZE) {
        clients.insert(fd);
        log::info("modbus client connected", {{"fd", fd}});
      } else if (fd >= 0) {
        close(fd);  // select() cannot watch it
      }
    }
    for (auto it = clients.begin(); it != clients.end();) {
      const int fd = *it;
      if (!FD_ISSET(fd, &readable)) {
        ++it;
        continue;
      }
      modbus_set_socket(ctx, fd);
      const int length = modbus_receive(ctx, query);
      if (length < 0) {  // peer closed or sent garbage
        log::info("modbus client disconnected", {{"fd", fd}});
        close(fd);
        it = clients.erase(it);
        continue;
      }
      if (length > 0) {
        std::lock_guard lock(shared.mutex);
        const Snapshot snapshot = shared.model.at(Steady::now());
        if (options.map == MapKind::kLaumas) {
          encodeLaumas(snapshot, shared.fault, mapping->tab_registers);
        } else {
          encodeFlintec(snapshot, shared.fault, mapping->tab_registers);
        }
        const int unit = query[unit_offset];
        if (shared.fault == Fault::kSilent) {
          // no reply: the master times out
        } else if (unit != options.unit && unit != MODBUS_TCP_SLAVE) {
          modbus_reply_exception(ctx, query, MODBUS_EXCEPTION_GATEWAY_TARGET);
        } else {
          modbus_reply(ctx, query, length, mapping);
        }
      }
      ++it;
    }
  }

  for (int fd : clients) close(fd);
  close(listen_fd);
  modbus_set_socket(ctx, -1);
  modbus_mapping_free(mapping);
  modbus_free(ctx);
  return 0;
}

int run(int argc, char** argv) {
  Options options;
  if (const auto error = parseOptions(argc, argv, &options)) {
    if (error->empty()) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    std::fprintf(stderr, "kordon-sim-weighbridge: %s\n%s", error->c_str(), kUsage);
    return 2;
  }
  log::configure(log::Level::kInfo, log::Format::kText, "sim-weighbridge");

  // The control thread starts with SIGINT/SIGTERM blocked, so they interrupt the main thread's
  // select() and the loop ends promptly.
  struct sigaction stop_action {};
  stop_action.sa_handler = onStopSignal;
  sigemptyset(&stop_action.sa_mask);
  sigaction(SIGINT, &stop_action, nullptr);
  sigaction(SIGTERM, &stop_action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a client vanishing mid-reply must not kill the simulator
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  Shared shared;
  boost::asio::io_context control_io;
  http::Server control(control_io, [&shared, map = options.map](const http::Request& req) {
    return handleControl(req, shared, map);
  });
  const auto control_port = control.listen(options.control_host, options.control_port);
  if (!control_port) {
    log::error("control listen failed", {{"error", control_port.status().message()}});
    return 1;
  }
  log::info("control listening", {{"host", options.control_host}, {"port", *control_port}});
  std::thread control_thread([&control_io] { control_io.run(); });
  pthread_sigmask(SIG_UNBLOCK, &stop_signals, nullptr);

  const int exit_code = serveModbus(options, shared);

  control_io.stop();
  control_thread.join();
  log::info("stopped", {{"signal", static_cast<int>(g_stop_signal)}, {"exit_code", exit_code}});
  return exit_code;
}

}  // namespace
}  // namespace kordon::sim

int main(int argc, char** argv) { return kordon::sim::run(argc, argv); }
