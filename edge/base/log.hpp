// SPDX-License-Identifier: Apache-2.0
#pragma once

// Structured logs: one record per line on stderr (journald picks it up under systemd).
// Format "json" prints {"ts":..,"level":..,"msg":..,<fields>}; "text" prints
// "ts LEVEL msg key=value ...". Thread-safe: records from several threads never interleave.
//
//   log::info("passage decided", {{"lane", "L1"}, {"corridor", "green"}});

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

namespace kordon::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class Format { kJson, kText };

using Fields = std::initializer_list<std::pair<const char*, nlohmann::json>>;

void configure(Level level, Format format, std::string component);
bool parseLevel(std::string_view text, Level* out);
bool parseFormat(std::string_view text, Format* out);

void write(Level level, std::string_view msg, Fields fields);
inline void debug(std::string_view msg, Fields fields = {}) { write(Level::kDebug, msg, fields); }
inline void info(std::string_view msg, Fields fields = {}) { write(Level::kInfo, msg, fields); }
inline void warn(std::string_view msg, Fields fields = {}) { write(Level::kWarn, msg, fields); }
inline void error(std::string_view msg, Fields fields = {}) { write(Level::kError, msg, fields); }

}  // namespace kordon::log
