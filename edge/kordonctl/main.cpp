// SPDX-License-Identifier: Apache-2.0
// kordonctl: tools for integrators. `kordonctl inspect FILE` decodes a device document with the
// same parsers kordond uses and prints one JSON object, so a site can check what a real device
// sends before wiring it in. Exit 0 when the file decodes, 1 when it does not (the message says
// why), 2 on bad usage.
//
//   kordonctl inspect capture.n42
//   kordonctl inspect --format vm250 rpm-stream.txt

#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "drivers/anpr_camera/dahua_event.hpp"
#include "drivers/anpr_camera/isapi_event.hpp"
#include "drivers/radiation_portal/n42_parser.hpp"
#include "drivers/radiation_portal/vm250_parser.hpp"
#include "drivers/weighbridge/toledo_continuous.hpp"
#include "drivers/xray_scanner/tdr_parser.hpp"
#include "edge/base/status.hpp"

namespace kordon::ctl {
namespace {

using nlohmann::json;

template <typename T>
Result<json> documentOf(const Result<T>& parsed) {
  if (!parsed.isOk()) return parsed.status();
  return drivers::toJson(*parsed);
}

struct Format {
  const char* name;
  const char* what;
  std::function<bool(std::string_view bytes)> looks_like;
  std::function<Result<json>(std::string_view bytes)> inspect;
};

bool contains(std::string_view bytes, std::string_view needle, std::size_t within = 4096) {
  return bytes.substr(0, within).find(needle) != std::string_view::npos;
}

// Streams hold many frames or lines; a capture is bad when none of it decodes.
Result<json> inspectToledo(std::string_view bytes) {
  json report = drivers::inspectToledoStream(
      std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
  if (report.value("good_frames", 0) == 0) {
    return Status::error("no valid Toledo continuous frame (" +
                         report.value("last_error", std::string()) + ")");
  }
  return report;
}

Result<json> inspectVm250(std::string_view bytes) {
  json report = drivers::inspectVm250(bytes);
  const auto lines = report.value("lines", 0);
  if (lines == 0 || report.value("error_count", 0) >= lines) {
    return Status::error("no valid VM-250 line (expected lines such as \"GB,250,260,255,249\")");
  }
  return report;
}

const std::vector<Format>& formats() {
  static const std::vector<Format> kFormats = {
      {"dicos-tdr", "DICOS Threat Detection Report (X-ray)",
       [](std::string_view b) { return b.size() > 132 && b.substr(128, 4) == "DICM"; },
       [](std::string_view b) { return documentOf(drivers::parseTdr(b)); }},
      {"n42", "ANSI N42.42 radiation document",
       [](std::string_view b) { return contains(b, "<RadInstrumentData"); },
       [](std::string_view b) { return documentOf(drivers::parseN42(b)); }},
      {"isapi", "Hikvision ISAPI EventNotificationAlert (ANPR)",
       [](std::string_view b) { return contains(b, "EventNotificationAlert"); },
       [](std::string_view b) { return documentOf(drivers::parseIsapiAlert(b)); }},
      {"dahua", "Dahua ITSAPI TollgateInfo JSON (ANPR)",
       [](std::string_view b) { return contains(b, "\"Picture\""); },
       [](std::string_view b) { return documentOf(drivers::parseDahuaTollgate(b)); }},
      {"toledo", "Toledo continuous weight stream",
       [](std::string_view b) { return !b.empty() && b.find('\x02') < 32; }, inspectToledo},
      {"vm250", "VM-250 radiation portal line stream",
       [](std::string_view b) {
         return b.size() > 3 && b[0] >= 'A' && b[0] <= 'Z' && b[1] >= 'A' && b[1] <= 'Z' &&
                (b[2] == ',' || (b[2] >= '0' && b[2] <= '9'));
       },
       inspectVm250},
  };
  return kFormats;
}

int usage(const std::string& error) {
  std::string text =
      "usage: kordonctl inspect [--format NAME] FILE\n"
      "  Decodes a device document and prints it as one JSON object. Formats:\n";
  for (const auto& f : formats()) text += "    " + std::string(f.name) + "\t" + f.what + "\n";
  if (!error.empty()) std::fprintf(stderr, "kordonctl: %s\n", error.c_str());
  std::fputs(text.c_str(), error.empty() ? stdout : stderr);
  return error.empty() ? 0 : 2;
}

int inspect(const std::string& path, const std::string& forced) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "kordonctl: %s: cannot open file\n", path.c_str());
    return 1;
  }
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const Format* format = nullptr;
  for (const auto& f : formats()) {
    if (forced.empty() ? f.looks_like(bytes) : forced == f.name) {
      format = &f;
      break;
    }
  }
  if (format == nullptr) {
    if (!forced.empty()) return usage("unknown format '" + forced + "'");
    std::fprintf(stderr,
                 "kordonctl: %s: not a format kordonctl recognises (try --format; see --help)\n",
                 path.c_str());
    return 1;
  }
  auto document = format->inspect(bytes);
  if (!document.isOk()) {
    std::fprintf(stderr, "kordonctl: %s: %s: %s\n", path.c_str(), format->name,
                 document.status().message().c_str());
    return 1;
  }
  const json out = {{"file", path}, {"format", format->name}, {"document", *document}};
  std::puts(out.dump(-1, ' ', false, json::error_handler_t::replace).c_str());
  return 0;
}

}  // namespace
}  // namespace kordon::ctl

int main(int argc, char** argv) {
  using namespace kordon::ctl;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    return usage(args.empty() ? "missing command" : "");
  }
  if (args[0] != "inspect") return usage("unknown command '" + args[0] + "'");
  std::string forced;
  std::string path;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--format" && i + 1 < args.size()) {
      forced = args[++i];
    } else if (path.empty() && args[i].rfind("--", 0) != 0) {
      path = args[i];
    } else {
      return usage("unexpected argument '" + args[i] + "'");
    }
  }
  if (path.empty()) return usage("inspect needs a FILE");
  return inspect(path, forced);
}
