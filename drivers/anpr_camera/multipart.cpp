// SPDX-License-Identifier: Apache-2.0
#include "drivers/anpr_camera/multipart.hpp"

#include <cctype>

namespace kordon::drivers {

namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::size_t kMaxBoundaryChars = 200;  // RFC 2046 says 70; be lenient, stay bounded

bool isLinearWhitespace(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && isLinearWhitespace(text.front())) text.remove_prefix(1);
  while (!text.empty() && isLinearWhitespace(text.back())) text.remove_suffix(1);
  return text;
}

std::string toLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Part headers the parser cares about, after unfolding.
struct PartHeaders {
  std::string content_disposition;
  std::string content_type;
};

Result<PartHeaders> parsePartHeaders(std::string_view block, std::size_t part_index) {
  const std::string where = "multipart: part " + std::to_string(part_index + 1);
  // Unfold obsolete continuation lines (RFC 5322 §2.2.3) into logical lines first.
  std::vector<std::string> lines;
  while (!block.empty()) {
    const std::size_t end = block.find(kCrlf);
    const std::string_view line = block.substr(0, end);
    block = end == std::string_view::npos ? std::string_view() : block.substr(end + kCrlf.size());
    if (!line.empty() && isLinearWhitespace(line.front())) {
      if (lines.empty()) return Status::error(where + ": header block starts with whitespace");
      lines.back().append(" ").append(trim(line));
    } else {
      lines.emplace_back(line);
    }
  }
  PartHeaders headers;
  for (const std::string& line : lines) {
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0) {
      return Status::error(where + ": malformed header line '" + line.substr(0, 80) + "'");
    }
    const std::string name = toLower(trim(std::string_view(line).substr(0, colon)));
    const std::string_view value = trim(std::string_view(line).substr(colon + 1));
    if (name == "content-disposition") {
      headers.content_disposition = std::string(value);
    } else if (name == "content-type") {
      headers.content_type = std::string(value);
    }
  }
  return headers;
}

}  // namespace

Result<HeaderValue> parseHeaderValue(std::string_view value) {
  HeaderValue out;
  std::size_t pos = value.find(';');
  out.token = toLower(trim(value.substr(0, pos)));
  while (pos != std::string_view::npos && pos < value.size()) {
    ++pos;  // past ';'
    while (pos < value.size() && isLinearWhitespace(value[pos])) ++pos;
    const std::size_t name_end = value.find_first_of("=;", pos);
    const std::string name = toLower(trim(value.substr(pos, name_end - pos)));
    if (name_end == std::string_view::npos || value[name_end] == ';') {
      // A bare token without '=' carries no value we use; skip it.
      if (!name.empty()) out.params.emplace(name, "");
      pos = name_end;
      continue;
    }
    pos = name_end + 1;
    while (pos < value.size() && isLinearWhitespace(value[pos])) ++pos;
    std::string param_value;
    if (pos < value.size() && value[pos] == '"') {
      ++pos;
      bool closed = false;
      while (pos < value.size()) {
        const char c = value[pos++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && pos < value.size()) {
          param_value.push_back(value[pos++]);
        } else {
          param_value.push_back(c);
        }
      }
      if (!closed) return Status::error("unterminated quoted value for parameter '" + name + "'");
      pos = value.find(';', pos);
    } else {
      const std::size_t end = value.find(';', pos);
      param_value = std::string(trim(value.substr(pos, end - pos)));
      pos = end;
    }
    if (!name.empty()) out.params.emplace(name, std::move(param_value));
  }
  return out;
}

std::string mediaTypeOf(std::string_view content_type_header) {
  return toLower(trim(content_type_header.substr(0, content_type_header.find(';'))));
}

Result<std::vector<MultipartPart>> parseMultipart(std::string_view content_type_header,
                                                  std::string_view body,
                                                  const MultipartLimits& limits) {
  auto header = parseHeaderValue(content_type_header);
  if (!header) return header.status().withContext("multipart: Content-Type");
  if (header->token.rfind("multipart/", 0) != 0) {
    return Status::error("multipart: Content-Type is '" + header->token + "', not multipart/*");
  }
  const auto boundary_it = header->params.find("boundary");
  if (boundary_it == header->params.end() || boundary_it->second.empty()) {
    return Status::error("multipart: Content-Type has no boundary parameter");
  }
  if (boundary_it->second.size() > kMaxBoundaryChars) {
    return Status::error("multipart: boundary longer than " + std::to_string(kMaxBoundaryChars) +
                         " characters");
  }
  const std::string dash_boundary = "--" + boundary_it->second;
  const std::string close_delimiter = dash_boundary + "--";
  const std::string delimiter = std::string(kCrlf) + dash_boundary;  // between parts

  // Opening delimiter: at the very start, or after a preamble that ends in CRLF.
  std::size_t pos = 0;
  if (body.substr(0, dash_boundary.size()) != dash_boundary) {
    const std::size_t found = body.find(delimiter);
    if (found == std::string_view::npos) {
      return Status::error("multipart: opening boundary '" + dash_boundary + "' not found");
    }
    pos = found + kCrlf.size();
  }
  pos += dash_boundary.size();

  std::vector<MultipartPart> parts;
  for (;;) {
    // `pos` is just past a "--boundary"; what follows decides: "--" closes, LWSP* CRLF opens.
    if (body.substr(pos, 2) == "--") break;
    while (pos < body.size() && isLinearWhitespace(body[pos])) ++pos;
    if (pos >= body.size()) {
      return Status::error("multipart: body ends without closing delimiter '" + close_delimiter +
                           "'");
    }
    if (body.substr(pos, kCrlf.size()) != kCrlf) {
      return Status::error("multipart: boundary line not followed by CRLF");
    }
    pos += kCrlf.size();
    if (parts.size() >= limits.max_parts) {
      return Status::error("multipart: more than " + std::to_string(limits.max_parts) + " parts");
    }

    // Header block: empty (the part starts with CRLF) or terminated by CRLF CRLF.
    std::string_view header_block;
    if (body.substr(pos, kCrlf.size()) == kCrlf) {
      pos += kCrlf.size();
    } else {
      const std::size_t search_end = std::min(body.size(), pos + limits.max_header_block_bytes + 4);
      const std::size_t block_end = body.substr(0, search_end).find("\r\n\r\n", pos);
      if (block_end == std::string_view::npos) {
        if (search_end < body.size()) {
          return Status::error("multipart: part " + std::to_string(parts.size() + 1) +
                               ": header block larger than " +
                               std::to_string(limits.max_header_block_bytes) + " bytes");
        }
        return Status::error("multipart: part " + std::to_string(parts.size() + 1) +
                             ": headers not terminated (missing closing delimiter '" +
                             close_delimiter + "'?)");
      }
      header_block = body.substr(pos, block_end - pos);
      pos = block_end + 4;
    }
    auto headers = parsePartHeaders(header_block, parts.size());
    if (!headers) return headers.status();

    // Part content runs to the next CRLF--boundary; the CRLF belongs to the delimiter.
    const std::size_t content_end = body.find(delimiter, pos);
    if (content_end == std::string_view::npos) {
      return Status::error("multipart: part " + std::to_string(parts.size() + 1) +
                           ": missing closing delimiter '" + close_delimiter + "'");
    }
    MultipartPart part;
    part.content_type = std::move(headers->content_type);
    if (!headers->content_disposition.empty()) {
      auto disposition = parseHeaderValue(headers->content_disposition);
      if (!disposition) {
        return disposition.status().withContext(
            "multipart: part " + std::to_string(parts.size() + 1) + ": Content-Disposition");
      }
      if (auto it = disposition->params.find("name"); it != disposition->params.end()) {
        part.name = it->second;
      }
      if (auto it = disposition->params.find("filename"); it != disposition->params.end()) {
        part.filename = it->second;
      }
    }
    part.body = std::string(body.substr(pos, content_end - pos));
    parts.push_back(std::move(part));
    pos = content_end + delimiter.size();
  }
  if (parts.empty()) return Status::error("multipart: no parts before the closing delimiter");
  return parts;
}

}  // namespace kordon::drivers
