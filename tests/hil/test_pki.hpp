// SPDX-License-Identifier: Apache-2.0
#pragma once

// A throw-away PKI for the TLS tests, made with the openssl command: a CA, a server
// certificate for 127.0.0.1 (mosquitto), and one client certificate per name, whose CN the
// broker takes as the user name for its ACLs (use_identity_as_username). Files:
// <dir>/ca.crt, <dir>/server.{crt,key}, <dir>/<name>.{crt,key}. EC P-256 keys, valid 2 days.

#include <string>
#include <vector>

#include "edge/base/status.hpp"

namespace kordon::test {

[[nodiscard]] Status makeTestPki(const std::string& dir, const std::vector<std::string>& clients);

// A second, unrelated CA with one client certificate: <dir>/rogue-ca.crt, <dir>/<name>.{crt,key}.
[[nodiscard]] Status makeRogueClient(const std::string& dir, const std::string& name);

}  // namespace kordon::test
