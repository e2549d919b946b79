// SPDX-License-Identifier: Apache-2.0
#pragma once

// A live MJPEG stream over RTSP 1.0 (RFC 2326), as a frame-only IP camera serves it, for
// kordon-sim-anpr --rtsp. Every client gets the picture the FrameSource returns, --rtsp-fps
// times a second, as RTP/JPEG (RFC 2435, rtp_jpeg.hpp) interleaved in its RTSP TCP
// connection ("RTP/AVP/TCP;unicast;interleaved=0-1": '$', channel, 16-bit length, packet).
//
// Methods: OPTIONS, DESCRIBE (SDP: one video medium, static payload type 26), SETUP, PLAY,
// TEARDOWN, GET_PARAMETER (keep-alive). Any URL is accepted. One session per connection;
// connections are independent, so several clients may watch at once.
// A SETUP offering only UDP is answered 461 Unsupported Transport, upon which clients retry
// with TCP (FFmpeg does). DESCRIBE answers 503 while the source has no picture (no scene yet,
// camera offline), and a playing session then receives nothing.
// Bad input never ends the process: a malformed request gets 400 (and the connection is closed
// when its framing is lost: garbage, a head over 8 KiB, a bad Content-Length), an unsupported
// method 405 or 501, a wrong session 454; all are counted in RtspStats::bad_requests.
// A client that does not keep up misses frames (frames_skipped) rather than queueing them; one
// silent for 60 s (the session timeout announced) is disconnected.
//
// Threads: everything runs on the io_context's thread; the FrameSource is called there.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>

#include "edge/base/status.hpp"

namespace kordon::sim {

// One request's line and header fields, as received (RFC 2326 §6).
struct RtspRequest {
  std::string method;
  std::string url;
  std::string version;
  std::map<std::string, std::string> headers;  // names lower-cased, values trimmed

  // The value of header `lower_case_name`, or "" when absent.
  std::string header(const std::string& lower_case_name) const;
};

// Parses a request head: the request line and header lines, each ending in CRLF, up to and
// including the empty line. An error for anything that is not "METHOD URL VERSION" followed by
// "Name: value" lines.
[[nodiscard]] Result<RtspRequest> parseRtspRequest(std::string_view head);

struct InterleavedChannels {
  int rtp = 0;
  int rtcp = 1;
};

// The first unicast RTP/AVP/TCP alternative of a Transport header (RFC 2326 §12.39), with the
// channels the client asked for (0-1 when it named none); nullopt when it offers no such
// transport (UDP only, multicast, mode=RECORD, bad channels).
std::optional<InterleavedChannels> chooseInterleavedTransport(std::string_view transport);

struct RtspStats {
  std::uint64_t sessions = 0;        // set up and not yet torn down or disconnected
  std::uint64_t sessions_total = 0;  // ever set up
  std::uint64_t bad_requests = 0;
  std::uint64_t udp_refused = 0;     // SETUPs answered 461
  std::uint64_t frames_sent = 0;     // frames queued to a playing session
  std::uint64_t frames_skipped = 0;  // frames a playing session missed while still sending
};

class RtspServer {
 public:
  // The JPEG to stream now; empty when there is nothing to show. Must stay valid until the
  // next call.
  using FrameSource = std::function<const std::string&()>;

  RtspServer(boost::asio::io_context& io, FrameSource source, int frames_per_second);
  ~RtspServer();
  RtspServer(const RtspServer&) = delete;
  RtspServer& operator=(const RtspServer&) = delete;

  // Binds host:port (0 = any free port) and starts accepting and streaming; the bound port.
  [[nodiscard]] Result<std::uint16_t> listen(const std::string& host, std::uint16_t port);
  // Stops accepting and streaming and closes every connection.
  void stop();
  RtspStats stats() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace kordon::sim
