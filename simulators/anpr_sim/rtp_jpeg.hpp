// SPDX-License-Identifier: Apache-2.0
#pragma once

// RTP packets of a Motion-JPEG stream as an IP camera sends them: the RTP/JPEG payload format
// of RFC 2435 in RTP (RFC 3550) packets, for the simulator's RTSP server (rtsp_server.hpp).
// Written for the simulator only, independently of any driver code (STYLE.md §C.3).
//
// What is streamed is a JPEG from cv::imencode: baseline, 8-bit, Huffman tables of JPEG Annex K
// (the only ones an RTP/JPEG receiver knows), no restart markers, three components with
// 4:2:0 (RTP/JPEG type 1) or 4:2:2 (type 0) sampling. Anything else is refused with an error
// value. The quantisation tables travel in-band (Q = 255) in the first packet of every frame,
// so the receiver rebuilds the very JPEG headers it needs.
//
// Pure functions, no state: safe from any thread.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "edge/base/status.hpp"

namespace kordon::sim {

inline constexpr std::uint8_t kRtpPayloadTypeJpeg = 26;  // static payload type, RFC 3551
inline constexpr std::uint32_t kRtpJpegClockHz = 90'000;
// Payload bytes per packet: fits a 1500-byte Ethernet MTU with IP, UDP or TCP and RTP headers.
inline constexpr std::size_t kRtpJpegMaxPayloadBytes = 1400;
inline constexpr std::size_t kRtpJpegHeaderBytes = 8;       // RFC 2435 §3.1
inline constexpr std::size_t kRtpJpegQuantHeaderBytes = 4;  // RFC 2435 §3.1.8
inline constexpr std::size_t kRtpHeaderBytes = 12;          // RFC 3550 §5.1, no CSRC

// The RTP payloads of one frame, in order: each starts with the 8-byte RTP/JPEG header
// (fragment offset = where its piece of the scan data starts); the first also carries the
// quantization table header and both tables; the rest is the entropy-coded scan data, from
// after the SOS header up to, not including, the EOI marker. At most `max_payload_bytes`
// each (at least 256). An error names what makes the JPEG unstreamable.
[[nodiscard]] Result<std::vector<std::string>> jpegToRtpPayloads(
    std::string_view jpeg, std::size_t max_payload_bytes = kRtpJpegMaxPayloadBytes);

struct RtpHeader {
  std::uint16_t sequence = 0;
  std::uint32_t timestamp = 0;  // kRtpJpegClockHz units; the same for every packet of a frame
  std::uint32_t ssrc = 0;
  bool marker = false;  // RTP/JPEG: set on the last packet of a frame
  std::uint8_t payload_type = kRtpPayloadTypeJpeg;
};

// One RTP packet: the 12-byte header (version 2, no padding, extension or CSRC) + payload.
std::string rtpPacket(const RtpHeader& header, std::string_view payload);

// The RTP packets of one frame: sequence numbers from `first_sequence` (wrapping at 2^16),
// one timestamp, the marker bit on the last packet only.
std::vector<std::string> rtpFramePackets(const std::vector<std::string>& payloads,
                                         std::uint16_t first_sequence, std::uint32_t timestamp,
                                         std::uint32_t ssrc);

}  // namespace kordon::sim
