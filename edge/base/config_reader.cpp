// SPDX-License-Identifier: Apache-2.0
#include "edge/base/config_reader.hpp"

#include <cmath>
#include <fstream>
#include <sstream>

#include <toml++/toml.h>

namespace kordon {

struct ConfigReader::Impl {
  std::string source;
  toml::table root;
  std::set<std::string> visited;  // every path asked for, including its parents
  std::string first_error;

  void visit(const std::string& path) {
    std::string prefix;
    for (std::size_t i = 0; i <= path.size(); ++i) {
      if (i == path.size() || path[i] == '.' || path[i] == '[') {
        if (i > 0) visited.insert(path.substr(0, i));
      }
    }
  }

  void error(const std::string& path, const std::string& message) {
    if (first_error.empty()) first_error = source + ": " + path + ": " + message;
  }

  toml::node_view<toml::node> at(const std::string& path) {
    visit(path);
    return root.at_path(path);
  }

  void collectUnknown(const toml::node& node, const std::string& path, std::string* unknown) const {
    if (!unknown->empty()) return;
    if (!path.empty() && !visited.count(path)) {
      *unknown = path;
      return;
    }
    if (const auto* table = node.as_table()) {
      for (const auto& [key, child] : *table) {
        collectUnknown(child,
                       path.empty() ? std::string(key.str()) : path + "." + std::string(key.str()),
                       unknown);
      }
    } else if (const auto* array = node.as_array()) {
      for (std::size_t i = 0; i < array->size(); ++i) {
        if (array->get(i)->is_table()) {
          collectUnknown(*array->get(i), path + "[" + std::to_string(i) + "]", unknown);
        }
      }
    }
  }
};

ConfigReader::ConfigReader() : impl_(std::make_unique<Impl>()) {}
ConfigReader::ConfigReader(ConfigReader&&) noexcept = default;
ConfigReader& ConfigReader::operator=(ConfigReader&&) noexcept = default;
ConfigReader::~ConfigReader() = default;

Result<ConfigReader> ConfigReader::fromFile(const std::string& path) {
  if (path.empty()) return fromString("", "(defaults)");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::error(path + ": cannot open config file");
  std::ostringstream text;
  text << in.rdbuf();
  return fromString(text.str(), path);
}

Result<ConfigReader> ConfigReader::fromString(const std::string& text, const std::string& source) {
  ConfigReader reader;
  reader.impl_->source = source;
  try {
    reader.impl_->root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return Status::error(source + ":" + std::to_string(where.line) + ":" +
                         std::to_string(where.column) + ": " + std::string(e.description()));
  }
  return reader;
}

std::string ConfigReader::getString(const std::string& path, const std::string& fallback) {
  auto node = impl_->at(path);
  if (!node) return fallback;
  if (auto v = node.value<std::string>(); v && node.is_string()) return *v;
  impl_->error(path, "expected a string");
  return fallback;
}

std::int64_t ConfigReader::getInt(const std::string& path, std::int64_t fallback, std::int64_t min,
                                  std::int64_t max) {
  auto node = impl_->at(path);
  if (!node) return fallback;
  if (!node.is_integer()) {
    impl_->error(path,
                 "expected an integer in " + std::to_string(min) + ".." + std::to_string(max));
    return fallback;
  }
  const std::int64_t v = *node.value<std::int64_t>();
  if (v < min || v > max) {
    impl_->error(path, "value " + std::to_string(v) + " is out of range " + std::to_string(min) +
                           ".." + std::to_string(max));
    return fallback;
  }
  return v;
}

double ConfigReader::getDouble(const std::string& path, double fallback, double min, double max) {
  auto node = impl_->at(path);
  if (!node) return fallback;
  if (!node.is_number()) {
    impl_->error(path, "expected a number");
    return fallback;
  }
  const double v = *node.value<double>();
  if (!std::isfinite(v) || v < min || v > max) {
    std::ostringstream msg;
    msg << "value " << v << " is out of range " << min << ".." << max;
    impl_->error(path, msg.str());
    return fallback;
  }
  return v;
}

bool ConfigReader::getBool(const std::string& path, bool fallback) {
  auto node = impl_->at(path);
  if (!node) return fallback;
  if (!node.is_boolean()) {
    impl_->error(path, "expected true or false");
    return fallback;
  }
  return *node.value<bool>();
}

std::vector<std::string> ConfigReader::getStringArray(const std::string& path,
                                                      const std::vector<std::string>& fallback) {
  auto node = impl_->at(path);
  if (!node) return fallback;
  const auto* array = node.as_array();
  std::vector<std::string> out;
  if (array != nullptr) {
    for (const auto& item : *array) {
      if (!item.is_string()) {
        array = nullptr;
        break;
      }
      out.push_back(*item.value<std::string>());
    }
  }
  if (array == nullptr) {
    impl_->error(path, "expected an array of strings");
    return fallback;
  }
  return out;
}

std::string ConfigReader::getEnum(const std::string& path, const std::string& fallback,
                                  const std::set<std::string>& allowed) {
  const std::string v = getString(path, fallback);
  if (allowed.count(v)) return v;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  impl_->error(path, "\"" + v + "\" is not one of: " + list);
  return fallback;
}

bool ConfigReader::has(const std::string& path) const {
  return static_cast<bool>(impl_->root.at_path(path));
}

std::size_t ConfigReader::arraySize(const std::string& path) {
  auto node = impl_->at(path);
  if (!node) return 0;
  const auto* array = node.as_array();
  if (!array || !array->is_array_of_tables()) {
    impl_->error(path, "expected an array of tables ([[" + path + "]])");
    return 0;
  }
  return array->size();
}

void ConfigReader::fail(const std::string& path, const std::string& message) {
  impl_->error(path, message);
}

Status ConfigReader::finish() const {
  if (!impl_->first_error.empty()) return Status::error(impl_->first_error);
  std::string unknown;
  impl_->collectUnknown(impl_->root, "", &unknown);
  if (!unknown.empty()) return Status::error(impl_->source + ": " + unknown + ": unknown key");
  return Status::ok();
}

TlsClientFiles ConfigReader::getTlsClientFiles(const std::string& table, const std::string& uri) {
  TlsClientFiles f;
  f.ca_file = getString(table + ".ca_file", "");
  f.cert_file = getString(table + ".cert_file", "");
  f.key_file = getString(table + ".key_file", "");
  if (f.cert_file.empty() != f.key_file.empty()) {
    fail(table + (f.cert_file.empty() ? ".cert_file" : ".key_file"),
         "a client certificate needs both cert_file and key_file");
  }
  const bool tls = uri.rfind("ssl://", 0) == 0;
  if (tls && f.ca_file.empty()) fail(table + ".ca_file", "required with an ssl:// uri");
  if (!tls && !(f.ca_file.empty() && f.cert_file.empty())) {
    fail(table + ".uri", "TLS files are given, so expected ssl://host:port");
  }
  return f;
}

}  // namespace kordon
