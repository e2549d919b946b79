// SPDX-License-Identifier: Apache-2.0
#include "edge/base/log.hpp"

#include <atomic>
#include <cstdio>

#include "edge/base/clock.hpp"
#include "edge/base/thread_annotations.hpp"

namespace kordon::log {
namespace {

struct LoggerState {
  Mutex mutex;
  std::atomic<int> level{static_cast<int>(Level::kInfo)};
  Format format GUARDED_BY(mutex) = Format::kJson;
  std::string component GUARDED_BY(mutex);
};

LoggerState& state() {
  static LoggerState s;
  return s;
}

const char* levelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "?";
}

}  // namespace

void configure(Level level, Format format, std::string component) {
  LoggerState& s = state();
  MutexLock lock(s.mutex);
  s.level = static_cast<int>(level);
  s.format = format;
  s.component = std::move(component);
}

bool parseLevel(std::string_view text, Level* out) {
  for (Level l : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (text == levelName(l)) {
      *out = l;
      return true;
    }
  }
  return false;
}

bool parseFormat(std::string_view text, Format* out) {
  if (text == "json") {
    *out = Format::kJson;
  } else if (text == "text") {
    *out = Format::kText;
  } else {
    return false;
  }
  return true;
}

void write(Level level, std::string_view msg, Fields fields) {
  LoggerState& s = state();
  if (static_cast<int>(level) < s.level.load()) return;
  const std::string ts = formatUtcMs(SystemClock().nowWallMs());
  std::string line;
  MutexLock lock(s.mutex);
  if (s.format == Format::kJson) {
    nlohmann::ordered_json record;
    record["ts"] = ts;
    record["level"] = levelName(level);
    if (!s.component.empty()) record["component"] = s.component;
    record["msg"] = msg;
    for (const auto& [key, value] : fields) record[key] = value;
    line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = ts + " " + levelName(level) + " " + std::string(msg);
    for (const auto& [key, value] : fields) {
      line += " ";
      line += key;
      line += "=";
      line += value.is_string()
                  ? value.get<std::string>()
                  : value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  line += '\n';
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace kordon::log
