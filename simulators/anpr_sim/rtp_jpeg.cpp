// SPDX-License-Identifier: Apache-2.0
#include "simulators/anpr_sim/rtp_jpeg.hpp"

#include <algorithm>
#include <array>
#include <optional>

namespace kordon::sim {
namespace {

// JPEG markers, ITU-T T.81 Table B.1.
constexpr std::uint8_t kSoi = 0xD8;
constexpr std::uint8_t kEoi = 0xD9;
constexpr std::uint8_t kSof0 = 0xC0;  // baseline DCT
constexpr std::uint8_t kSof2 = 0xC2;  // progressive DCT
constexpr std::uint8_t kDht = 0xC4;
constexpr std::uint8_t kJpg = 0xC8;
constexpr std::uint8_t kDac = 0xCC;
constexpr std::uint8_t kSos = 0xDA;
constexpr std::uint8_t kDqt = 0xDB;
constexpr std::uint8_t kDri = 0xDD;
constexpr std::uint8_t kApp0 = 0xE0;
constexpr std::uint8_t kApp15 = 0xEF;
constexpr std::uint8_t kCom = 0xFE;

constexpr std::size_t kQuantTableBytes = 64;  // 8-bit precision, zig-zag order as in DQT
constexpr std::uint8_t kQInBandTables = 255;  // RFC 2435 §4.2: Q 128..255 = tables in-band
constexpr int kMaxDimension = 2040;           // width/8 and height/8 travel in one byte

// The Huffman tables of T.81 Annex K.3, the ones RFC 2435 §3.1.3 makes every receiver assume:
// code counts per length 1..16, then the symbols.
struct HuffmanTable {
  std::array<std::uint8_t, 16> counts;
  std::vector<std::uint8_t> symbols;
};

const HuffmanTable& standardHuffmanTable(bool ac, bool chroma) {
  static const HuffmanTable kDcLuma{{0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0},
                                    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}};
  static const HuffmanTable kDcChroma{{0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0},
                                      {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}};
  static const HuffmanTable kAcLuma{
      {0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d},
      {0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61,
       0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52,
       0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25,
       0x26, 0x27, 0x28, 0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45,
       0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64,
       0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83,
       0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99,
       0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6,
       0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3,
       0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8,
       0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa}};
  static const HuffmanTable kAcChroma{
      {0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77},
      {0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61,
       0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33,
       0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18,
       0x19, 0x1a, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44,
       0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63,
       0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a,
       0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97,
       0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4,
       0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca,
       0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7,
       0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa}};
  if (ac) return chroma ? kAcChroma : kAcLuma;
  return chroma ? kDcChroma : kDcLuma;
}

std::uint8_t byteAt(std::string_view bytes, std::size_t i) {
  return static_cast<std::uint8_t>(bytes[i]);
}

unsigned be16(std::string_view bytes, std::size_t i) {
  return (static_cast<unsigned>(byteAt(bytes, i)) << 8) | byteAt(bytes, i + 1);
}

std::string hexByte(std::uint8_t value) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  return {kDigits[value >> 4], kDigits[value & 15]};
}

struct FrameComponent {
  std::uint8_t id = 0;
  std::uint8_t h = 0;  // horizontal sampling factor
  std::uint8_t v = 0;  // vertical sampling factor
  std::uint8_t quant_table = 0;
};

// What RFC 2435 needs from a JPEG.
struct StreamableJpeg {
  std::uint8_t rtp_type = 0;  // 0 = 4:2:2, 1 = 4:2:0
  int width = 0;
  int height = 0;
  std::array<std::string_view, 2> quant_tables;  // luma, chroma
  std::string_view scan;                         // entropy-coded data, SOS header to EOI
};

// Reads a DQT segment into `tables` (by destination id).
Status readQuantTables(std::string_view segment,
                       std::array<std::optional<std::string_view>, 4>* tables) {
  for (std::size_t i = 0; i < segment.size();) {
    const std::uint8_t precision = byteAt(segment, i) >> 4;
    const std::uint8_t id = byteAt(segment, i) & 15;
    if (precision != 0) return Status::error("16-bit quantization table (RTP/JPEG carries 8-bit)");
    if (id > 3) return Status::error("quantization table id " + std::to_string(id) + " > 3");
    if (segment.size() - i - 1 < kQuantTableBytes) return Status::error("truncated DQT");
    (*tables)[id] = segment.substr(i + 1, kQuantTableBytes);
    i += 1 + kQuantTableBytes;
  }
  return Status::ok();
}

// Checks a DHT segment holds only the Annex K tables (in their usual slots: 0 luma, 1 chroma):
// an RTP/JPEG receiver decodes with those whatever the sender used.
Status checkHuffmanTables(std::string_view segment, std::array<bool, 4>* seen) {
  for (std::size_t i = 0; i < segment.size();) {
    const std::uint8_t table_class = byteAt(segment, i) >> 4;  // 0 = DC, 1 = AC
    const std::uint8_t id = byteAt(segment, i) & 15;
    if (table_class > 1 || id > 1) {
      return Status::error("Huffman table class " + std::to_string(table_class) + " id " +
                           std::to_string(id) + " (RTP/JPEG knows DC/AC tables 0 and 1)");
    }
    if (segment.size() - i < 17) return Status::error("truncated DHT");
    const HuffmanTable& standard = standardHuffmanTable(table_class == 1, id == 1);
    std::size_t symbols = 0;
    for (std::size_t k = 0; k < 16; ++k) symbols += byteAt(segment, i + 1 + k);
    if (segment.size() - i - 17 < symbols) return Status::error("truncated DHT");
    const bool counts_equal =
        std::equal(standard.counts.begin(), standard.counts.end(), segment.begin() + 1 + i,
                   [](std::uint8_t a, char b) { return a == static_cast<std::uint8_t>(b); });
    const std::string_view actual_symbols = segment.substr(i + 17, symbols);
    const bool symbols_equal =
        symbols == standard.symbols.size() &&
        std::equal(standard.symbols.begin(), standard.symbols.end(), actual_symbols.begin(),
                   [](std::uint8_t a, char b) { return a == static_cast<std::uint8_t>(b); });
    if (!counts_equal || !symbols_equal) {
      return Status::error(std::string(table_class == 1 ? "AC" : "DC") + " Huffman table " +
                           std::to_string(id) +
                           " is not the standard one (optimised tables cannot be sent)");
    }
    (*seen)[table_class * 2 + id] = true;
    i += 17 + symbols;
  }
  return Status::ok();
}

Status readFrameHeader(std::string_view segment, StreamableJpeg* out,
                       std::vector<FrameComponent>* components) {
  if (segment.size() < 6) return Status::error("truncated SOF0");
  if (byteAt(segment, 0) != 8) return Status::error("sample precision is not 8 bits");
  out->height = static_cast<int>(be16(segment, 1));
  out->width = static_cast<int>(be16(segment, 3));
  const std::size_t count = byteAt(segment, 5);
  if (count != 3) {
    return Status::error(std::to_string(count) + " components (RTP/JPEG types 0/1 need YCbCr)");
  }
  if (segment.size() < 6 + 3 * count) return Status::error("truncated SOF0");
  for (std::size_t c = 0; c < count; ++c) {
    const std::size_t at = 6 + 3 * c;
    components->push_back(
        {byteAt(segment, at), static_cast<std::uint8_t>(byteAt(segment, at + 1) >> 4),
         static_cast<std::uint8_t>(byteAt(segment, at + 1) & 15), byteAt(segment, at + 2)});
  }
  const FrameComponent& y = (*components)[0];
  for (std::size_t c = 1; c < count; ++c) {
    const FrameComponent& chroma = (*components)[c];
    if (chroma.h != 1 || chroma.v != 1 || chroma.quant_table != 1) {
      return Status::error("chroma component sampled " + std::to_string(chroma.h) + "x" +
                           std::to_string(chroma.v) + " with table " +
                           std::to_string(chroma.quant_table) + " (RTP/JPEG wants 1x1, table 1)");
    }
  }
  if (y.quant_table != 0) return Status::error("luma does not use quantization table 0");
  if (y.h == 2 && y.v == 2) {
    out->rtp_type = 1;
  } else if (y.h == 2 && y.v == 1) {
    out->rtp_type = 0;
  } else {
    return Status::error("luma sampled " + std::to_string(y.h) + "x" + std::to_string(y.v) +
                         " (RTP/JPEG types 0/1 are 4:2:2 and 4:2:0)");
  }
  if (out->width <= 0 || out->height <= 0 || out->width > kMaxDimension ||
      out->height > kMaxDimension || out->width % 8 != 0 || out->height % 8 != 0) {
    return Status::error("size " + std::to_string(out->width) + "x" + std::to_string(out->height) +
                         " (RTP/JPEG: multiples of 8 up to 2040)");
  }
  return Status::ok();
}

// The scan header: the components in frame order, luma with Huffman tables 0, chroma with 1,
// one sequential scan over all coefficients.
Status checkScanHeader(std::string_view segment, const std::vector<FrameComponent>& components) {
  if (segment.empty()) return Status::error("truncated SOS");
  const std::size_t count = byteAt(segment, 0);
  if (count != components.size() || segment.size() != 1 + 2 * count + 3) {
    return Status::error("scan does not cover every component at once");
  }
  for (std::size_t c = 0; c < count; ++c) {
    const std::uint8_t id = byteAt(segment, 1 + 2 * c);
    const std::uint8_t tables = byteAt(segment, 2 + 2 * c);
    const std::uint8_t expected = c == 0 ? 0x00 : 0x11;
    if (id != components[c].id || tables != expected) {
      return Status::error("scan component " + std::to_string(c) + " uses Huffman tables " +
                           hexByte(tables) + " (RTP/JPEG wants 00 for luma, 11 for chroma)");
    }
  }
  const std::size_t at = 1 + 2 * count;
  if (byteAt(segment, at) != 0 || byteAt(segment, at + 1) != 63 || byteAt(segment, at + 2) != 0) {
    return Status::error("not a sequential scan of all 64 coefficients");
  }
  return Status::ok();
}

// The entropy-coded data from `start` to the EOI marker. Inside it, 0xFF is followed by a
// stuffed 0x00; any other marker (RSTn without DRI, a second scan) makes it unstreamable.
Result<std::string_view> scanData(std::string_view jpeg, std::size_t start) {
  for (std::size_t i = start; i + 1 < jpeg.size(); ++i) {
    if (byteAt(jpeg, i) != 0xFF) continue;
    const std::uint8_t next = byteAt(jpeg, i + 1);
    if (next == 0x00) {
      ++i;
    } else if (next == kEoi) {
      if (i == start) return Status::error("empty scan");
      return jpeg.substr(start, i - start);
    } else if (next != 0xFF) {
      return Status::error("marker FF" + hexByte(next) + " inside the scan (only one scan, " +
                           "no restart markers)");
    }
  }
  return Status::error("no EOI after the scan");
}

Result<StreamableJpeg> parseJpeg(std::string_view jpeg) {
  if (jpeg.size() < 4 || byteAt(jpeg, 0) != 0xFF || byteAt(jpeg, 1) != kSoi) {
    return Status::error("not a JPEG (no SOI marker)");
  }
  StreamableJpeg out;
  std::vector<FrameComponent> components;
  std::array<std::optional<std::string_view>, 4> quant_tables;
  std::array<bool, 4> huffman_seen{};  // DC0, DC1, AC0, AC1
  std::size_t pos = 2;
  for (;;) {
    if (pos >= jpeg.size()) return Status::error("ends before the scan");
    if (byteAt(jpeg, pos) != 0xFF) {
      return Status::error("no marker at byte " + std::to_string(pos));
    }
    while (pos < jpeg.size() && byteAt(jpeg, pos) == 0xFF) ++pos;  // fill bytes
    if (pos >= jpeg.size()) return Status::error("ends before the scan");
    const std::uint8_t marker = byteAt(jpeg, pos++);
    if (jpeg.size() - pos < 2) return Status::error("truncated segment FF" + hexByte(marker));
    const std::size_t length = be16(jpeg, pos);
    if (length < 2 || jpeg.size() - pos < length) {
      return Status::error("truncated segment FF" + hexByte(marker));
    }
    const std::string_view segment = jpeg.substr(pos + 2, length - 2);
    pos += length;
    Status status;
    if (marker == kDqt) {
      status = readQuantTables(segment, &quant_tables);
    } else if (marker == kDht) {
      status = checkHuffmanTables(segment, &huffman_seen);
    } else if (marker == kSof0) {
      if (!components.empty()) return Status::error("two frame headers");
      status = readFrameHeader(segment, &out, &components);
    } else if (marker == kSof2) {
      return Status::error("progressive JPEG (RTP/JPEG carries baseline only)");
    } else if (marker > kSof0 && marker <= 0xCF && marker != kDht && marker != kJpg &&
               marker != kDac) {
      return Status::error("SOF marker FF" + hexByte(marker) + " (RTP/JPEG carries baseline only)");
    } else if (marker == kDri) {
      if (segment.size() != 2) return Status::error("bad DRI segment");
      if (be16(segment, 0) != 0) {
        return Status::error("restart interval set (not supported by this sender)");
      }
    } else if (marker == kSos) {
      if (components.empty()) return Status::error("scan before the frame header");
      status = checkScanHeader(segment, components);
      if (!status) return status;
      break;
    } else if (!((marker >= kApp0 && marker <= kApp15) || marker == kCom)) {
      return Status::error("unexpected marker FF" + hexByte(marker));
    }
    if (!status) return status;
  }
  if (!quant_tables[0] || !quant_tables[1]) {
    return Status::error("quantization tables 0 and 1 are not both defined");
  }
  if (!std::all_of(huffman_seen.begin(), huffman_seen.end(), [](bool seen) { return seen; })) {
    return Status::error("not every Huffman table is defined");
  }
  out.quant_tables = {*quant_tables[0], *quant_tables[1]};
  auto scan = scanData(jpeg, pos);
  if (!scan) return scan.status();
  out.scan = *scan;
  return out;
}

void appendBe16(std::string* out, unsigned value) {
  out->push_back(static_cast<char>((value >> 8) & 0xFF));
  out->push_back(static_cast<char>(value & 0xFF));
}

void appendBe24(std::string* out, std::size_t value) {
  out->push_back(static_cast<char>((value >> 16) & 0xFF));
  appendBe16(out, static_cast<unsigned>(value & 0xFFFF));
}

void appendBe32(std::string* out, std::uint32_t value) {
  appendBe16(out, value >> 16);
  appendBe16(out, value & 0xFFFF);
}

}  // namespace

Result<std::vector<std::string>> jpegToRtpPayloads(std::string_view jpeg,
                                                   std::size_t max_payload_bytes) {
  constexpr std::size_t kFirstPacketOverhead =
      kRtpJpegHeaderBytes + kRtpJpegQuantHeaderBytes + 2 * kQuantTableBytes;
  if (max_payload_bytes < 256) return Status::error("max_payload_bytes below 256");
  auto parsed = parseJpeg(jpeg);
  if (!parsed) return parsed.status().withContext("JPEG not streamable as RTP/JPEG");
  const std::string_view scan = parsed->scan;
  if (scan.size() >= (std::size_t{1} << 24)) {
    return Status::error("JPEG not streamable as RTP/JPEG: scan data over 16 MiB");
  }
  std::vector<std::string> payloads;
  for (std::size_t offset = 0; offset < scan.size();) {
    const bool first = offset == 0;
    std::string payload;
    payload.reserve(max_payload_bytes);
    payload.push_back(0);  // type-specific
    appendBe24(&payload, offset);
    payload.push_back(static_cast<char>(parsed->rtp_type));
    payload.push_back(static_cast<char>(kQInBandTables));
    payload.push_back(static_cast<char>(parsed->width / 8));
    payload.push_back(static_cast<char>(parsed->height / 8));
    if (first) {
      payload.push_back(0);  // MBZ
      payload.push_back(0);  // precision: both tables 8-bit
      appendBe16(&payload, 2 * kQuantTableBytes);
      payload.append(parsed->quant_tables[0]);
      payload.append(parsed->quant_tables[1]);
    }
    const std::size_t room =
        max_payload_bytes - (first ? kFirstPacketOverhead : kRtpJpegHeaderBytes);
    const std::size_t piece = std::min(room, scan.size() - offset);
    payload.append(scan.substr(offset, piece));
    offset += piece;
    payloads.push_back(std::move(payload));
  }
  return payloads;
}

std::string rtpPacket(const RtpHeader& header, std::string_view payload) {
  std::string packet;
  packet.reserve(kRtpHeaderBytes + payload.size());
  packet.push_back(static_cast<char>(0x80));  // version 2, no padding, extension or CSRC
  packet.push_back(static_cast<char>((header.marker ? 0x80 : 0) | (header.payload_type & 0x7F)));
  appendBe16(&packet, header.sequence);
  appendBe32(&packet, header.timestamp);
  appendBe32(&packet, header.ssrc);
  packet.append(payload);
  return packet;
}

std::vector<std::string> rtpFramePackets(const std::vector<std::string>& payloads,
                                         std::uint16_t first_sequence, std::uint32_t timestamp,
                                         std::uint32_t ssrc) {
  std::vector<std::string> packets;
  packets.reserve(payloads.size());
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    RtpHeader header;
    header.sequence = static_cast<std::uint16_t>(first_sequence + i);
    header.timestamp = timestamp;
    header.ssrc = ssrc;
    header.marker = i + 1 == payloads.size();
    packets.push_back(rtpPacket(header, payloads[i]));
  }
  return packets;
}

}  // namespace kordon::sim
