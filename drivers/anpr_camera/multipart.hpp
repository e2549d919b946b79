// SPDX-License-Identifier: Apache-2.0
#pragma once

// Pure multipart body parser (RFC 2046 §5.1, RFC 7578 multipart/form-data), used for the
// Hikvision ISAPI push (device-protocols.md §4.1). No I/O, no exceptions; fuzzable.
//
// Wire format, with B the boundary parameter of the Content-Type header
// ("multipart/form-data; boundary=B" or boundary="B"):
//
//   [preamble CRLF]                          ignored; may be absent
//   --B [LWSP] CRLF                          first delimiter (at the very start, or after CRLF)
//   Header-Name: value CRLF ...              part headers; names case-insensitive
//   CRLF                                     end of part headers
//   <part bytes>                             any bytes, CR and LF included
//   CRLF --B [LWSP] CRLF                     next part...
//   CRLF --B--                               close delimiter
//   [epilogue]                               ignored
//
// Only CRLF line ends are accepted: every camera we know sends them, and guessing at bare LF
// would misplace part boundaries in binary JPEG data. The part's own Content-Length header
// (Hikvision sends one) is ignored; the delimiters are authoritative.
//
// Thread-safety: free functions without state; safe from any thread.

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "edge/base/status.hpp"

namespace kordon::drivers {

struct MultipartPart {
  std::string name;          // Content-Disposition name="...", "" when absent
  std::string filename;      // Content-Disposition filename="...", "" when absent
  std::string content_type;  // Content-Type header as sent, "" when absent
  std::string body;          // raw bytes between the header block and the next delimiter
};

struct MultipartLimits {
  std::size_t max_parts = 16;
  std::size_t max_header_block_bytes = 8 * 1024;  // per part
};

// A header value split into its lower-cased main token and its parameters, e.g.
// `form-data; name="anpr.xml"` -> {"form-data", {{"name", "anpr.xml"}}}. Parameter names are
// lower-cased; quoted values are unquoted (backslash escapes honoured). First occurrence wins.
struct HeaderValue {
  std::string token;
  std::map<std::string, std::string> params;
};
[[nodiscard]] Result<HeaderValue> parseHeaderValue(std::string_view value);

// "Application/XML; charset=UTF-8" -> "application/xml"; "" for an empty header.
std::string mediaTypeOf(std::string_view content_type_header);

[[nodiscard]] Result<std::vector<MultipartPart>> parseMultipart(
    std::string_view content_type_header, std::string_view body,
    const MultipartLimits& limits = {});

}  // namespace kordon::drivers
