// SPDX-License-Identifier: Apache-2.0
// kordon-sim-anpr: an ANPR camera pushing plate events over HTTP, in one of two dialects:
//   --protocol isapi (default)  Hikvision "HTTP listening" (device-protocols.md §4.1):
//        multipart/form-data with the EventNotificationAlert XML part ("anpr.xml") followed by
//        licensePlatePicture.jpg and detectionPicture.jpg, POSTed to --target; heartBeat
//        alerts (XML alone) every --heartbeat-s.
//   --protocol dahua  Dahua ITSAPI platform push (§4.2): TollgateInfo JSON with base64 JPEGs
//        (NormalPic = scene, CutoutPic = plate crop) POSTed to <target>/NotificationInfo/
//        TollgateInfo, KeepAlive JSON to <target>/NotificationInfo/KeepAlive every
//        --heartbeat-s. Like the camera, it re-sends a TollgateInfo up to 3 times until the
//        reply body is {"Result": true}.
// On command it renders the plate crop and a 1280x720 scene with the synthetic scene generator
// (simulators/plate_scene), and serves the last scene as GET /snapshot.jpg for frame-only
// camera drivers (type "frames"), and with --rtsp HOST:PORT also as a live RTSP stream.
//
// The XML, JSON, base64 and multipart bodies are built here, independently of the driver's
// parsers (STYLE.md §C.3), so a symmetric bug cannot hide.
//
// Run recipe:
//   build/bin/kordon-sim-anpr --target http://127.0.0.1:8080/anpr/L1 --control 127.0.0.1:8502
//   curl -X POST 'http://127.0.0.1:8502/plate?text=123ABC02&confidence=97&direction=forward'
// paired with kordond config  [lanes.camera] type = "isapi-push"  path = "/anpr/L1"
//   build/bin/kordon-sim-anpr --protocol dahua --target http://127.0.0.1:8080/anpr/L2 ...
// paired with kordond config  [lanes.camera] type = "dahua-itsapi"  path = "/anpr/L2"
//   build/bin/kordon-sim-anpr --control 127.0.0.1:8502 --heartbeat-s 0 --rtsp 127.0.0.1:8554
//   curl -X POST 'http://127.0.0.1:8502/show?text=123ABC02'
// paired with kordond config  [lanes.camera] type = "frames"
//                                            url = "rtsp://127.0.0.1:8554/stream"
//
// RTSP stream (--rtsp HOST:PORT, off by default; rtsp_server.hpp, rtp_jpeg.hpp):
//   rtsp://HOST:PORT/stream (any path) streams the picture GET /snapshot.jpg returns, i.e. the
//   scene of the last /plate or /show, --rtsp-fps times a second (default 5), as Motion-JPEG:
//   RTP/JPEG (RFC 2435, type 1 = 4:2:0, quantisation tables in-band, Q = 255) over RTP
//   interleaved in the RTSP TCP connection (RTP/AVP/TCP;unicast;interleaved=0-1). RTSP 1.0
//   (RFC 2326): OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER; one session per
//   connection, several clients at once. A SETUP offering only UDP gets 461 Unsupported
//   Transport, and clients (FFmpeg) retry with TCP. Before the first /plate or /show, and while
//   kind=disconnect, DESCRIBE answers 503 and playing sessions receive no frames. Malformed
//   requests get 400/405/454/501/505 (or the connection closed when the framing is lost) and
//   are counted in /health as rtsp_bad_requests.
//   Try it: ffplay -rtsp_transport tcp rtsp://127.0.0.1:8554/stream
//
// Control API (JSON replies):
//   POST /plate?text=123ABC02[&confidence=0..100][&direction=forward|reverse|unknown][&line=N]
//              [&fault=bad-jpeg|no-close|bad-xml|xml-only|garbage|truncate|slow]
//        text is sent as given (printable UTF-8, e.g. "123 ABC 02" or Cyrillic "А 777 ВС 77"),
//        as a camera reports what it read; the lane normalises.
//        -> 200 {"ok":true,"target_status":200,"uuid":...,"attempts":[200]}; 400 on bad
//           parameters; 502 with the reason when the target is unreachable, answers non-2xx
//           (ISAPI) or never answers {"Result": true} (Dahua; "attempts" lists each status, 0 =
//           transport failure); 503 while kind=disconnect; 200 {"sent":false} while silence.
//        Per-push faults (STYLE.md §C.5): bad-jpeg = plate picture without a JPEG header;
//        no-close = multipart without its closing delimiter (ISAPI); bad-xml = truncated XML
//        (ISAPI); xml-only = the XML alone as application/xml (ISAPI); garbage, truncate, slow
//        as the kinds below, for this push only.
//   POST /fault?kind=none|disconnect|silence|garbage|truncate|slow|bad-jpeg   standing fault:
//        disconnect = camera offline: sends nothing, /plate and /heartbeat answer 503;
//        silence    = sends nothing (no heartbeats, events swallowed), control still answers;
//        garbage    = every body (events and heartbeats) is random bytes;
//        truncate   = every body is cut in the middle;
//        slow       = every body is trickled over --slow-ms (default 3000) in 20 pieces;
//        bad-jpeg   = event pictures are not JPEGs (heartbeats unaffected);
//        none       = back to normal. -> 200 {"ok":true,"fault":kind}; 400 for another kind.
//   POST /show?text=123ABC02 -> changes the snapshot to that plate without pushing an event.
//   GET  /snapshot.jpg -> the scene of the last /plate or /show (JPEG; 404 before the first);
//        503 while kind=disconnect.
//   POST /heartbeat  -> a heartBeat alert (ISAPI) or KeepAlive (Dahua) now.
//   GET  /health     -> {"ok":true,"pushes":N,"heartbeats":N,"target":...,"protocol":...,
//                        "fault":...}; with --rtsp also "rtsp":URL, "rtsp_sessions" (now),
//                        "rtsp_sessions_total", "rtsp_bad_requests", "rtsp_udp_refused" (461s),
//                        "rtsp_frames_sent", "rtsp_frames_skipped" (client still busy)
//
// Threads: one io_context thread. A push blocks it for up to the 5 s request timeout (or
// --slow-ms), which only delays the next control command, heartbeat and RTSP frame;
// acceptable for a simulator.

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "edge/base/clock.hpp"
#include "edge/base/crypto.hpp"
#include "edge/base/http.hpp"
#include "edge/base/log.hpp"
#include "edge/base/status.hpp"
#include "simulators/anpr_sim/rtsp_server.hpp"
#include "simulators/plate_scene/plate_scene.hpp"

#include <sys/socket.h>
#include <sys/time.h>

namespace kordon::sim {
namespace {

struct Options {
  std::string target_url = "http://127.0.0.1:8080/anpr/L1";
  std::string control_host = "127.0.0.1";
  std::uint16_t control_port = 8502;
  std::string camera_ip = "127.0.0.1";
  int channel = 1;
  int utc_offset_min = 0;  // the camera's local time zone; real cameras send local time + offset
  std::string protocol = "isapi";  // "isapi" | "dahua"
  double heartbeat_s = 30;         // 0 = no periodic heartbeats
  int slow_ms = 3000;              // how long fault "slow" takes to upload one body
  std::string rtsp_host;           // empty = no RTSP stream
  std::uint16_t rtsp_port = 0;
  int rtsp_fps = 5;
};

constexpr const char* kUsage =
    "usage: kordon-sim-anpr [--target URL] [--control HOST:PORT] [--camera-ip IP]\n"
    "                       [--channel N] [--utc-offset +HH:MM] [--protocol isapi|dahua]\n"
    "                       [--heartbeat-s S (0 = off, default 30)] [--slow-ms MS]\n"
    "                       [--rtsp HOST:PORT] [--rtsp-fps N (1..30, default 5)]\n";

bool parseSeconds(const std::string& text, double* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !(value >= 0) || value > 86400) return false;
  *out = value;
  return true;
}

bool parseInt(const std::string& text, int min, int max, int* out) {
  if (text.empty() || text.size() > 9) return false;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value < min || value > max) return false;
  *out = value;
  return true;
}

bool parseUtcOffset(const std::string& text, int* offset_min) {
  if (text == "Z") {
    *offset_min = 0;
    return true;
  }
  int hours = 0, minutes = 0;
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':' ||
      !parseInt(text.substr(1, 2), 0, 14, &hours) ||
      !parseInt(text.substr(4, 2), 0, 59, &minutes)) {
    return false;
  }
  *offset_min = (text[0] == '-' ? -1 : 1) * (hours * 60 + minutes);
  return true;
}

Result<Options> parseArgs(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    if (const auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (arg != "--help" && arg != "-h") {
      if (i + 1 >= argc) return Status::error(arg + " needs a value");
      value = argv[++i];
    }
    if (arg == "--help" || arg == "-h") return Status::error("");
    if (arg == "--target") {
      if (value.rfind("http://", 0) != 0) return Status::error("--target must be an http:// URL");
      options.target_url = value;
    } else if (arg == "--control") {
      if (!http::splitHostPort(value, &options.control_host, &options.control_port)) {
        return Status::error("--control must be HOST:PORT, got '" + value + "'");
      }
    } else if (arg == "--camera-ip") {
      options.camera_ip = value;
    } else if (arg == "--channel") {
      if (!parseInt(value, 1, 255, &options.channel)) return Status::error("--channel: 1..255");
    } else if (arg == "--protocol") {
      if (value != "isapi" && value != "dahua") {
        return Status::error("--protocol must be isapi or dahua");
      }
      options.protocol = value;
    } else if (arg == "--heartbeat-s") {
      if (!parseSeconds(value, &options.heartbeat_s)) {
        return Status::error("--heartbeat-s: seconds, 0..86400");
      }
    } else if (arg == "--slow-ms") {
      if (!parseInt(value, 0, 60000, &options.slow_ms)) return Status::error("--slow-ms: 0..60000");
    } else if (arg == "--rtsp") {
      if (!http::splitHostPort(value, &options.rtsp_host, &options.rtsp_port)) {
        return Status::error("--rtsp must be HOST:PORT, got '" + value + "'");
      }
    } else if (arg == "--rtsp-fps") {
      if (!parseInt(value, 1, 30, &options.rtsp_fps)) return Status::error("--rtsp-fps: 1..30");
    } else if (arg == "--utc-offset") {
      if (!parseUtcOffset(value, &options.utc_offset_min)) {
        return Status::error("--utc-offset must be +HH:MM, -HH:MM or Z");
      }
    } else {
      return Status::error("unknown option " + arg);
    }
  }
  return options;
}

// Camera-local wall time pieces, shifted by the camera's UTC offset.
struct LocalTime {
  std::tm tm{};
  int ms = 0;
};

LocalTime toCameraLocal(WallMs utc_ms, int utc_offset_min) {
  const WallMs local_ms = utc_ms + static_cast<WallMs>(utc_offset_min) * 60'000;
  LocalTime local;
  const std::time_t secs = static_cast<std::time_t>(local_ms / 1000);
  local.ms = static_cast<int>(local_ms % 1000);
  gmtime_r(&secs, &local.tm);
  return local;
}

// "2024-05-07T17:48:03.847+07:00": the camera's dateTime, local time with its offset.
std::string formatCameraDateTime(WallMs utc_ms, int utc_offset_min) {
  const LocalTime t = toCameraLocal(utc_ms, utc_offset_min);
  const int offset_abs = utc_offset_min < 0 ? -utc_offset_min : utc_offset_min;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02d:%02d",
                t.tm.tm_year + 1900, t.tm.tm_mon + 1, t.tm.tm_mday, t.tm.tm_hour, t.tm.tm_min,
                t.tm.tm_sec, t.ms, utc_offset_min < 0 ? '-' : '+', offset_abs / 60,
                offset_abs % 60);
  return buf;
}

// "20240507174803847": pictureInfo/absTime, local time without separators.
std::string formatAbsTime(WallMs utc_ms, int utc_offset_min) {
  const LocalTime t = toCameraLocal(utc_ms, utc_offset_min);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02d%03d", t.tm.tm_year + 1900,
                t.tm.tm_mon + 1, t.tm.tm_mday, t.tm.tm_hour, t.tm.tm_min, t.tm.tm_sec, t.ms);
  return buf;
}

std::string xmlEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// ---- Images ---------------------------------------------------------------------------------

struct RenderedPush {
  std::string plate_jpeg;
  std::string scene_jpeg;
  cv::Rect plate_in_scene;  // reported as detectionPicture/plateRect
};

constexpr std::size_t kMaxPlateBytes = 32;

// Decodes UTF-8 into code points; false on malformed input.
bool decodeUtf8(const std::string& text, std::vector<char32_t>* out) {
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    int extra = -1;  // continuation bytes after the lead byte
    if (lead < 0x80) {
      extra = 0;
    } else if ((lead >> 5) == 0x6) {
      extra = 1;
    } else if ((lead >> 4) == 0xE) {
      extra = 2;
    } else if ((lead >> 3) == 0x1E) {
      extra = 3;
    }
    if (extra < 0 || text.size() - i <= static_cast<std::size_t>(extra)) return false;
    char32_t code_point = extra == 0 ? lead : lead & (0x3F >> extra);
    for (int k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]);
      if ((next & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    out->push_back(code_point);
    i += 1 + static_cast<std::size_t>(extra);
  }
  return true;
}

bool isPrintableUtf8(const std::string& text) {
  std::vector<char32_t> code_points;
  if (!decodeUtf8(text, &code_points)) return false;
  for (char32_t c : code_points) {
    if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0)) return false;
  }
  return true;
}

// What is painted on the plate: spaces dropped, Latin upper case. Hershey fonts have no
// Cyrillic, so the 12 Cyrillic letters with Latin look-alikes (device-protocols.md §4.5) are
// drawn as those; a plate looks the same either way. Anything else is drawn as '?'.
std::string plateGlyphs(const std::string& text) {
  static constexpr std::pair<char32_t, char> kLookAlikes[] = {
      {U'\u0410', 'A'}, {U'\u0412', 'B'}, {U'\u0415', 'E'}, {U'\u041A', 'K'},
      {U'\u041C', 'M'}, {U'\u041D', 'H'}, {U'\u041E', 'O'}, {U'\u0420', 'P'},
      {U'\u0421', 'C'}, {U'\u0422', 'T'}, {U'\u0423', 'Y'}, {U'\u0425', 'X'}};
  std::vector<char32_t> code_points;
  if (!decodeUtf8(text, &code_points)) return "?";
  std::string glyphs;
  for (char32_t c : code_points) {
    if (c == U' ' || c == U'-') continue;
    if (c >= U'a' && c <= U'z') c -= 0x20;
    if (c >= U'\u0430' && c <= U'\u044F') c -= 0x20;  // Cyrillic lower -> upper
    char glyph = '?';
    if ((c >= U'0' && c <= U'9') || (c >= U'A' && c <= U'Z')) glyph = static_cast<char>(c);
    for (const auto& [cyrillic, latin] : kLookAlikes) {
      if (c == cyrillic) glyph = latin;
    }
    glyphs.push_back(glyph);
  }
  return glyphs.empty() ? "?" : glyphs;
}

// The pictures come from the synthetic scene generator (simulators/plate_scene): a clean
// daylight scene, the same picture for the same text. OpenCV throws; nothing passes this
// boundary but a Status.
Result<RenderedPush> renderImages(const std::string& text) {
  try {
    auto scene = renderScene(std::hash<std::string>{}(text), text, SceneOptions{.degrade = false});
    if (!scene) return scene.status();
    RenderedPush out;
    out.plate_in_scene = scene->box;
    std::vector<unsigned char> bytes;
    if (!cv::imencode(".jpg", scene->plate_crop, bytes, {cv::IMWRITE_JPEG_QUALITY, 90})) {
      return Status::error("cv::imencode failed");
    }
    out.plate_jpeg.assign(bytes.begin(), bytes.end());
    out.scene_jpeg = std::move(scene->jpeg);
    return out;
  } catch (const std::exception& e) {
    return Status::error(std::string("render: ") + e.what());
  }
}

// ---- ISAPI encoding (independent of drivers/anpr_camera) ------------------------------------

struct PlateEvent {
  std::string plate;
  int confidence_pct = 95;
  std::string direction = "forward";
  int line = 1;
  std::string uuid;
  WallMs time_ms = 0;
  cv::Rect plate_rect;
};

std::string alertHeader(const Options& options, WallMs time_ms, const std::string& event_type,
                        const std::string& event_state, int active_post_count) {
  std::string xml;
  xml += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n";
  xml +=
      "<EventNotificationAlert version=\"2.0\" xmlns=\"http://www.isapi.org/ver20/XMLSchema\">\r\n";
  xml += "<ipAddress>" + xmlEscape(options.camera_ip) + "</ipAddress>\r\n";
  xml += "<protocol>HTTP</protocol>\r\n";
  xml += "<macAddress>02:00:00:4b:5a:01</macAddress>\r\n";  // locally administered
  xml += "<channelID>" + std::to_string(options.channel) + "</channelID>\r\n";
  xml += "<dateTime>" + formatCameraDateTime(time_ms, options.utc_offset_min) + "</dateTime>\r\n";
  xml += "<activePostCount>" + std::to_string(active_post_count) + "</activePostCount>\r\n";
  xml += "<eventType>" + event_type + "</eventType>\r\n";
  xml += "<eventState>" + event_state + "</eventState>\r\n";
  xml += "<eventDescription>" + event_type + "</eventDescription>\r\n";
  xml += "<channelName>KORDON SIM CAMERA</channelName>\r\n";
  return xml;
}

std::string buildAnprXml(const Options& options, const PlateEvent& event, int active_post_count) {
  std::string char_confidence;
  for (std::size_t i = 0; i < plateGlyphs(event.plate).size(); ++i) {
    char_confidence += (i ? "," : "") + std::to_string(event.confidence_pct);
  }
  const std::string abs_time = formatAbsTime(event.time_ms, options.utc_offset_min);
  const cv::Rect& r = event.plate_rect;
  std::string xml = alertHeader(options, event.time_ms, "ANPR", "active", active_post_count);
  xml += "<ANPR>\r\n";
  // Country index copied from the reference capture; its mapping is not documented for KZ.
  xml += "<country>64</country>\r\n";
  xml += "<licensePlate>" + xmlEscape(event.plate) + "</licensePlate>\r\n";
  xml += "<line>" + std::to_string(event.line) + "</line>\r\n";
  xml += "<direction>" + event.direction + "</direction>\r\n";
  xml += "<confidenceLevel>" + std::to_string(event.confidence_pct) + "</confidenceLevel>\r\n";
  xml += "<plateType>unknown</plateType>\r\n<plateColor>white</plateColor>\r\n";
  xml += "<licenseBright>173</licenseBright>\r\n";
  xml += "<plateCharBelieve>" + char_confidence + "</plateCharBelieve>\r\n";
  xml += "<vehicleType>truck</vehicleType>\r\n";
  xml += "<detectDir>8</detectDir>\r\n<detectType>2</detectType>\r\n";
  xml += "<pictureInfoList>\r\n";
  xml +=
      "<pictureInfo>\r\n<fileName>detectionPicture.jpg</fileName>\r\n"
      "<type>detectionPicture</type>\r\n<dataType>0</dataType>\r\n";
  xml += "<absTime>" + abs_time + "</absTime>\r\n";
  xml += "<plateRect>\r\n<X>" + std::to_string(r.x) + "</X>\r\n<Y>" + std::to_string(r.y) +
         "</Y>\r\n<width>" + std::to_string(r.width) + "</width>\r\n<height>" +
         std::to_string(r.height) + "</height>\r\n</plateRect>\r\n";
  xml += "</pictureInfo>\r\n";
  xml +=
      "<pictureInfo>\r\n<fileName>licensePlatePicture.jpg</fileName>\r\n"
      "<type>licensePlatePicture</type>\r\n<dataType>0</dataType>\r\n";
  xml += "<absTime>" + abs_time + "</absTime>\r\n</pictureInfo>\r\n";
  xml += "</pictureInfoList>\r\n";
  xml += "<listType>temporary</listType>\r\n";
  xml += "<originalLicensePlate>" + xmlEscape(event.plate) + "</originalLicensePlate>\r\n";
  xml += "</ANPR>\r\n";
  xml += "<UUID>" + event.uuid + "</UUID>\r\n<picNum>2</picNum>\r\n";
  xml += "</EventNotificationAlert>\r\n";
  return xml;
}

std::string buildHeartbeatXml(const Options& options, WallMs time_ms, int active_post_count) {
  return alertHeader(options, time_ms, "heartBeat", "active", active_post_count) +
         "</EventNotificationAlert>\r\n";
}

struct FormPart {
  std::string file_name;  // used as both the form field name and the filename
  std::string content_type;
  std::string bytes;
};

// multipart/form-data as the camera writes it: each part carries its own Content-Length.
std::string buildMultipart(const std::string& boundary, const std::vector<FormPart>& parts,
                           bool with_closing_delimiter) {
  std::string body;
  for (const FormPart& part : parts) {
    body += "--" + boundary + "\r\n";
    body += "Content-Disposition: form-data; name=\"" + part.file_name + "\"; filename=\"" +
            part.file_name + "\"\r\n";
    body += "Content-Type: " + part.content_type + "\r\n";
    body += "Content-Length: " + std::to_string(part.bytes.size()) + "\r\n\r\n";
    body += part.bytes;
    body += "\r\n";
  }
  if (with_closing_delimiter) body += "--" + boundary + "--\r\n";
  return body;
}

// ---- Dahua ITSAPI encoding (independent of drivers/anpr_camera) -----------------------------

// RFC 4648 §4 base64 with '=' padding, no line breaks (as the camera sends Content).
std::string base64Encode(const std::string& bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t group = (static_cast<unsigned char>(bytes[i]) << 16) |
                                (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                                static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(group >> 18) & 63];
    out += kAlphabet[(group >> 12) & 63];
    out += kAlphabet[(group >> 6) & 63];
    out += kAlphabet[group & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t group = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) group |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(group >> 18) & 63];
    out += kAlphabet[(group >> 12) & 63];
    out += rest == 2 ? kAlphabet[(group >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// "2026-11-25 15:25:00.123": SnapInfo/AccurateTime, camera-local time.
std::string formatAccurateTime(WallMs utc_ms, int utc_offset_min) {
  const LocalTime t = toCameraLocal(utc_ms, utc_offset_min);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d.%03d", t.tm.tm_year + 1900,
                t.tm.tm_mon + 1, t.tm.tm_mday, t.tm.tm_hour, t.tm.tm_min, t.tm.tm_sec, t.ms);
  return buf;
}

std::string formatUtcOffset(int utc_offset_min) {
  const int offset_abs = utc_offset_min < 0 ? -utc_offset_min : utc_offset_min;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", utc_offset_min < 0 ? '-' : '+', offset_abs / 60,
                offset_abs % 60);
  return buf;
}

std::string dahuaDirection(const std::string& direction) {
  if (direction == "forward") return "Obverse";
  if (direction == "reverse") return "Reverse";
  return "Unknown";
}

std::string buildTollgateJson(const Options& options, const PlateEvent& event, int upload_num,
                              const std::string& plate_jpeg, const std::string& scene_jpeg) {
  const cv::Rect& r = event.plate_rect;
  const std::string stamp = formatAbsTime(event.time_ms, options.utc_offset_min);
  const nlohmann::json body = {
      {"Picture",
       {{"Plate",
         {{"BoundingBox", {r.x, r.y, r.x + r.width, r.y + r.height}},
          {"Channel", options.channel - 1},
          {"Confidence", event.confidence_pct},
          {"IsExist", true},
          {"PlateColor", "White"},
          {"PlateNumber", event.plate},
          {"PlateType", "Normal"},
          {"Region", "KAZ"},
          {"UploadNum", upload_num}}},
        {"Vehicle",
         {{"VehicleBoundingBox", {340, 140, 940, 720}},
          {"VehicleColor", "Gray"},
          {"VehicleSeries", ""},
          {"VehicleSign", "Unknown"},
          {"VehicleType", "LargeTruck"}}},
        {"SnapInfo",
         {{"AccurateTime", formatAccurateTime(event.time_ms, options.utc_offset_min)},
          {"AllowUser", false},
          {"AllowUserEndTime", ""},
          {"BlockUser", false},
          {"BlockUserEndTime", ""},
          {"Direction", dahuaDirection(event.direction)},
          {"TimeZone", formatUtcOffset(options.utc_offset_min)}}},
        {"NormalPic", {{"Content", base64Encode(scene_jpeg)}, {"PicName", stamp + "_scene.jpg"}}},
        {"CutoutPic",
         {{"Content", base64Encode(plate_jpeg)}, {"PicName", stamp + "_plate.jpg"}}}}}};
  return body.dump();
}

std::string buildKeepAliveJson(const Options& options, WallMs time_ms) {
  return nlohmann::json{{"DeviceID", "KORDON-SIM-" + std::to_string(options.channel)},
                        {"DeviceIP", options.camera_ip},
                        {"Time", formatAccurateTime(time_ms, options.utc_offset_min)}}
      .dump();
}

// ---- Transport ------------------------------------------------------------------------------

struct UrlParts {
  std::string host;
  std::string port = "80";
  std::string target = "/";
};

bool splitUrl(const std::string& url, UrlParts* out) {
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) return false;
  const std::string rest = url.substr(kScheme.size());
  const std::size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  out->target = slash == std::string::npos ? "/" : rest.substr(slash);
  const std::size_t colon = authority.rfind(':');
  out->host = authority.substr(0, colon);
  if (colon != std::string::npos) out->port = authority.substr(colon + 1);
  return !out->host.empty();
}

// POST whose body is trickled in 20 pieces over `duration` (fault "slow"): a camera on a
// congested link. Blocking, on its own socket; the reply is read with a 10 s receive timeout.
Result<http::Response> postSlowly(const std::string& url, const std::string& body,
                                  const std::string& content_type,
                                  std::chrono::milliseconds duration) {
  namespace asio = boost::asio;
  namespace bhttp = boost::beast::http;
  UrlParts url_parts;
  if (!splitUrl(url, &url_parts)) return Status::error("bad URL " + url);
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  boost::system::error_code ec;
  const auto endpoints = resolver.resolve(url_parts.host, url_parts.port, ec);
  if (ec) return Status::error("resolve: " + ec.message());
  asio::ip::tcp::socket socket(io);
  asio::connect(socket, endpoints, ec);
  if (ec) return Status::error("connect: " + ec.message());
  timeval receive_timeout{10, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &receive_timeout,
               sizeof receive_timeout);
  const std::string head = "POST " + url_parts.target + " HTTP/1.1\r\nHost: " + url_parts.host +
                           ":" + url_parts.port + "\r\nContent-Type: " + content_type +
                           "\r\nContent-Length: " + std::to_string(body.size()) +
                           "\r\nConnection: close\r\n\r\n";
  asio::write(socket, asio::buffer(head), ec);
  constexpr std::size_t kPieces = 20;
  const std::size_t piece = (body.size() + kPieces - 1) / kPieces;
  for (std::size_t offset = 0; !ec && offset < body.size(); offset += piece) {
    std::this_thread::sleep_for(duration / kPieces);
    asio::write(socket, asio::buffer(body.data() + offset, std::min(piece, body.size() - offset)),
                ec);
  }
  if (ec) return Status::error("write: " + ec.message());
  boost::beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> reply;
  bhttp::read(socket, buffer, reply, ec);
  if (ec) return Status::error("read reply: " + ec.message());
  http::Response response;
  response.status = static_cast<int>(reply.result_int());
  response.body = reply.body();
  return response;
}

// ---- Control API ----------------------------------------------------------------------------

http::Response jsonReply(int status, const nlohmann::json& body) {
  return http::Response::json(status, body.dump());
}

const std::vector<std::string> kStandingFaults = {"none",     "disconnect", "silence", "garbage",
                                                  "truncate", "slow",       "bad-jpeg"};
const std::vector<std::string> kPushFaults = {"",         "bad-jpeg", "no-close", "bad-xml",
                                              "xml-only", "garbage",  "truncate", "slow"};
constexpr int kDahuaResends = 3;

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

class CameraSim {
 public:
  CameraSim(Options options, const Clock& clock, boost::asio::io_context& io)
      : options_(std::move(options)), clock_(clock), heartbeat_timer_(io), random_(seed()) {
    if (options_.protocol == "dahua") {
      std::string base = options_.target_url;
      while (!base.empty() && base.back() == '/') base.pop_back();
      tollgate_url_ = base + "/NotificationInfo/TollgateInfo";
      keep_alive_url_ = base + "/NotificationInfo/KeepAlive";
    }
  }

  void start() { scheduleHeartbeat(); }
  void stop() { heartbeat_timer_.cancel(); }

  // The RTSP stream, when there is one, for /health.
  void attachRtsp(const RtspServer* rtsp, std::string url) {
    rtsp_ = rtsp;
    rtsp_url_ = std::move(url);
  }

  // What the RTSP stream shows now: the snapshot, nothing while the camera is offline.
  const std::string& streamPicture() const {
    static const std::string kNothing;
    return fault_ == "disconnect" ? kNothing : snapshot_jpeg_;
  }

  http::Response handle(const http::Request& request) {
    if (request.path == "/health" && request.method == "GET") {
      nlohmann::json health = {{"ok", true},
                               {"pushes", pushes_},
                               {"heartbeats", heartbeats_},
                               {"target", options_.target_url},
                               {"protocol", options_.protocol},
                               {"fault", fault_}};
      if (rtsp_) {
        const RtspStats stats = rtsp_->stats();
        health["rtsp"] = rtsp_url_;
        health["rtsp_sessions"] = stats.sessions;
        health["rtsp_sessions_total"] = stats.sessions_total;
        health["rtsp_bad_requests"] = stats.bad_requests;
        health["rtsp_udp_refused"] = stats.udp_refused;
        health["rtsp_frames_sent"] = stats.frames_sent;
        health["rtsp_frames_skipped"] = stats.frames_skipped;
      }
      return jsonReply(200, health);
    }
    if (request.path == "/snapshot.jpg" && request.method == "GET") return snapshot();
    if (request.path == "/show" && request.method == "POST") return show(request);
    if (request.path == "/plate" || request.path == "/heartbeat" || request.path == "/fault") {
      if (request.method != "POST") return jsonReply(405, {{"ok", false}, {"error", "use POST"}});
      if (request.path == "/fault") return setFault(request);
      if (fault_ == "disconnect") {
        return jsonReply(503, {{"ok", false}, {"error", "camera offline (fault=disconnect)"}});
      }
      return request.path == "/plate" ? pushPlate(request) : pushHeartbeat();
    }
    return jsonReply(404, {{"ok", false}, {"error", "no such endpoint: " + request.path}});
  }

 private:
  static std::uint32_t seed() { return std::random_device{}(); }

  http::Response snapshot() {
    if (fault_ == "disconnect") {
      return jsonReply(503, {{"ok", false}, {"error", "camera offline (fault=disconnect)"}});
    }
    if (snapshot_jpeg_.empty()) {
      return jsonReply(404, {{"ok", false}, {"error", "no scene yet: POST /plate or /show"}});
    }
    http::Response response;
    response.content_type = "image/jpeg";
    response.body = snapshot_jpeg_;
    return response;
  }

  http::Response show(const http::Request& request) {
    const std::string text = request.param("text");
    if (text.empty() || text.size() > kMaxPlateBytes || !isPrintableUtf8(text)) {
      return badRequest("text must be 1.." + std::to_string(kMaxPlateBytes) +
                        " bytes of printable UTF-8");
    }
    auto images = renderImages(text);
    if (!images) return jsonReply(500, {{"ok", false}, {"error", images.status().message()}});
    snapshot_jpeg_ = std::move(images->scene_jpeg);
    return jsonReply(200, {{"ok", true}, {"plate", text}});
  }

  http::Response setFault(const http::Request& request) {
    const std::string kind = request.param("kind", "");
    if (!contains(kStandingFaults, kind)) {
      return badRequest(
          "kind must be one of none, disconnect, silence, garbage, truncate, slow, bad-jpeg");
    }
    fault_ = kind;
    log::info("fault set", {{"fault", fault_}});
    return jsonReply(200, {{"ok", true}, {"fault", fault_}});
  }

  void scheduleHeartbeat() {
    if (options_.heartbeat_s <= 0) return;
    heartbeat_timer_.expires_after(
        std::chrono::milliseconds(static_cast<std::int64_t>(options_.heartbeat_s * 1000.0 + 0.5)));
    heartbeat_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      if (fault_ != "disconnect" && fault_ != "silence") (void)pushHeartbeat();
      scheduleHeartbeat();
    });
  }

  http::Response pushPlate(const http::Request& request) {
    PlateEvent event;
    // Sent as given (spaces, Cyrillic): cameras report what they read, the lane normalises.
    event.plate = request.param("text");
    if (event.plate.empty() || event.plate.size() > kMaxPlateBytes) {
      return badRequest("text must be 1.." + std::to_string(kMaxPlateBytes) + " bytes");
    }
    if (!isPrintableUtf8(event.plate)) return badRequest("text must be printable UTF-8");
    if (!parseInt(request.param("confidence", "95"), 0, 100, &event.confidence_pct)) {
      return badRequest("confidence must be 0..100");
    }
    event.direction = request.param("direction", "forward");
    if (event.direction != "forward" && event.direction != "reverse" &&
        event.direction != "unknown") {
      return badRequest("direction must be forward, reverse or unknown");
    }
    if (!parseInt(request.param("line", "1"), 0, 99, &event.line)) {
      return badRequest("line must be 0..99");
    }
    std::string fault = request.param("fault", "");
    if (!contains(kPushFaults, fault)) {
      return badRequest(
          "fault must be one of bad-jpeg, no-close, bad-xml, xml-only, garbage, truncate, slow");
    }
    if (fault_ == "silence") {
      return jsonReply(200, {{"ok", true}, {"sent", false}, {"fault", fault_}});
    }
    if (fault.empty() && fault_ != "none") fault = fault_;

    auto images = renderImages(event.plate);
    if (!images) return jsonReply(500, {{"ok", false}, {"error", images.status().message()}});
    snapshot_jpeg_ = images->scene_jpeg;
    event.uuid = newUuid();
    event.time_ms = clock_.nowWallMs();
    event.plate_rect = images->plate_in_scene;
    if (fault == "bad-jpeg") {
      images->plate_jpeg[0] = 'X';  // no FF D8 start-of-image marker
      if (options_.protocol == "dahua") images->scene_jpeg.replace(0, 6, "GIF89a");
    }
    ++active_post_count_;
    nlohmann::json reply = {{"plate", event.plate}};
    if (!fault.empty()) reply["fault"] = fault;

    if (options_.protocol == "dahua") {
      reply["upload_num"] = active_post_count_;
      std::string body = buildTollgateJson(options_, event, active_post_count_, images->plate_jpeg,
                                           images->scene_jpeg);
      return postDahua(tollgate_url_, mutate(std::move(body), fault), fault == "slow",
                       std::move(reply));
    }

    reply["uuid"] = event.uuid;
    std::string xml = buildAnprXml(options_, event, active_post_count_);
    if (fault == "bad-xml") xml.resize(xml.size() / 2);
    std::string body;
    std::string content_type;
    if (fault == "xml-only") {
      body = xml;
      content_type = "application/xml; charset=UTF-8";
    } else {
      const std::string boundary = "kordon-sim-" + newUuid().substr(0, 8);
      body = buildMultipart(boundary,
                            {{"anpr.xml", "application/xml", xml},
                             {"licensePlatePicture.jpg", "image/jpeg", images->plate_jpeg},
                             {"detectionPicture.jpg", "image/jpeg", images->scene_jpeg}},
                            fault != "no-close");
      content_type = "multipart/form-data; boundary=" + boundary;
    }
    return postIsapi(mutate(std::move(body), fault), content_type, fault == "slow",
                     std::move(reply));
  }

  http::Response pushHeartbeat() {
    if (fault_ == "silence") {
      return jsonReply(200, {{"ok", true}, {"sent", false}, {"fault", fault_}});
    }
    ++heartbeats_;
    const WallMs now_ms = clock_.nowWallMs();
    const bool slow = fault_ == "slow";
    if (options_.protocol == "dahua") {
      // Cameras do not re-send a KeepAlive; the next one follows on schedule.
      return postDahua(keep_alive_url_, mutate(buildKeepAliveJson(options_, now_ms), fault_), slow,
                       {{"event", "KeepAlive"}}, /*attempts=*/1);
    }
    return postIsapi(mutate(buildHeartbeatXml(options_, now_ms, ++active_post_count_), fault_),
                     "application/xml; charset=UTF-8", slow, {{"event", "heartBeat"}});
  }

  // Body-level standing faults: garbage replaces the body, truncate cuts it in half.
  std::string mutate(std::string body, const std::string& fault) {
    if (fault == "garbage") {
      std::uniform_int_distribution<int> byte(0, 255);
      std::string noise(std::max<std::size_t>(64, std::min<std::size_t>(body.size(), 4096)), '\0');
      for (char& c : noise) c = static_cast<char>(byte(random_));
      noise[0] = '\x01';  // never a '<' or '{' that could start a valid document
      return noise;
    }
    if (fault == "truncate") body.resize(body.size() / 2);
    return body;
  }

  Result<http::Response> send(const std::string& url, const std::string& body,
                              const std::string& content_type, bool slow) {
    ++pushes_;
    if (slow) {
      return postSlowly(url, body, content_type, std::chrono::milliseconds(options_.slow_ms));
    }
    return http::request("POST", url, body, content_type);
  }

  http::Response postIsapi(const std::string& body, const std::string& content_type, bool slow,
                           nlohmann::json reply) {
    auto response = send(options_.target_url, body, content_type, slow);
    if (!response) {
      log::warn("push failed",
                {{"target", options_.target_url}, {"error", response.status().message()}});
      reply["ok"] = false;
      reply["attempts"] = {0};
      reply["error"] = "target unreachable: " + response.status().message();
      return jsonReply(502, reply);
    }
    reply["target_status"] = response->status;
    reply["attempts"] = {response->status};
    const bool accepted = response->status >= 200 && response->status < 300;
    reply["ok"] = accepted;
    if (!accepted)
      reply["error"] = "target answered " + std::to_string(response->status) + ": " +
                       response->body.substr(0, 200);
    log::info("pushed", {{"target_status", response->status}, {"bytes", body.size()}});
    return jsonReply(accepted ? 200 : 502, reply);
  }

  // Sends until the reply body is {"Result": true}: the first try plus up to kDahuaResends.
  http::Response postDahua(const std::string& url, const std::string& body, bool slow,
                           nlohmann::json reply, int attempts = 1 + kDahuaResends) {
    nlohmann::json statuses = nlohmann::json::array();
    std::string last_error;
    bool result = false;
    for (int attempt = 0; attempt < attempts && !result; ++attempt) {
      auto response = send(url, body, "application/json", slow);
      if (!response) {
        statuses.push_back(0);
        last_error = "target unreachable: " + response.status().message();
        continue;
      }
      statuses.push_back(response->status);
      reply["target_status"] = response->status;
      // The camera looks at the body only: {"Result": true} means delivered.
      const nlohmann::json answer = nlohmann::json::parse(response->body, nullptr, false);
      result = answer.is_object() && answer.contains("Result") && answer["Result"] == true;
      if (!result) {
        last_error = "target answered " + std::to_string(response->status) + ": " +
                     response->body.substr(0, 200);
      }
    }
    reply["attempts"] = statuses;
    reply["ok"] = result;
    if (!result) reply["error"] = last_error;
    log::info("pushed",
              {{"url", url}, {"attempts", statuses}, {"result", result}, {"bytes", body.size()}});
    return jsonReply(result ? 200 : 502, reply);
  }

  http::Response badRequest(const std::string& reason) {
    return jsonReply(400, {{"ok", false}, {"error", reason}});
  }

  Options options_;
  const Clock& clock_;
  boost::asio::steady_timer heartbeat_timer_;
  std::mt19937 random_;
  std::string tollgate_url_;
  std::string keep_alive_url_;
  std::string fault_ = "none";
  std::string snapshot_jpeg_;  // GET /snapshot.jpg, and the RTSP stream
  const RtspServer* rtsp_ = nullptr;
  std::string rtsp_url_;
  int active_post_count_ = 0;  // the camera's running event counter (ISAPI activePostCount,
                               // Dahua UploadNum)
  std::uint64_t pushes_ = 0;
  std::uint64_t heartbeats_ = 0;
};

int run(int argc, char** argv) {
  log::configure(log::Level::kInfo, log::Format::kText, "kordon-sim-anpr");
  auto options = parseArgs(argc, argv);
  if (!options) {
    if (!options.status().message().empty()) {
      std::fprintf(stderr, "kordon-sim-anpr: %s\n", options.status().message().c_str());
    }
    std::fputs(kUsage, stderr);
    return 2;
  }

  boost::asio::io_context io;
  SystemClock clock;
  CameraSim camera(*options, clock, io);
  http::Server server(io, [&camera](const http::Request& r) { return camera.handle(r); });
  auto port = server.listen(options->control_host, options->control_port);
  if (!port) {
    log::error("cannot start control API", {{"error", port.status().message()}});
    return 1;
  }
  std::optional<RtspServer> rtsp;
  std::string rtsp_url;
  if (!options->rtsp_host.empty()) {
    rtsp.emplace(
        io, [&camera]() -> const std::string& { return camera.streamPicture(); },
        options->rtsp_fps);
    auto rtsp_port = rtsp->listen(options->rtsp_host, options->rtsp_port);
    if (!rtsp_port) {
      log::error("cannot start RTSP server", {{"error", rtsp_port.status().message()}});
      return 1;
    }
    const bool v6 = options->rtsp_host.find(':') != std::string::npos;
    rtsp_url = "rtsp://" + (v6 ? "[" + options->rtsp_host + "]" : options->rtsp_host) + ":" +
               std::to_string(*rtsp_port) + "/stream";
    camera.attachRtsp(&*rtsp, rtsp_url);
  }
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal_number) {
    if (ec) return;
    log::info("stopping", {{"signal", signal_number}});
    camera.stop();
    server.stop();
    if (rtsp) rtsp->stop();
    io.stop();
  });
  camera.start();
  log::info("camera simulator ready",
            {{"control", options->control_host + ":" + std::to_string(*port)},
             {"target", options->target_url},
             {"protocol", options->protocol},
             {"heartbeat_s", options->heartbeat_s},
             {"rtsp", rtsp_url.empty() ? "off" : rtsp_url}});
  io.run();
  return 0;
}

}  // namespace
}  // namespace kordon::sim

int main(int argc, char** argv) { return kordon::sim::run(argc, argv); }
