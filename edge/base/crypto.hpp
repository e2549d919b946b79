// SPDX-License-Identifier: Apache-2.0
#pragma once

// Hashing and identifiers through OpenSSL's libcrypto: SHA-256 for the event hash chain and for
// content-addressed evidence, random UUIDv4 for event and passage ids.

#include <string>
#include <string_view>

namespace kordon {

std::string sha256Hex(std::string_view data);  // 64 lower-case hex digits
std::string newUuid();                         // RFC 4122 version 4, lower-case

}  // namespace kordon
