// SPDX-License-Identifier: Apache-2.0
#pragma once

// Load for HIL tests that need many events: pushes Hikvision ISAPI ANPR alerts (plain XML, no
// pictures) to kordond's HTTP server the way a camera in "HTTP listening" mode does. Every
// accepted alert is one durable plate.read event (plus passage events). The XML is written
// here, independently of the driver's parser.

#include <cstdint>
#include <string>

#include "edge/base/http.hpp"
#include "edge/base/status.hpp"

namespace kordon::test {

inline std::string isapiAnprAlert(const std::string& plate, int sequence) {
  return R"(<?xml version="1.0" encoding="UTF-8"?>
<EventNotificationAlert version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
<ipAddress>127.0.0.1</ipAddress><channelID>1</channelID>
<dateTime>2026-11-21T10:00:00.000+05:00</dateTime>
<activePostCount>)" +
         std::to_string(sequence) + R"(</activePostCount>
<eventType>ANPR</eventType><eventState>active</eventState>
<ANPR><licensePlate>)" +
         plate + R"(</licensePlate><direction>forward</direction>
<confidenceLevel>90</confidenceLevel></ANPR>
</EventNotificationAlert>
)";
}

// One alert to http://127.0.0.1:<port><path>; ok only on a 2xx answer, as a camera would count
// it delivered.
inline Status pushAnprAlert(std::uint16_t port, const std::string& path, const std::string& plate,
                            int sequence) {
  auto response =
      http::request("POST", "http://127.0.0.1:" + std::to_string(port) + path,
                    isapiAnprAlert(plate, sequence), "application/xml", std::chrono::seconds(5));
  if (!response) return response.status();
  if (response->status / 100 != 2) {
    return Status::error("HTTP " + std::to_string(response->status) + ": " + response->body);
  }
  return Status::ok();
}

}  // namespace kordon::test
