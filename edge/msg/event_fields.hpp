// SPDX-License-Identifier: Apache-2.0
#pragma once

// The machinery behind the typed event payloads (event_types.hpp): each payload type lists its
// fields once, in a static fields(v, self) function, and the same list writes it to JSON, reads
// it back with a clear error, and names its keys for the contract test:
//
//   struct WeightMeasured {
//     static constexpr std::string_view kType = "weight.measured";
//     std::int64_t gross_kg = 0;
//     std::string device;
//     template <class V, class S> static void fields(V& v, S& s) {
//       v.req("gross_kg", s.gross_kg);
//       v.req("device", s.device);
//     }
//   };
//
// req: always present. opt: omitted when nullopt. nullable: always present, null when nullopt.
// A field may be a string, bool, integer, double, raw JSON, another type with fields(), an enum
// with toString/parse functions found through EnumText, or a vector of any of these.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "edge/base/status.hpp"

namespace kordon::msg {

// An enum carried as text: specialise with `static const char* text(E)` and
// `static std::optional<E> parse(std::string_view)`.
template <class E>
struct EnumText;

namespace fields_detail {

template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};

struct KeyLister;
template <class T>
concept HasFields = requires(KeyLister& v, T& t) {
  T::fields(v, t);
};
template <class T>
concept IsTextEnum = std::is_enum_v<T> && requires(T e) {
  EnumText<T>::text(e);
};

struct KeyLister {
  std::vector<std::string> keys;
  template <class T>
  void req(const char* name, const T&) {
    keys.emplace_back(name);
  }
  template <class T>
  void opt(const char* name, const T&) {
    keys.emplace_back(std::string(name) + "?");
  }
  template <class T>
  void nullable(const char* name, const T&) {
    keys.emplace_back(name);
  }
};

class Writer {
 public:
  template <class T>
  void req(const char* name, const T& value) {
    out[name] = write(value);
  }
  template <class T>
  void opt(const char* name, const std::optional<T>& value) {
    if (value) out[name] = write(*value);
  }
  template <class T>
  void nullable(const char* name, const std::optional<T>& value) {
    out[name] = value ? write(*value) : nlohmann::json();
  }

  template <class T>
  static nlohmann::json write(const T& value) {
    if constexpr (IsVector<T>::value) {
      nlohmann::json array = nlohmann::json::array();
      for (const auto& item : value) array.push_back(write(item));
      return array;
    } else if constexpr (HasFields<T>) {
      Writer w;
      T::fields(w, value);
      return std::move(w.out);
    } else if constexpr (IsTextEnum<T>) {
      return EnumText<T>::text(value);
    } else {
      return nlohmann::json(value);
    }
  }

  nlohmann::json out = nlohmann::json::object();
};

class Reader {
 public:
  Reader(const nlohmann::json& in, std::string where) : in_(in), where_(std::move(where)) {}

  template <class T>
  void req(const char* name, T& value) {
    if (!error.empty()) return;
    const auto it = in_.find(name);
    if (it == in_.end()) {
      fail(name, "missing");
      return;
    }
    read(*it, value, where_ + "." + name);
  }
  template <class T>
  void opt(const char* name, std::optional<T>& value) {
    if (!error.empty()) return;
    const auto it = in_.find(name);
    if (it == in_.end() || it->is_null()) {
      value.reset();
      return;
    }
    T item{};
    read(*it, item, where_ + "." + name);
    value = std::move(item);
  }
  template <class T>
  void nullable(const char* name, std::optional<T>& value) {
    if (!error.empty()) return;
    if (in_.find(name) == in_.end()) {
      fail(name, "missing (null when there is none)");
      return;
    }
    opt(name, value);
  }

  template <class T>
  void read(const nlohmann::json& j, T& value, const std::string& where) {
    if (!error.empty()) return;
    if constexpr (IsVector<T>::value) {
      if (!j.is_array()) return failAt(where, "expected an array");
      value.clear();
      for (std::size_t i = 0; i < j.size(); ++i) {
        typename T::value_type item{};
        read(j[i], item, where + "[" + std::to_string(i) + "]");
        value.push_back(std::move(item));
      }
    } else if constexpr (HasFields<T>) {
      if (!j.is_object()) return failAt(where, "expected an object");
      Reader nested(j, where);
      T::fields(nested, value);
      if (!nested.error.empty()) error = nested.error;
    } else if constexpr (IsTextEnum<T>) {
      if (!j.is_string()) return failAt(where, "expected a string");
      const auto parsed = EnumText<T>::parse(j.get<std::string>());
      if (!parsed) return failAt(where, "unknown value \"" + j.get<std::string>() + "\"");
      value = *parsed;
    } else if constexpr (std::is_same_v<T, nlohmann::json>) {
      value = j;
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!j.is_string()) return failAt(where, "expected a string");
      value = j.get<std::string>();
    } else if constexpr (std::is_same_v<T, bool>) {
      if (!j.is_boolean()) return failAt(where, "expected true or false");
      value = j.get<bool>();
    } else if constexpr (std::is_integral_v<T>) {
      if (!j.is_number_integer()) return failAt(where, "expected an integer");
      value = j.get<T>();
    } else if constexpr (std::is_floating_point_v<T>) {
      if (!j.is_number()) return failAt(where, "expected a number");
      value = j.get<T>();
    } else {
      static_assert(sizeof(T) == 0, "a field type event_fields.hpp cannot read");
    }
  }

  std::string error;

 private:
  void fail(const char* name, const std::string& what) { failAt(where_ + "." + name, what); }
  void failAt(const std::string& where, const std::string& what) {
    if (error.empty()) error = where + ": " + what;
  }

  const nlohmann::json& in_;
  std::string where_;
};

}  // namespace fields_detail

template <class T>
requires fields_detail::HasFields<T> nlohmann::json toJson(const T& value) {
  return fields_detail::Writer::write(value);
}

// Reads a payload of type T; an error names the first bad field ("passage.decided.gross_kg:
// expected an integer").
template <class T>
requires fields_detail::HasFields<T> Result<T> parsePayload(const nlohmann::json& payload,
                                                            std::string where) {
  if (!payload.is_object()) return Status::error(where + ": expected an object");
  T value{};
  fields_detail::Reader reader(payload, std::move(where));
  T::fields(reader, value);
  if (!reader.error.empty()) return Status::error(reader.error);
  return value;
}

// The keys of T's payload, in order; optional ones end in '?'.
template <class T>
requires fields_detail::HasFields<T> std::vector<std::string> payloadKeys() {
  fields_detail::KeyLister lister;
  T value{};
  T::fields(lister, value);
  return lister.keys;
}

}  // namespace kordon::msg
