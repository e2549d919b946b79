// SPDX-License-Identifier: Apache-2.0
// kordon-sim-xray: an X-ray scanner workstation that reports each scan as a DICOS Threat
// Detection Report (device-protocols.md §3.1), pushed by DICOM C-STORE (DCMTK DcmSCU) to
// Kordon's "dicos-scp" driver and/or dropped into a folder for the "dicos-folder" driver
// (STYLE.md §C wire seam). It builds its TDR datasets itself, element by element from the tag
// list in device-protocols.md §3.1, never through the driver's parser.
//
// Run recipe:
//   build/bin/kordon-sim-xray --scp-target 127.0.0.1:11112 --called-ae KORDON
//                             --control 127.0.0.1:8504 [--folder /var/spool/xray]   (one line)
//   curl -X POST 'http://127.0.0.1:8504/scan?object=123ABC02&decision=clear&threats=0'
//   curl -X POST 'http://127.0.0.1:8504/scan?object=MSCU1234565&decision=alarm&threats=2'
//   curl -X POST
//   'http://127.0.0.1:8504/scan?object=123ABC02&decision=alarm&threats=1&operator=clear' curl -X
//   POST 'http://127.0.0.1:8504/fault?kind=slow'   # none|disconnect|slow|garbage|truncate|bad-sop
//   curl http://127.0.0.1:8504/state
// paired with the kordond config
//   [lanes.xray] type = "dicos-scp"  port = 11112  ae_title = "KORDON"
//   or           type = "dicos-folder"  folder = "/var/spool/xray"   (with --scp-target none)
//
// TDR content: SOP class 1.2.840.10008.5.1.4.1.1.501.3, a new SOP Instance UID per scan,
// Modality TDR, OOI ID = `object`, OOI type CARGO, TDR type MACHINE (OPERATOR when `operator`
// is given; the Alarm Decision is then the operator's verdict), Alarm Decision Time = now (UTC),
// `threats` PTOs (ids 1001..), each with one assessment: category ANOMALY, flag THREAT when
// `decision` is alarm else NO_THREAT; alarm objects = PTOs flagged THREAT.
//
// Replies: 200 {"ok":true,"scan_id":..,"status":"0x0000","pushed":true,"file":..} once the
// SCP answered (or the file was renamed into place); 502 {"ok":false,"error":..} when the push
// failed (refused, timeout, or a non-zero C-STORE status, given in "status").
//
// Faults (POST /fault?kind=..., they stay until changed):
//   none        normal scans.
//   disconnect  the link is down: /scan pushes and drops nothing and answers 502; scans are
//               not queued (Kordon must not see them; the lane times out to inspection).
//   slow        waits delay_ms (default 3000, /fault?kind=slow&delay_ms=N) before sending.
//   garbage     folder: a non-DICOM file named <uid>.dcs; push: random bytes on a raw TCP
//               connection to the SCP port (no association). Answers 200 with "status":"garbage".
//   truncate    folder: the TDR cut to half its length; push: the association is negotiated
//               and then aborted before the dataset is sent. Answers 200 / 502 respectively.
//   bad-sop     a dataset with the DICOS CT SOP class sent on the TDR presentation context
//               (and dropped as a file); the SCP answers with an error status -> 502.
// SIGINT/SIGTERM exit with code 0.
//
// Threads: the control server's io_context thread does all the work (one scan at a time);
// the main thread waits for the stop signal.

#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "edge/base/http.hpp"
#include "edge/base/log.hpp"
#include "edge/base/thread_annotations.hpp"

#include <arpa/inet.h>
#include <dcmtk/config/osconfig.h>  // must come first among DCMTK headers
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmnet/scu.h>
#include <dcmtk/oflog/oflog.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kordon::sim {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTdrSopClass = "1.2.840.10008.5.1.4.1.1.501.3";
constexpr const char* kCtSopClass = "1.2.840.10008.5.1.4.1.1.501.1";  // DICOS CT, for bad-sop
constexpr const char* kCallingAe = "XRAYSIM";
constexpr int kMaxThreats = 50;

enum class Fault { kNone, kDisconnect, kSlow, kGarbage, kTruncate, kBadSop };

constexpr std::string_view toString(Fault fault) {
  switch (fault) {
    case Fault::kNone:
      return "none";
    case Fault::kDisconnect:
      return "disconnect";
    case Fault::kSlow:
      return "slow";
    case Fault::kGarbage:
      return "garbage";
    case Fault::kTruncate:
      return "truncate";
    case Fault::kBadSop:
      return "bad-sop";
  }
  return "?";
}

std::optional<Fault> parseFault(std::string_view text) {
  for (Fault f : {Fault::kNone, Fault::kDisconnect, Fault::kSlow, Fault::kGarbage, Fault::kTruncate,
                  Fault::kBadSop}) {
    if (text == toString(f)) return f;
  }
  return std::nullopt;
}

std::optional<std::int64_t> parseInt(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

struct Options {
  bool push = true;
  std::string scp_host = "127.0.0.1";
  std::uint16_t scp_port = 11112;
  std::string called_ae = "KORDON";
  std::string folder;
  std::string control_host = "127.0.0.1";
  std::uint16_t control_port = 8504;
};

constexpr const char* kUsage =
    "usage: kordon-sim-xray [--scp-target HOST:PORT|none] [--called-ae AE] [--folder DIR]\n"
    "                       [--control HOST:PORT]\n"
    "defaults: --scp-target 127.0.0.1:11112 --called-ae KORDON --control 127.0.0.1:8504\n";

std::optional<std::string> parseOptions(int argc, char** argv, Options* options) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") return std::string();
    if (i + 1 >= argc) return "missing value for " + std::string(flag);
    const std::string value = argv[++i];
    if (flag == "--scp-target") {
      if (value == "none") {
        options->push = false;
      } else if (!http::splitHostPort(value, &options->scp_host, &options->scp_port)) {
        return "bad --scp-target '" + value + "', want HOST:PORT or none";
      }
    } else if (flag == "--called-ae") {
      if (value.empty() || value.size() > 16) return "--called-ae must be 1..16 characters";
      options->called_ae = value;
    } else if (flag == "--folder") {
      options->folder = value;
    } else if (flag == "--control") {
      if (!http::splitHostPort(value, &options->control_host, &options->control_port)) {
        return "bad --control '" + value + "', want HOST:PORT";
      }
    } else {
      return "unknown option " + std::string(flag);
    }
  }
  if (!options->push && options->folder.empty()) {
    return "--scp-target none needs --folder";
  }
  return std::nullopt;
}

// --- TDR encoding (independent of drivers/xray_scanner) --------------------------------------

struct Scan {
  std::string object;
  bool alarm = false;                  // machine view: flags of the PTOs
  std::optional<bool> operator_alarm;  // set: TDR type OPERATOR with this verdict
  int threats = 0;
  const char* sop_class = kTdrSopClass;
};

std::string newUid() {
  char uid[100];
  dcmGenerateUniqueIdentifier(uid, SITE_INSTANCE_UID_ROOT);
  return uid;
}

enum class UtcPart { kDate, kTime, kDateTime };

// DICOM DA "YYYYMMDD", TM "HHMMSS" or both, for now in UTC.
std::string utcNow(UtcPart part) {
  const std::time_t seconds =
      std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char date[32];
  char time[32];
  std::snprintf(date, sizeof date, "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  std::snprintf(time, sizeof time, "%02d%02d%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (part == UtcPart::kDate) return date;
  if (part == UtcPart::kTime) return time;
  return std::string(date) + time;
}

// DT with microseconds and an explicit UTC offset: "20261121102500.123456+0000".
std::string dicomDateTimeNow() {
  const auto now = std::chrono::system_clock::now();
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() %
      1000000;
  char fraction[8];
  std::snprintf(fraction, sizeof fraction, "%06lld", static_cast<long long>(micros));
  return utcNow(UtcPart::kDateTime) + "." + fraction + "+0000";
}

// Adds one element with an explicit VR, so the file does not depend on a data dictionary.
OFCondition put(DcmItem& item, Uint16 group, Uint16 element, DcmEVR vr, const std::string& value) {
  return item.putAndInsertString(DcmTag(group, element, vr), value.c_str());
}

OFCondition putUs(DcmItem& item, Uint16 group, Uint16 element, Uint16 value) {
  return item.putAndInsertUint16(DcmTag(group, element, EVR_US), value);
}

// The TDR of one scan as a Part 10 file object; the SOP Instance UID is the scan id.
std::unique_ptr<DcmFileFormat> buildTdr(const Scan& scan, std::string* scan_id) {
  auto file = std::make_unique<DcmFileFormat>();
  DcmDataset& ds = *file->getDataset();
  *scan_id = newUid();
  const bool decision_alarm = scan.operator_alarm.value_or(scan.alarm);
  int alarm_objects = 0;
  OFCondition c = put(ds, 0x0008, 0x0012, EVR_DA, utcNow(UtcPart::kDate));
  c = put(ds, 0x0008, 0x0013, EVR_TM, utcNow(UtcPart::kTime));
  c = put(ds, 0x0008, 0x0016, EVR_UI, scan.sop_class);
  c = put(ds, 0x0008, 0x0018, EVR_UI, *scan_id);
  c = put(ds, 0x0008, 0x0060, EVR_CS, "TDR");
  c = put(ds, 0x0008, 0x0070, EVR_LO, "Kordon simulator");
  c = put(ds, 0x0010, 0x0020, EVR_LO, scan.object);
  c = put(ds, 0x0010, 0x0021, EVR_LO, "KORDON-SIM");
  c = put(ds, 0x0010, 0x0022, EVR_CS, "TEXT");
  c = put(ds, 0x0020, 0x000D, EVR_UI, newUid());
  c = put(ds, 0x0020, 0x000E, EVR_UI, newUid());
  for (int i = 0; i < scan.threats; ++i) {
    DcmItem* pto = nullptr;
    c = ds.findOrCreateSequenceItem(DcmTag(0x4010, 0x1011, EVR_SQ), pto, -2);
    if (c.bad() || pto == nullptr) break;
    c = putUs(*pto, 0x4010, 0x1010, static_cast<Uint16>(1001 + i));
    DcmItem* assessment = nullptr;
    c = pto->findOrCreateSequenceItem(DcmTag(0x4010, 0x1038, EVR_SQ), assessment, -2);
    if (c.bad() || assessment == nullptr) break;
    c = put(*assessment, 0x4010, 0x1012, EVR_CS, "ANOMALY");
    c = put(*assessment, 0x4010, 0x1013, EVR_LT, "Simulated object " + std::to_string(i + 1));
    c = put(*assessment, 0x4010, 0x1014, EVR_CS, "NO_INTERFERENCE");
    c = put(*assessment, 0x4010, 0x1015, EVR_CS, scan.alarm ? "THREAT" : "NO_THREAT");
    if (scan.alarm) ++alarm_objects;
  }
  c = put(ds, 0x4010, 0x1024, EVR_CS, "SUCCESS");
  c = put(ds, 0x4010, 0x1027, EVR_CS, scan.operator_alarm ? "OPERATOR" : "MACHINE");
  c = put(ds, 0x4010, 0x102B, EVR_DT, dicomDateTimeNow());
  c = put(ds, 0x4010, 0x1031, EVR_CS, decision_alarm ? "ALARM" : "CLEAR");
  c = putUs(ds, 0x4010, 0x1033, static_cast<Uint16>(scan.threats));
  c = putUs(ds, 0x4010, 0x1034, static_cast<Uint16>(alarm_objects));
  c = put(ds, 0x4010, 0x103A, EVR_CS, "V03");
  c = put(ds, 0x4010, 0x1042, EVR_CS, "CARGO");
  (void)c;  // putAndInsert* on a fresh dataset only fails on out-of-memory
  return file;
}

// Writes a temp name, then renames into place, so the folder driver never sees half a file.
Status dropFile(const fs::path& folder, const std::string& name, const std::string& bytes) {
  const fs::path temp = folder / ("." + name + ".tmp");
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::error("cannot create " + temp.string());
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) return Status::error("cannot write " + temp.string());
  }
  std::error_code ec;
  fs::rename(temp, folder / name, ec);
  if (ec) return Status::error("cannot rename into " + folder.string() + ": " + ec.message());
  return Status::ok();
}

Result<std::string> fileBytes(DcmFileFormat& file, const fs::path& scratch) {
  const OFCondition saved =
      file.saveFile(scratch.c_str(), EXS_LittleEndianExplicit, EET_ExplicitLength, EGL_recalcGL);
  if (saved.bad()) return Status::error(std::string("encode TDR: ") + saved.text());
  std::ifstream in(scratch, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::error_code ec;
  fs::remove(scratch, ec);
  return bytes;
}

std::string randomGarbage(std::size_t size) {
  std::mt19937 rng(std::random_device{}());
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(rng() & 0xFF);
  bytes.replace(0, 16, "this is not DICM");
  return bytes;
}

struct PushOutcome {
  bool ok = false;
  std::string status;  // "0x0000", or "" when no response arrived
  std::string error;
};

std::string hexStatus(Uint16 status) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%04X", static_cast<unsigned>(status));
  return text;
}

PushOutcome pushTdr(const Options& options, DcmDataset& dataset, bool abort_before_send) {
  PushOutcome outcome;
  DcmSCU scu;
  scu.setAETitle(kCallingAe);
  scu.setPeerHostName(options.scp_host.c_str());
  scu.setPeerPort(options.scp_port);
  scu.setPeerAETitle(options.called_ae.c_str());
  scu.setACSETimeout(10);
  scu.setDIMSETimeout(10);
  scu.setDIMSEBlockingMode(DIMSE_NONBLOCKING);
  scu.setConnectionTimeout(5);
  OFList<OFString> syntaxes;
  syntaxes.push_back(UID_LittleEndianExplicitTransferSyntax);
  syntaxes.push_back(UID_LittleEndianImplicitTransferSyntax);
  OFCondition cond = scu.addPresentationContext(kTdrSopClass, syntaxes);
  if (cond.good()) cond = scu.initNetwork();
  if (cond.good()) cond = scu.negotiateAssociation();
  if (cond.bad()) {
    outcome.error = std::string("association with ") + options.scp_host + ":" +
                    std::to_string(options.scp_port) + " failed: " + cond.text();
    return outcome;
  }
  const T_ASC_PresentationContextID pres_id =
      scu.findAnyPresentationContextID(kTdrSopClass, UID_LittleEndianExplicitTransferSyntax);
  if (pres_id == 0) {
    outcome.error = "the SCP accepted no presentation context for DICOS TDR";
    scu.releaseAssociation();
    return outcome;
  }
  if (abort_before_send) {
    scu.abortAssociation();
    outcome.error = "association aborted before the dataset was sent (fault truncate)";
    return outcome;
  }
  Uint16 status = 0;
  cond = scu.sendSTORERequest(pres_id, "", &dataset, status);
  if (cond.bad()) {
    outcome.error = std::string("C-STORE failed: ") + cond.text();
    scu.abortAssociation();
    return outcome;
  }
  scu.releaseAssociation();
  outcome.status = hexStatus(status);
  outcome.ok = status == 0x0000;
  if (!outcome.ok) outcome.error = "C-STORE answered with status " + outcome.status;
  return outcome;
}

Status sendRawGarbage(const Options& options) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::error("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(options.scp_port);
  if (inet_pton(AF_INET, options.scp_host.c_str(), &address.sin_addr) != 1 ||
      connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return Status::error("cannot connect to " + options.scp_host + ":" +
                         std::to_string(options.scp_port));
  }
  const std::string bytes = randomGarbage(512);
  const ssize_t sent = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  close(fd);
  if (sent < 0) return Status::error("send failed");
  return Status::ok();
}

// --- control API -----------------------------------------------------------------------------

struct Shared {
  Mutex mutex;
  Fault fault GUARDED_BY(mutex) = Fault::kNone;
  int slow_delay_ms GUARDED_BY(mutex) = 3000;
  std::uint64_t scans = 0;  // requests to /scan; below only touched on the control thread
  std::uint64_t pushed = 0;
  std::uint64_t push_failed = 0;
  std::uint64_t dropped = 0;
  std::string last_scan_id;
};

http::Response jsonReply(int status, const nlohmann::json& body) {
  // Replies echo request text, which need not be valid UTF-8: replace, never throw.
  return http::Response::json(status,
                              body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

http::Response jsonError(int status, const std::string& message) {
  return jsonReply(status, {{"ok", false}, {"error", message}});
}

std::optional<bool> parseVerdict(const std::string& text) {
  if (text == "alarm") return true;
  if (text == "clear") return false;
  return std::nullopt;
}

http::Response handleScan(const http::Request& req, const Options& options, Shared& shared) {
  Scan scan;
  scan.object = req.param("object");
  if (scan.object.empty() || scan.object.size() > 64) {
    return jsonError(400, "object must be 1..64 characters");
  }
  const auto decision = parseVerdict(req.param("decision", "clear"));
  if (!decision) return jsonError(400, "decision must be clear or alarm");
  scan.alarm = *decision;
  if (!req.param("operator").empty()) {
    scan.operator_alarm = parseVerdict(req.param("operator"));
    if (!scan.operator_alarm) return jsonError(400, "operator must be clear or alarm");
  }
  const auto threats = parseInt(req.param("threats", "0"));
  if (!threats || *threats < 0 || *threats > kMaxThreats) {
    return jsonError(400, "threats must be an integer in 0..50");
  }
  scan.threats = static_cast<int>(*threats);

  Fault fault;
  int delay_ms;
  {
    MutexLock lock(shared.mutex);
    fault = shared.fault;
    delay_ms = shared.slow_delay_ms;
  }
  ++shared.scans;
  if (fault == Fault::kDisconnect) {
    ++shared.push_failed;
    return jsonError(502, "simulated link down (fault disconnect); scan not sent");
  }
  if (fault == Fault::kSlow) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  if (fault == Fault::kBadSop) scan.sop_class = kCtSopClass;

  std::string scan_id;
  std::unique_ptr<DcmFileFormat> file = buildTdr(scan, &scan_id);
  shared.last_scan_id = scan_id;
  nlohmann::json reply = {{"ok", true}, {"scan_id", scan_id}, {"fault", toString(fault)}};

  if (!options.folder.empty()) {
    const fs::path folder(options.folder);
    std::string bytes;
    if (fault == Fault::kGarbage) {
      bytes = randomGarbage(700);
    } else {
      auto encoded = fileBytes(*file, folder / (".encode-" + scan_id + ".tmp"));
      if (!encoded) return jsonError(500, encoded.status().message());
      bytes = std::move(encoded).value();
      if (fault == Fault::kTruncate) bytes.resize(bytes.size() / 2);
    }
    const std::string name = scan_id + ".dcs";
    const Status dropped = dropFile(folder, name, bytes);
    if (!dropped) return jsonError(500, dropped.message());
    ++shared.dropped;
    reply["file"] = (folder / name).string();
  } else {
    reply["file"] = nullptr;
  }

  if (options.push) {
    if (fault == Fault::kGarbage) {
      const Status sent = sendRawGarbage(options);
      if (!sent) {
        ++shared.push_failed;
        return jsonError(502, sent.message());
      }
      reply["status"] = "garbage";
      reply["pushed"] = false;
    } else {
      const PushOutcome pushed = pushTdr(options, *file->getDataset(), fault == Fault::kTruncate);
      if (!pushed.ok) {
        ++shared.push_failed;
        log::warn("scan push failed", {{"scan_id", scan_id}, {"error", pushed.error}});
        return jsonReply(502, {{"ok", false},
                               {"scan_id", scan_id},
                               {"status", pushed.status},
                               {"error", pushed.error}});
      }
      ++shared.pushed;
      reply["status"] = pushed.status;
      reply["pushed"] = true;
    }
  } else {
    reply["pushed"] = false;
  }
  log::info("scan reported", {{"scan_id", scan_id},
                              {"object", scan.object},
                              {"decision", scan.alarm ? "alarm" : "clear"},
                              {"threats", scan.threats},
                              {"fault", toString(fault)}});
  return jsonReply(200, reply);
}

http::Response handleControl(const http::Request& req, const Options& options, Shared& shared) {
  if (req.path == "/scan") {
    if (req.method != "POST") {
      return jsonError(405,
                       "use POST /scan?object=ID&decision=clear|alarm&threats=N"
                       "[&operator=clear|alarm]");
    }
    return handleScan(req, options, shared);
  }
  if (req.path == "/fault") {
    if (req.method != "POST") {
      return jsonError(405, "use POST /fault?kind=none|disconnect|slow|garbage|truncate|bad-sop");
    }
    const auto fault = parseFault(req.param("kind"));
    if (!fault) {
      return jsonError(400,
                       "kind must be none, disconnect, slow, garbage, truncate or bad-sop, "
                       "got '" +
                           req.param("kind") + "'");
    }
    int delay_ms = 3000;
    if (!req.param("delay_ms").empty()) {
      const auto value = parseInt(req.param("delay_ms"));
      if (!value || *value < 0 || *value > 60000) {
        return jsonError(400, "delay_ms must be an integer in 0..60000");
      }
      delay_ms = static_cast<int>(*value);
    }
    {
      MutexLock lock(shared.mutex);
      shared.fault = *fault;
      shared.slow_delay_ms = delay_ms;
    }
    log::info("fault set", {{"kind", toString(*fault)}, {"delay_ms", delay_ms}});
    return jsonReply(200, {{"ok", true}, {"fault", toString(*fault)}});
  }
  if (req.path == "/state") {
    if (req.method != "GET") return jsonError(405, "use GET /state");
    MutexLock lock(shared.mutex);
    return jsonReply(200, {{"fault", toString(shared.fault)},
                           {"slow_delay_ms", shared.slow_delay_ms},
                           {"scans", shared.scans},
                           {"pushed", shared.pushed},
                           {"push_failed", shared.push_failed},
                           {"dropped", shared.dropped},
                           {"last_scan_id", shared.last_scan_id},
                           {"scp_target",
                            options.push ? options.scp_host + ":" + std::to_string(options.scp_port)
                                         : std::string("none")},
                           {"called_ae", options.called_ae},
                           {"folder", options.folder}});
  }
  return jsonError(404, "no such endpoint: " + req.path + " (try /scan, /fault, /state)");
}

int run(int argc, char** argv) {
  Options options;
  if (const auto error = parseOptions(argc, argv, &options)) {
    if (error->empty()) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    std::fprintf(stderr, "kordon-sim-xray: %s\n%s", error->c_str(), kUsage);
    return 2;
  }
  log::configure(log::Level::kInfo, log::Format::kText, "sim-xray");
  OFLog::getLogger("dcmtk").setLogLevel(OFLogger::ERROR_LOG_LEVEL);
  if (!options.folder.empty()) {
    std::error_code ec;
    if (!fs::is_directory(options.folder, ec)) {
      log::error("--folder is not a directory", {{"folder", options.folder}});
      return 1;
    }
  }

  // Every thread starts with the stop signals blocked; the main thread takes them with
  // sigwait(), so DCMTK's blocking calls on the control thread are never interrupted.
  std::signal(SIGPIPE, SIG_IGN);  // an SCP vanishing mid-send must not kill the simulator
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  Shared shared;
  boost::asio::io_context control_io;
  http::Server control(control_io, [&shared, &options](const http::Request& req) {
    return handleControl(req, options, shared);
  });
  const auto control_port = control.listen(options.control_host, options.control_port);
  if (!control_port) {
    log::error("control listen failed", {{"error", control_port.status().message()}});
    return 1;
  }
  log::info("control listening",
            {{"host", options.control_host},
             {"port", *control_port},
             {"scp_target", options.push ? options.scp_host + ":" + std::to_string(options.scp_port)
                                         : std::string("none")},
             {"folder", options.folder}});
  std::thread control_thread([&control_io] { control_io.run(); });

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  control.stop();
  control_io.stop();
  control_thread.join();
  log::info("stopped", {{"signal", signal_number}});
  return 0;
}

}  // namespace
}  // namespace kordon::sim

int main(int argc, char** argv) { return kordon::sim::run(argc, argv); }
