// SPDX-License-Identifier: Apache-2.0
#pragma once

// Reads a TOML configuration (toml++) where every setting has a default. Getters record the
// first error with the key's full path, and finish() also rejects keys nobody asked for, so a
// typo is an error instead of a silently ignored setting:
//
//   ConfigReader r = ...;
//   cfg.port = r.getInt("mqtt.port", 1883, 1, 65535);
//   if (Status s = r.finish(); !s) { /* "config.toml: mqtt.port: expected an integer ..." */ }

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "edge/base/status.hpp"

namespace kordon {

// Client-side TLS files of a connection (MQTT to the broker): the CA that signed the server's
// certificate, and this client's own certificate and key (PEM).
struct TlsClientFiles {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

class ConfigReader {
 public:
  // An empty path means "no file": every key takes its default.
  static Result<ConfigReader> fromFile(const std::string& path);
  static Result<ConfigReader> fromString(const std::string& text, const std::string& source);
  ConfigReader(ConfigReader&&) noexcept;
  ConfigReader& operator=(ConfigReader&&) noexcept;
  ~ConfigReader();

  std::string getString(const std::string& path, const std::string& fallback);
  std::int64_t getInt(const std::string& path, std::int64_t fallback, std::int64_t min,
                      std::int64_t max);
  double getDouble(const std::string& path, double fallback, double min, double max);
  bool getBool(const std::string& path, bool fallback);
  // An array of strings, e.g. allow_from = ["10.10.1.40", "10.10.2.0/24"].
  std::vector<std::string> getStringArray(const std::string& path,
                                          const std::vector<std::string>& fallback);
  // One of `allowed`; the error lists them.
  std::string getEnum(const std::string& path, const std::string& fallback,
                      const std::set<std::string>& allowed);
  bool has(const std::string& path) const;
  // Size of an array of tables such as [[lanes]]; 0 when absent.
  std::size_t arraySize(const std::string& path);

  // Records a semantic error found by the caller (e.g. duplicate lane ids).
  // Reads <table>.ca_file, cert_file and key_file for a connection to `uri`: an ssl:// uri needs
  // ca_file; a certificate needs its key; TLS files with a tcp:// uri are an error.
  TlsClientFiles getTlsClientFiles(const std::string& table, const std::string& uri);
  void fail(const std::string& path, const std::string& message);
  // The first error, or an unknown key; ok otherwise. Messages start with the source name.
  Status finish() const;

 private:
  ConfigReader();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kordon
