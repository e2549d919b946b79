// SPDX-License-Identifier: Apache-2.0
#include "edge/base/options.hpp"

#include <charconv>
#include <sstream>

namespace kordon {
Result<std::int64_t> parseInteger(std::string_view text, std::int64_t min, std::int64_t max) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Status::error("expected an integer");
  }
  if (v < min || v > max) {
    return Status::error("expected " + std::to_string(min) + ".." + std::to_string(max));
  }
  return v;
}

OptionParser::OptionParser(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

void OptionParser::flag(std::string name, std::string help, bool* out) {
  options_.push_back({std::move(name), "", std::move(help), [out](std::string_view) {
                        *out = true;
                        return std::string();
                      }});
}

void OptionParser::value(std::string name, std::string metavar, std::string help,
                         std::string* out) {
  custom(std::move(name), std::move(metavar), std::move(help), [out](std::string_view v) {
    *out = std::string(v);
    return std::string();
  });
}

void OptionParser::choice(std::string name, std::string help, std::vector<std::string> choices,
                          std::string* out) {
  std::string metavar;
  for (const std::string& c : choices) metavar += (metavar.empty() ? "" : "|") + c;
  custom(std::move(name), metavar, std::move(help),
         [choices = std::move(choices), metavar, out](std::string_view v) {
           for (const std::string& c : choices) {
             if (v == c) {
               *out = c;
               return std::string();
             }
           }
           return "expected " + metavar;
         });
}

void OptionParser::custom(std::string name, std::string metavar, std::string help,
                          std::function<std::string(std::string_view)> apply) {
  options_.push_back({std::move(name), std::move(metavar), std::move(help), std::move(apply)});
}

void OptionParser::positional(std::string metavar, std::string help,
                              std::vector<std::string>* out) {
  positional_metavar_ = std::move(metavar);
  positional_help_ = std::move(help);
  positional_ = out;
}

const OptionParser::Option* OptionParser::find(std::string_view name) const {
  for (const Option& option : options_) {
    if (option.name == name) return &option;
  }
  return nullptr;
}

Status OptionParser::parse(int argc, const char* const* argv) {
  if (positional_) positional_->clear();
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") return Status::error(std::string(kHelp));
    if (arg.size() < 2 || arg.substr(0, 2) != "--") {
      if (!positional_)
        return Status::error(program_ + ": unexpected argument " + std::string(arg));
      positional_->emplace_back(arg);
      continue;
    }
    std::string_view name = arg;
    std::string_view inline_value;
    bool has_inline = false;
    if (const auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
      has_inline = true;
    }
    const Option* option = find(name);
    if (!option) return Status::error(program_ + ": unknown option " + std::string(name));
    std::string_view value;
    if (option->metavar.empty()) {
      if (has_inline) {
        return Status::error(program_ + ": " + std::string(name) + " takes no value");
      }
    } else if (has_inline) {
      value = inline_value;
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return Status::error(program_ + ": " + std::string(name) + " needs " + option->metavar);
    }
    if (std::string error = option->apply(value); !error.empty()) {
      return Status::error(program_ + ": " + std::string(name) + " " + std::string(value) + ": " +
                           error);
    }
  }
  return Status::ok();
}

std::string OptionParser::usage() const {
  std::ostringstream out;
  out << "usage: " << program_ << " [options]";
  if (positional_) out << " " << positional_metavar_ << "...";
  out << "\n" << summary_ << "\n";
  std::size_t width = 0;
  auto left = [](const Option& o) { return o.name + (o.metavar.empty() ? "" : " " + o.metavar); };
  for (const Option& o : options_) width = std::max(width, left(o).size());
  for (const Option& o : options_) {
    const std::string l = left(o);
    out << "  " << l << std::string(width - l.size() + 2, ' ') << o.help << "\n";
  }
  if (positional_) out << "  " << positional_metavar_ << ": " << positional_help_ << "\n";
  return out.str();
}

}  // namespace kordon
