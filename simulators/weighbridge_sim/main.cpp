// SPDX-License-Identifier: Apache-2.0
// kordon-sim-weighbridge: a weighing indicator speaking the real wire protocols, so the
// production drivers run unchanged against it (STYLE.md §C wire seam). It encodes everything
// itself from the published layouts in device-protocols.md §1.1 (Laumas), §1.2 (Flintec FT-11
// and FT-111) and §1.4 (Toledo continuous), never through the drivers' decoders, so a symmetric
// bug cannot hide.
//
// Run recipes (one transport per process):
//   kordon-sim-weighbridge --modbus 127.0.0.1:1502 --map laumas --control 127.0.0.1:8501
//     [lanes.weighbridge] type = "modbus-tcp"  host = "127.0.0.1"  port = 1502
//   socat -d -d pty,raw,echo=0,link=/tmp/wb/a pty,raw,echo=0,link=/tmp/wb/b &
//   kordon-sim-weighbridge --rtu /tmp/wb/a --baud 9600 --map flintec-ft111
//     type = "modbus-rtu"  serial_device = "/tmp/wb/b"  baud = 9600  register_map = "flintec-ft111"
//   kordon-sim-weighbridge --toledo-tcp 127.0.0.1:4001 [--toledo-checksum off]
//     type = "toledo-tcp"  host = "127.0.0.1"  port = 4001  toledo_checksum = true
//   kordon-sim-weighbridge --toledo-serial /tmp/wb/a --baud 9600
//     type = "toledo-serial"  serial_device = "/tmp/wb/b"  baud = 9600
//
// Control API (--control HOST:PORT):
//   POST /weight?kg=38420&settle_ms=1500   truck drives on (ramp + wobble + motion, then stable)
//   POST /fault?kind=K[&delay_ms=N]        K below; settable while running
//   GET  /state {"gross_kg","stable","target_kg","map","mode","fault",...}
//
// Fault knobs, per mode:
//   none        normal operation
//   overload    Laumas status bit 3, Flintec error code 2, FT-111 error status B4, Toledo SWB
//               bit 2 (out of range) with a positive sign
//   error       Laumas load-cell error, Flintec system fault (data not OK), FT-111 error status
//               B2 system error, Toledo SWB bit 6 (power-up, not zeroed)
//   silence     (alias "silent") Modbus: requests are read, never answered; Toledo: the
//               connection / line stays open and no bytes are sent
//   disconnect  Modbus TCP and Toledo TCP: every client is closed and the listening socket too
//               (connects are refused) until cleared; serial modes: the line stays open but the
//               simulator neither answers nor sends, and discards what it reads (closing a pty
//               end would end socat)
//   garbage     Modbus: random bytes instead of each reply (a malformed response); Toledo: random
//               bytes (with stray STX) instead of frames
//   bad-crc     Modbus RTU: FC03 replies with a wrong CRC; Modbus TCP has no CRC, so this acts
//               as garbage; Toledo: frames whose checksum byte is wrong (with --toledo-checksum
//               off there is no checksum to corrupt, so the frame's CR is replaced instead)
//   stuck       the weight freezes at its value when the fault was set, whatever /weight says;
//               the FT-111 heartbeat freezes too
//   slow        Modbus: every reply is delayed by delay_ms (default 750, 1.5x the driver's
//               default 500 ms response timeout); Toledo: one frame every delay_ms
//
// Model: after POST /weight the value ramps from the old weight to `kg` with a decaying
// oscillation and the motion/unstable status for settle_ms, then holds exactly `kg` with the
// stability flag. Modbus requests for another unit id get exception 0x0B (TCP; on RTU they are
// ignored). Port 0 binds a free port, which the log names. SIGINT/SIGTERM exit with code 0.
//
// Threads: the main thread runs the protocol loop (select() with a 100 ms tick); the control
// server runs on its own io_context thread. Both touch the model only under `Shared::mutex`.

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <numbers>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <modbus/modbus.h>
#include <nlohmann/json.hpp>

#include "edge/base/http.hpp"
#include "edge/base/log.hpp"
#include "edge/base/thread_annotations.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

namespace kordon::sim {
namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kRegisterCount = 32;  // covers every map; reads beyond get "illegal data address"
constexpr std::int64_t kMaxAbsKg = 999999;  // Laumas' display limit (status bit 4)
constexpr milliseconds kDefaultSettle{1000};
constexpr milliseconds kMaxSettle{600000};
constexpr milliseconds kDefaultSlowDelay{750};
constexpr milliseconds kHeartbeatPeriod{100};    // FT-111 40011
constexpr milliseconds kToledoFramePeriod{143};  // ~7 frames per second (§1.4, Wildcat)

enum class MapKind { kLaumas, kFlintec, kFlintecFt111 };
enum class Mode { kModbusTcp, kModbusRtu, kToledoTcp, kToledoSerial };
enum class Fault {
  kNone,
  kOverload,
  kError,
  kSilent,
  kDisconnect,
  kGarbage,
  kBadCrc,
  kStuck,
  kSlow
};

constexpr std::string_view toString(MapKind map) {
  switch (map) {
    case MapKind::kLaumas:
      return "laumas";
    case MapKind::kFlintec:
      return "flintec";
    case MapKind::kFlintecFt111:
      return "flintec-ft111";
  }
  return "?";
}

constexpr std::string_view toString(Mode mode) {
  switch (mode) {
    case Mode::kModbusTcp:
      return "modbus-tcp";
    case Mode::kModbusRtu:
      return "modbus-rtu";
    case Mode::kToledoTcp:
      return "toledo-tcp";
    case Mode::kToledoSerial:
      return "toledo-serial";
  }
  return "?";
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
      return "silence";
    case Fault::kDisconnect:
      return "disconnect";
    case Fault::kGarbage:
      return "garbage";
    case Fault::kBadCrc:
      return "bad-crc";
    case Fault::kStuck:
      return "stuck";
    case Fault::kSlow:
      return "slow";
  }
  return "?";
}

constexpr std::string_view kFaultNames =
    "none, overload, error, silence, disconnect, garbage, bad-crc, stuck, slow";

std::optional<Fault> parseFault(std::string_view text) {
  if (text == "silent") return Fault::kSilent;  // the original name
  for (Fault f : {Fault::kNone, Fault::kOverload, Fault::kError, Fault::kSilent, Fault::kDisconnect,
                  Fault::kGarbage, Fault::kBadCrc, Fault::kStuck, Fault::kSlow}) {
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

// device-protocols.md §1.2 FT-111/FT-112, High-Low: 0-1 actual weight, 2-3 tare, 4-5 gross,
// 6-7 status (32 bits, B0..B15 in register 7; decimal point B27..B31 in register 6 stays 0 =
// no decimals), 8-9 error status, 10-11 heartbeat counter.
void encodeFlintecFt111(const Snapshot& s, Fault fault, std::uint32_t heartbeat,
                        std::uint16_t* regs) {
  constexpr std::uint16_t kUnstable = 1U << 2;
  constexpr std::uint16_t kCentreOfZero = 1U << 12;
  constexpr std::uint16_t kSystemError = 1U << 2;
  constexpr std::uint16_t kAdcOverRange = 1U << 4;

  std::uint16_t status = 0;
  if (!s.stable) status |= kUnstable;
  if (s.gross_kg == 0) status |= kCentreOfZero;
  std::uint16_t errors = 0;
  if (fault == Fault::kOverload) errors |= kAdcOverRange;
  if (fault == Fault::kError) errors |= kSystemError;
  regs[0] = highWord(s.gross_kg);
  regs[1] = lowWord(s.gross_kg);
  regs[2] = 0;  // tare
  regs[3] = 0;
  regs[4] = highWord(s.gross_kg);
  regs[5] = lowWord(s.gross_kg);
  regs[6] = 0;  // status B16..B31
  regs[7] = status;
  regs[8] = 0;  // error status high word
  regs[9] = errors;
  regs[10] = static_cast<std::uint16_t>(heartbeat >> 16);
  regs[11] = static_cast<std::uint16_t>(heartbeat & 0xFFFFU);
}

// Modbus RTU CRC-16 (polynomial 0xA001 reflected, initial 0xFFFF), sent low byte first.
std::uint16_t modbusCrc(const std::uint8_t* data, std::size_t length) {
  std::uint16_t crc = 0xFFFF;
  for (std::size_t i = 0; i < length; ++i) {
    crc ^= data[i];
    for (int b = 0; b < 8; ++b) {
      crc = (crc & 1U) != 0 ? static_cast<std::uint16_t>((crc >> 1) ^ 0xA001U)
                            : static_cast<std::uint16_t>(crc >> 1);
    }
  }
  return crc;
}

// device-protocols.md §1.4: STX SWA SWB SWC, 6 digits displayed, 6 digits tare, CR, optional
// checksum (two's complement of the low 7 bits of the sum of everything before it). Always kg,
// no decimal point, x1 increment: SWA = bit5 | bit3 | 010 = 0x2A.
std::vector<std::uint8_t> encodeToledo(const Snapshot& s, Fault fault, bool checksum) {
  constexpr std::uint8_t kSwa = 0x20 | 0x08 | 0x02;
  std::uint8_t swb = 0x20 | 0x10;  // bit 5, kg
  if (s.gross_kg < 0) swb |= 0x02;
  if (!s.stable) swb |= 0x08;
  if (fault == Fault::kOverload) swb |= 0x04;
  if (fault == Fault::kError) swb |= 0x40;
  const std::int64_t magnitude = std::min<std::int64_t>(std::abs(s.gross_kg), kMaxAbsKg);
  char digits[16];
  std::snprintf(digits, sizeof digits, "%06lld", static_cast<long long>(magnitude));
  std::vector<std::uint8_t> frame{0x02, kSwa, swb, 0x20};
  frame.insert(frame.end(), digits, digits + 6);
  for (int i = 0; i < 6; ++i) frame.push_back('0');  // tare
  frame.push_back(0x0D);
  if (checksum) {
    unsigned sum = 0;
    for (const std::uint8_t b : frame) sum += b;
    std::uint8_t chk = static_cast<std::uint8_t>((0x80U - (sum & 0x7FU)) & 0x7FU);
    if (fault == Fault::kBadCrc) chk = static_cast<std::uint8_t>((chk + 1U) & 0x7FU);
    frame.push_back(chk);
  } else if (fault == Fault::kBadCrc) {
    frame[16] = 'X';  // nothing to corrupt but the framing
  }
  return frame;
}

std::vector<std::uint8_t> garbageBytes(std::minstd_rand& rng, std::size_t count) {
  std::vector<std::uint8_t> bytes(count);
  for (auto& b : bytes) b = static_cast<std::uint8_t>(rng() & 0xFFU);
  if (count > 3) bytes[count / 2] = 0x02;  // a stray STX to make the framer resynchronise
  return bytes;
}

// --- shared state ----------------------------------------------------------------------------

struct Shared {
  Mutex mutex;
  WeightModel model GUARDED_BY(mutex);
  Fault fault GUARDED_BY(mutex) = Fault::kNone;
  milliseconds slow_delay GUARDED_BY(mutex) = kDefaultSlowDelay;
  Snapshot stuck_at GUARDED_BY(mutex);  // valid while fault == kStuck
  std::uint32_t stuck_heartbeat GUARDED_BY(mutex) = 0;
  const Steady::time_point started = Steady::now();

  Snapshot snapshot(Steady::time_point now) const REQUIRES(mutex) {
    return fault == Fault::kStuck ? stuck_at : model.at(now);
  }
  std::uint32_t heartbeat(Steady::time_point now) const REQUIRES(mutex) {
    if (fault == Fault::kStuck) return stuck_heartbeat;
    return static_cast<std::uint32_t>((now - started) / kHeartbeatPeriod);
  }
};

struct Options {
  Mode mode = Mode::kModbusTcp;
  std::string host = "127.0.0.1";  // modbus-tcp / toledo-tcp listen address
  std::uint16_t port = 1502;
  std::string device;  // modbus-rtu / toledo-serial
  int baud = 9600;
  char parity = 'N';
  int data_bits = 8;
  int stop_bits = 1;
  bool toledo_checksum = true;
  MapKind map = MapKind::kLaumas;
  int unit = 1;
  std::string control_host = "127.0.0.1";
  std::uint16_t control_port = 8501;
};

constexpr const char* kUsage =
    "usage: kordon-sim-weighbridge [--modbus HOST:PORT | --rtu DEVICE | --toledo-tcp HOST:PORT |\n"
    "                               --toledo-serial DEVICE]\n"
    "                              [--baud N] [--parity N|E|O] [--data-bits 7|8] [--stop-bits "
    "1|2]\n"
    "                              [--map laumas|flintec|flintec-ft111] [--unit N]\n"
    "                              [--toledo-checksum on|off] [--control HOST:PORT]\n"
    "defaults: --modbus 127.0.0.1:1502 --map laumas --unit 1 --baud 9600 --parity N --data-bits 8\n"
    "          --stop-bits 1 --toledo-checksum on --control 127.0.0.1:8501\n";

std::optional<std::string> parseOptions(int argc, char** argv, Options* options) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") return std::string();
    if (i + 1 >= argc) return "missing value for " + std::string(flag);
    const std::string value = argv[++i];
    if (flag == "--modbus" || flag == "--toledo-tcp") {
      options->mode = flag == "--modbus" ? Mode::kModbusTcp : Mode::kToledoTcp;
      if (!http::splitHostPort(value, &options->host, &options->port)) {
        return "bad " + std::string(flag) + " '" + value + "', want HOST:PORT";
      }
    } else if (flag == "--rtu" || flag == "--toledo-serial") {
      options->mode = flag == "--rtu" ? Mode::kModbusRtu : Mode::kToledoSerial;
      if (value.empty()) return "empty " + std::string(flag);
      options->device = value;
    } else if (flag == "--control") {
      if (!http::splitHostPort(value, &options->control_host, &options->control_port)) {
        return "bad --control '" + value + "', want HOST:PORT";
      }
    } else if (flag == "--map") {
      if (value == "laumas") {
        options->map = MapKind::kLaumas;
      } else if (value == "flintec") {
        options->map = MapKind::kFlintec;
      } else if (value == "flintec-ft111") {
        options->map = MapKind::kFlintecFt111;
      } else {
        return "unknown --map '" + value + "' (known: laumas, flintec, flintec-ft111)";
      }
    } else if (flag == "--unit") {
      const auto unit = parseInt(value);
      if (!unit || *unit < 1 || *unit > 247) return "bad --unit '" + value + "', want 1..247";
      options->unit = static_cast<int>(*unit);
    } else if (flag == "--baud") {
      const auto baud = parseInt(value);
      if (!baud || *baud < 50 || *baud > 4000000) return "bad --baud '" + value + "'";
      options->baud = static_cast<int>(*baud);
    } else if (flag == "--parity") {
      if (value != "N" && value != "E" && value != "O") return "bad --parity, want N, E or O";
      options->parity = value[0];
    } else if (flag == "--data-bits") {
      if (value != "7" && value != "8") return "bad --data-bits, want 7 or 8";
      options->data_bits = value[0] - '0';
    } else if (flag == "--stop-bits") {
      if (value != "1" && value != "2") return "bad --stop-bits, want 1 or 2";
      options->stop_bits = value[0] - '0';
    } else if (flag == "--toledo-checksum") {
      if (value != "on" && value != "off") return "bad --toledo-checksum, want on or off";
      options->toledo_checksum = value == "on";
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

http::Response handleControl(const http::Request& req, Shared& shared, const Options& options) {
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
      MutexLock lock(shared.mutex);
      shared.model.setTarget(*kg, settle, Steady::now());
    }
    log::info("weight target set", {{"kg", *kg}, {"settle_ms", settle.count()}});
    return http::Response::json(200, R"({"ok":true})");
  }
  if (req.path == "/fault") {
    if (req.method != "POST") return jsonError(405, "use POST /fault?kind=K[&delay_ms=N]");
    const auto fault = parseFault(req.param("kind"));
    if (!fault) {
      return jsonError(400, "kind must be one of " + std::string(kFaultNames) + ", got '" +
                                req.param("kind") + "'");
    }
    std::optional<milliseconds> delay;
    if (!req.param("delay_ms").empty()) {
      const auto value = parseInt(req.param("delay_ms"));
      if (!value || *value < 0 || *value > 60000) {
        return jsonError(
            400, "delay_ms must be an integer in 0..60000, got '" + req.param("delay_ms") + "'");
      }
      delay = milliseconds(*value);
    }
    {
      MutexLock lock(shared.mutex);
      const auto now = Steady::now();
      if (*fault == Fault::kStuck && shared.fault != Fault::kStuck) {
        shared.stuck_at = shared.model.at(now);
        shared.stuck_heartbeat = shared.heartbeat(now);
      }
      shared.fault = *fault;
      if (delay) shared.slow_delay = *delay;
    }
    log::info("fault set", {{"kind", toString(*fault)}});
    return http::Response::json(200, R"({"ok":true})");
  }
  if (req.path == "/state") {
    if (req.method != "GET") return jsonError(405, "use GET /state");
    MutexLock lock(shared.mutex);
    const auto now = Steady::now();
    const Snapshot s = shared.snapshot(now);
    return http::Response::json(200, nlohmann::json{{"gross_kg", s.gross_kg},
                                                    {"stable", s.stable},
                                                    {"target_kg", shared.model.targetKg()},
                                                    {"map", toString(options.map)},
                                                    {"mode", toString(options.mode)},
                                                    {"fault", toString(shared.fault)},
                                                    {"delay_ms", shared.slow_delay.count()},
                                                    {"heartbeat", shared.heartbeat(now)}}
                                         .dump());
  }
  return jsonError(404, "no such endpoint: " + req.path + " (try /weight, /fault, /state)");
}

// --- protocol servers ------------------------------------------------------------------------

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

void writeAll(int fd, const std::uint8_t* data, std::size_t length) {
  while (length > 0) {
    const ssize_t n = ::write(fd, data, length);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the peer is gone or the buffer is full: drop the rest
    data += n;
    length -= static_cast<std::size_t>(n);
  }
}

struct FaultView {
  Fault fault;
  milliseconds delay;
};

FaultView currentFault(Shared& shared) {
  MutexLock lock(shared.mutex);
  return {shared.fault, shared.slow_delay};
}

// Encodes the selected map into `regs` from the model.
void encodeRegisters(const Options& options, const Shared& shared, std::uint16_t* regs)
    REQUIRES(shared.mutex) {
  const auto now = Steady::now();
  const Snapshot snapshot = shared.snapshot(now);
  switch (options.map) {
    case MapKind::kLaumas:
      encodeLaumas(snapshot, shared.fault, regs);
      break;
    case MapKind::kFlintec:
      encodeFlintec(snapshot, shared.fault, regs);
      break;
    case MapKind::kFlintecFt111:
      encodeFlintecFt111(snapshot, shared.fault, shared.heartbeat(now), regs);
      break;
  }
}

// Opens a TCP listener (SO_REUSEADDR) on host:port; -1 on failure.
int listenTcp(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) return -1;
  int fd = -1;
  for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    const int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 8) != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  return fd;
}

// Opens a serial device (or pty) in termios raw mode; -1 on failure.
int openSerial(const Options& options) {
  const int fd = open(options.device.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return -1;
  termios tio{};
  if (tcgetattr(fd, &tio) == 0) {
    cfmakeraw(&tio);
    tio.c_cflag |= CLOCAL | CREAD;
    tio.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB | PARODD | CSTOPB);
    tio.c_cflag |= options.data_bits == 7 ? CS7 : CS8;
    if (options.parity != 'N') tio.c_cflag |= PARENB;
    if (options.parity == 'O') tio.c_cflag |= PARODD;
    if (options.stop_bits == 2) tio.c_cflag |= CSTOPB;
    tcsetattr(fd, TCSANOW, &tio);
  }
  return fd;
}

// Modbus TCP: a select() loop over the listener and its clients. Returns the exit code.
int serveModbusTcp(const Options& options, Shared& shared) {
  modbus_t* ctx = modbus_new_tcp_pi(options.host.c_str(), std::to_string(options.port).c_str());
  modbus_mapping_t* mapping = modbus_mapping_new(0, 0, kRegisterCount, 0);
  if (ctx == nullptr || mapping == nullptr) {
    log::error("cannot allocate libmodbus context", {{"error", modbus_strerror(errno)}});
    if (ctx != nullptr) modbus_free(ctx);
    if (mapping != nullptr) modbus_mapping_free(mapping);
    return 1;
  }
  int listen_fd = listenTcp(options.host, options.port);
  if (listen_fd < 0) {
    log::error("modbus listen failed",
               {{"host", options.host}, {"port", options.port}, {"error", std::strerror(errno)}});
    modbus_mapping_free(mapping);
    modbus_free(ctx);
    return 1;
  }
  const std::uint16_t port = boundPort(listen_fd);  // port 0: keep the one we got
  log::info("modbus listening", {{"host", options.host},
                                 {"port", port},
                                 {"map", toString(options.map)},
                                 {"unit", options.unit}});

  const int unit_offset = modbus_get_header_length(ctx) - 1;  // MBAP: unit id ends the header
  std::set<int> clients;
  std::minstd_rand rng(42);
  std::uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
  while (g_stop_signal == 0) {
    const FaultView fault = currentFault(shared);
    if (fault.fault == Fault::kDisconnect && listen_fd >= 0) {
      for (int fd : clients) close(fd);
      clients.clear();
      close(listen_fd);
      listen_fd = -1;
      log::info("modbus disconnected: clients closed, not listening");
    } else if (fault.fault != Fault::kDisconnect && listen_fd < 0) {
      listen_fd = listenTcp(options.host, port);
      if (listen_fd >= 0) log::info("modbus listening again", {{"port", port}});
    }
    fd_set readable;
    FD_ZERO(&readable);
    int max_fd = -1;
    if (listen_fd >= 0) {
      FD_SET(listen_fd, &readable);
      max_fd = listen_fd;
    }
    for (int fd : clients) {
      FD_SET(fd, &readable);
      max_fd = std::max(max_fd, fd);
    }
    timeval tick{0, 100 * 1000};  // re-check the stop flag and the fault
    const int ready = select(max_fd + 1, &readable, nullptr, nullptr, &tick);
    if (ready < 0) {
      if (errno == EINTR) continue;
      log::error("select failed", {{"error", std::strerror(errno)}});
      break;
    }
    if (listen_fd >= 0 && FD_ISSET(listen_fd, &readable)) {
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
        const FaultView now_fault = currentFault(shared);
        if (now_fault.fault == Fault::kSlow) std::this_thread::sleep_for(now_fault.delay);
        const int unit = query[unit_offset];
        if (now_fault.fault == Fault::kSilent || now_fault.fault == Fault::kDisconnect) {
          // no reply: the master times out
        } else if (now_fault.fault == Fault::kGarbage || now_fault.fault == Fault::kBadCrc) {
          const auto bytes = garbageBytes(rng, 12);
          writeAll(fd, bytes.data(), bytes.size());
        } else if (unit != options.unit && unit != MODBUS_TCP_SLAVE) {
          modbus_reply_exception(ctx, query, MODBUS_EXCEPTION_GATEWAY_TARGET);
        } else {
          {
            MutexLock lock(shared.mutex);
            encodeRegisters(options, shared, mapping->tab_registers);
          }
          modbus_reply(ctx, query, length, mapping);
        }
      }
      ++it;
    }
  }

  for (int fd : clients) close(fd);
  if (listen_fd >= 0) close(listen_fd);
  modbus_set_socket(ctx, -1);
  modbus_mapping_free(mapping);
  modbus_free(ctx);
  return 0;
}

// An FC03 reply built by hand (the one libmodbus cannot corrupt): unit, 0x03, byte count,
// registers big-endian, CRC low byte first, XORed with 0xFFFF so it is wrong.
std::vector<std::uint8_t> badCrcReply(const std::uint8_t* query, const std::uint16_t* regs) {
  const int addr = query[2] << 8 | query[3];
  const int count = std::clamp(query[4] << 8 | query[5], 1, 16);
  std::vector<std::uint8_t> reply{query[0], 0x03, static_cast<std::uint8_t>(2 * count)};
  for (int i = 0; i < count; ++i) {
    const std::uint16_t value = addr + i < kRegisterCount ? regs[addr + i] : 0;
    reply.push_back(static_cast<std::uint8_t>(value >> 8));
    reply.push_back(static_cast<std::uint8_t>(value & 0xFFU));
  }
  const std::uint16_t crc = modbusCrc(reply.data(), reply.size()) ^ 0xFFFFU;
  reply.push_back(static_cast<std::uint8_t>(crc & 0xFFU));
  reply.push_back(static_cast<std::uint8_t>(crc >> 8));
  return reply;
}

// Modbus RTU on a serial device (a pty end in HIL). Returns the exit code.
int serveModbusRtu(const Options& options, Shared& shared) {
  modbus_t* ctx = modbus_new_rtu(options.device.c_str(), options.baud, options.parity,
                                 options.data_bits, options.stop_bits);
  modbus_mapping_t* mapping = modbus_mapping_new(0, 0, kRegisterCount, 0);
  if (ctx == nullptr || mapping == nullptr || modbus_set_slave(ctx, options.unit) != 0 ||
      modbus_connect(ctx) != 0) {
    log::error("modbus rtu open failed",
               {{"device", options.device}, {"error", modbus_strerror(errno)}});
    if (ctx != nullptr) modbus_free(ctx);
    if (mapping != nullptr) modbus_mapping_free(mapping);
    return 1;
  }
  const int fd = modbus_get_socket(ctx);
  log::info("modbus rtu serving", {{"device", options.device},
                                   {"baud", options.baud},
                                   {"map", toString(options.map)},
                                   {"unit", options.unit}});
  std::minstd_rand rng(42);
  std::uint8_t query[MODBUS_RTU_MAX_ADU_LENGTH];
  while (g_stop_signal == 0) {
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(fd, &readable);
    timeval tick{0, 100 * 1000};
    const int ready = select(fd + 1, &readable, nullptr, nullptr, &tick);
    if (ready < 0) {
      if (errno == EINTR) continue;
      log::error("select failed", {{"error", std::strerror(errno)}});
      break;
    }
    if (ready == 0) continue;
    const int length = modbus_receive(ctx, query);
    if (length <= 0) {
      modbus_flush(ctx);  // noise on the line, a CRC error or another unit's request
      continue;
    }
    const FaultView fault = currentFault(shared);
    if (fault.fault == Fault::kSlow) std::this_thread::sleep_for(fault.delay);
    switch (fault.fault) {
      case Fault::kSilent:
      case Fault::kDisconnect:
        break;  // the master times out
      case Fault::kGarbage: {
        const auto bytes = garbageBytes(rng, 9);
        writeAll(fd, bytes.data(), bytes.size());
        break;
      }
      case Fault::kBadCrc: {
        std::vector<std::uint8_t> reply;
        {
          MutexLock lock(shared.mutex);
          encodeRegisters(options, shared, mapping->tab_registers);
          reply = badCrcReply(query, mapping->tab_registers);
        }
        writeAll(fd, reply.data(), reply.size());
        break;
      }
      default: {
        {
          MutexLock lock(shared.mutex);
          encodeRegisters(options, shared, mapping->tab_registers);
        }
        modbus_reply(ctx, query, length, mapping);
      }
    }
  }
  modbus_close(ctx);
  modbus_mapping_free(mapping);
  modbus_free(ctx);
  return 0;
}

// The next Toledo output for the current fault: a frame, garbage, or nothing.
std::vector<std::uint8_t> toledoOutput(const Options& options, Shared& shared,
                                       std::minstd_rand& rng) {
  MutexLock lock(shared.mutex);
  switch (shared.fault) {
    case Fault::kSilent:
    case Fault::kDisconnect:
      return {};
    case Fault::kGarbage:
      return garbageBytes(rng, 18);
    default:
      return encodeToledo(shared.snapshot(Steady::now()), shared.fault, options.toledo_checksum);
  }
}

// Toledo continuous: frames at ~7 Hz to every TCP client, or down a serial line.
int serveToledo(const Options& options, Shared& shared) {
  const bool tcp = options.mode == Mode::kToledoTcp;
  int listen_fd = -1;
  int serial_fd = -1;
  std::uint16_t port = options.port;
  if (tcp) {
    listen_fd = listenTcp(options.host, options.port);
    if (listen_fd < 0) {
      log::error("toledo listen failed",
                 {{"host", options.host}, {"port", options.port}, {"error", std::strerror(errno)}});
      return 1;
    }
    port = boundPort(listen_fd);
    log::info("toledo listening",
              {{"host", options.host}, {"port", port}, {"checksum", options.toledo_checksum}});
  } else {
    serial_fd = openSerial(options);
    if (serial_fd < 0) {
      log::error("toledo serial open failed",
                 {{"device", options.device}, {"error", std::strerror(errno)}});
      return 1;
    }
    log::info("toledo streaming", {{"device", options.device},
                                   {"baud", options.baud},
                                   {"checksum", options.toledo_checksum}});
  }

  std::set<int> clients;
  std::minstd_rand rng(42);
  auto next_frame = Steady::now();
  while (g_stop_signal == 0) {
    const FaultView fault = currentFault(shared);
    if (tcp && fault.fault == Fault::kDisconnect && listen_fd >= 0) {
      for (int fd : clients) close(fd);
      clients.clear();
      close(listen_fd);
      listen_fd = -1;
      log::info("toledo disconnected: clients closed, not listening");
    } else if (tcp && fault.fault != Fault::kDisconnect && listen_fd < 0) {
      listen_fd = listenTcp(options.host, port);
      if (listen_fd >= 0) log::info("toledo listening again", {{"port", port}});
    }

    fd_set readable;
    FD_ZERO(&readable);
    int max_fd = -1;
    for (int fd : {listen_fd, serial_fd}) {
      if (fd < 0) continue;
      FD_SET(fd, &readable);
      max_fd = std::max(max_fd, fd);
    }
    for (int fd : clients) {
      FD_SET(fd, &readable);
      max_fd = std::max(max_fd, fd);
    }
    const auto wait =
        std::clamp(std::chrono::duration_cast<milliseconds>(next_frame - Steady::now()),
                   milliseconds(0), milliseconds(100));
    timeval tick{0, static_cast<suseconds_t>(wait.count() * 1000)};
    const int ready = select(max_fd + 1, &readable, nullptr, nullptr, &tick);
    if (ready < 0) {
      if (errno == EINTR) continue;
      log::error("select failed", {{"error", std::strerror(errno)}});
      break;
    }
    if (listen_fd >= 0 && FD_ISSET(listen_fd, &readable)) {
      const int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd >= 0 && fd < FD_SETSIZE) {
        clients.insert(fd);
        log::info("toledo client connected", {{"fd", fd}});
      } else if (fd >= 0) {
        close(fd);
      }
    }
    std::uint8_t sink[256];
    if (serial_fd >= 0 && FD_ISSET(serial_fd, &readable)) {
      (void)::read(serial_fd, sink, sizeof sink);  // the stream is one-way; discard input
    }
    for (auto it = clients.begin(); it != clients.end();) {
      if (FD_ISSET(*it, &readable) && ::read(*it, sink, sizeof sink) <= 0) {
        log::info("toledo client disconnected", {{"fd", *it}});
        close(*it);
        it = clients.erase(it);
      } else {
        ++it;
      }
    }

    const auto now = Steady::now();
    if (now < next_frame) continue;
    next_frame = now + (fault.fault == Fault::kSlow ? fault.delay : kToledoFramePeriod);
    const auto bytes = toledoOutput(options, shared, rng);
    if (bytes.empty()) continue;
    if (serial_fd >= 0) writeAll(serial_fd, bytes.data(), bytes.size());
    for (auto it = clients.begin(); it != clients.end();) {
      const ssize_t n = ::send(*it, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        close(*it);
        it = clients.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (int fd : clients) close(fd);
  if (listen_fd >= 0) close(listen_fd);
  if (serial_fd >= 0) close(serial_fd);
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
  http::Server control(control_io, [&shared, &options](const http::Request& req) {
    return handleControl(req, shared, options);
  });
  const auto control_port = control.listen(options.control_host, options.control_port);
  if (!control_port) {
    log::error("control listen failed", {{"error", control_port.status().message()}});
    return 1;
  }
  log::info("control listening", {{"host", options.control_host}, {"port", *control_port}});
  std::thread control_thread([&control_io] { control_io.run(); });
  pthread_sigmask(SIG_UNBLOCK, &stop_signals, nullptr);

  int exit_code = 0;
  switch (options.mode) {
    case Mode::kModbusTcp:
      exit_code = serveModbusTcp(options, shared);
      break;
    case Mode::kModbusRtu:
      exit_code = serveModbusRtu(options, shared);
      break;
    case Mode::kToledoTcp:
    case Mode::kToledoSerial:
      exit_code = serveToledo(options, shared);
      break;
  }

  control_io.stop();
  control_thread.join();
  log::info("stopped", {{"signal", static_cast<int>(g_stop_signal)}, {"exit_code", exit_code}});
  return exit_code;
}

}  // namespace
}  // namespace kordon::sim

int main(int argc, char** argv) { return kordon::sim::run(argc, argv); }
