// SPDX-License-Identifier: Apache-2.0
// The simulator's RTP/JPEG packetiser (RFC 2435) on JPEGs from cv::imencode, checked against
// the JPEG's own segments found here by a separate, minimal marker walk.

#include "simulators/anpr_sim/rtp_jpeg.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace kordon::sim {
namespace {

unsigned byteAt(const std::string& bytes, std::size_t i) {
  return static_cast<unsigned char>(bytes[i]);
}

unsigned be16(const std::string& bytes, std::size_t i) {
  return byteAt(bytes, i) << 8 | byteAt(bytes, i + 1);
}

// A deterministic 1280x720 picture with edges, gradients and colour, like a scene.
cv::Mat knownImage(int width = 1280, int height = 720) {
  cv::Mat image(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      image.at<cv::Vec3b>(y, x) = {static_cast<std::uint8_t>(x * 255 / width),
                                   static_cast<std::uint8_t>(y * 255 / height),
                                   static_cast<std::uint8_t>((x ^ y) & 0xFF)};
    }
  }
  cv::rectangle(image, {400, 300, 480, 120}, {255, 255, 255}, cv::FILLED);
  cv::putText(image, "123 ABC 02", {420, 395}, cv::FONT_HERSHEY_SIMPLEX, 3, {0, 0, 0}, 8);
  return image;
}

std::string encode(const cv::Mat& image, std::vector<int> params = {cv::IMWRITE_JPEG_QUALITY, 90}) {
  std::vector<unsigned char> bytes;
  EXPECT_TRUE(cv::imencode(".jpg", image, bytes, params));
  return std::string(bytes.begin(), bytes.end());
}

// What the test needs to know of a JPEG, found by walking its marker segments.
struct JpegLayout {
  std::vector<std::string> quant_tables = std::vector<std::string>(4);  // by id, 64 bytes
  std::size_t sof_offset = 0;  // of the SOF0 segment's payload
  int width = 0;
  int height = 0;
  std::size_t scan_begin = 0;  // first byte after the SOS header
  std::size_t eoi = 0;         // offset of the FF D9 marker
};

JpegLayout layoutOf(const std::string& jpeg) {
  JpegLayout layout;
  std::size_t pos = 2;
  for (;;) {
    const unsigned marker = byteAt(jpeg, pos + 1);
    const std::size_t length = be16(jpeg, pos + 2);
    const std::size_t payload = pos + 4;
    if (marker == 0xDB) {
      for (std::size_t i = payload; i < pos + 2 + length; i += 65) {
        layout.quant_tables[byteAt(jpeg, i) & 15] = jpeg.substr(i + 1, 64);
      }
    } else if (marker == 0xC0) {
      layout.sof_offset = payload;
      layout.height = static_cast<int>(be16(jpeg, payload + 1));
      layout.width = static_cast<int>(be16(jpeg, payload + 3));
    }
    pos += 2 + length;
    if (marker == 0xDA) break;
  }
  layout.scan_begin = pos;
  layout.eoi = jpeg.rfind("\xFF\xD9");
  return layout;
}

TEST(RtpJpeg, PacketisesA420JpegPerRfc2435) {
  const std::string jpeg = encode(knownImage());
  const JpegLayout layout = layoutOf(jpeg);
  ASSERT_EQ(layout.width, 1280);
  ASSERT_EQ(layout.height, 720);
  ASSERT_NE(layout.eoi, std::string::npos);
  const std::string scan = jpeg.substr(layout.scan_begin, layout.eoi - layout.scan_begin);

  auto payloads = jpegToRtpPayloads(jpeg);
  ASSERT_TRUE(payloads) << payloads.status().message();
  ASSERT_GT(payloads->size(), 10u);

  std::string reassembled;
  for (std::size_t i = 0; i < payloads->size(); ++i) {
    const std::string& payload = (*payloads)[i];
    SCOPED_TRACE("payload " + std::to_string(i));
    ASSERT_LE(payload.size(), kRtpJpegMaxPayloadBytes);
    ASSERT_GT(payload.size(), kRtpJpegHeaderBytes);
    EXPECT_EQ(byteAt(payload, 0), 0u);  // type-specific
    const std::size_t fragment_offset =
        byteAt(payload, 1) << 16 | byteAt(payload, 2) << 8 | byteAt(payload, 3);
    EXPECT_EQ(fragment_offset, reassembled.size());  // no gap, no overlap
    EXPECT_EQ(byteAt(payload, 4), 1u);               // type 1: 4:2:0
    EXPECT_EQ(byteAt(payload, 5), 255u);             // Q: tables in-band
    EXPECT_EQ(byteAt(payload, 6), 1280u / 8);
    EXPECT_EQ(byteAt(payload, 7), 720u / 8);
    std::size_t data_at = kRtpJpegHeaderBytes;
    if (i == 0) {
      // Quantization table header: MBZ, precision (8-bit both), length, luma then chroma.
      EXPECT_EQ(byteAt(payload, 8), 0u);
      EXPECT_EQ(byteAt(payload, 9), 0u);
      ASSERT_EQ(be16(payload, 10), 128u);
      EXPECT_EQ(payload.substr(12, 64), layout.quant_tables[0]);
      EXPECT_EQ(payload.substr(76, 64), layout.quant_tables[1]);
      data_at += kRtpJpegQuantHeaderBytes + 128;
    }
    reassembled += payload.substr(data_at);
  }
  // The fragments cover the scan data exactly: after the SOS header, up to but not the EOI.
  EXPECT_EQ(reassembled.size(), scan.size());
  EXPECT_TRUE(reassembled == scan);
  // Every packet but the last is full.
  for (std::size_t i = 0; i + 1 < payloads->size(); ++i) {
    EXPECT_EQ((*payloads)[i].size(), kRtpJpegMaxPayloadBytes) << i;
  }
}

TEST(RtpJpeg, HonoursASmallerPayloadLimit) {
  const std::string jpeg = encode(knownImage(320, 240));
  auto payloads = jpegToRtpPayloads(jpeg, 300);
  ASSERT_TRUE(payloads) << payloads.status().message();
  for (const std::string& payload : *payloads) EXPECT_LE(payload.size(), 300u);
  EXPECT_EQ(byteAt((*payloads)[0], 6), 320u / 8);
  EXPECT_EQ(byteAt((*payloads)[0], 7), 240u / 8);
  EXPECT_FALSE(jpegToRtpPayloads(jpeg, 100));  // no room for the tables
}

// OpenCV 4.6 has no chroma sampling option, so the sampling factors in SOF0 are patched; the
// packetiser reads the headers only.
std::string withLumaSampling(std::string jpeg, unsigned char factors) {
  const JpegLayout layout = layoutOf(jpeg);
  jpeg[layout.sof_offset + 7] = static_cast<char>(factors);  // component 1: id, HV, table
  return jpeg;
}

TEST(RtpJpeg, A422JpegIsType0) {
  const std::string jpeg = withLumaSampling(encode(knownImage()), 0x21);
  auto payloads = jpegToRtpPayloads(jpeg);
  ASSERT_TRUE(payloads) << payloads.status().message();
  EXPECT_EQ(byteAt((*payloads)[0], 4), 0u);
}

TEST(RtpJpeg, RefusesWhatRtpJpegCannotCarry) {
  const cv::Mat image = knownImage();
  const std::string baseline = encode(image);

  auto full_chroma = jpegToRtpPayloads(withLumaSampling(baseline, 0x11));
  ASSERT_FALSE(full_chroma);
  EXPECT_NE(full_chroma.status().message().find("1x1"), std::string::npos)
      << full_chroma.status().message();

  auto progressive = jpegToRtpPayloads(encode(image, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}));
  ASSERT_FALSE(progressive);
  EXPECT_NE(progressive.status().message().find("progressive"), std::string::npos)
      << progressive.status().message();

  auto optimised = jpegToRtpPayloads(encode(image, {cv::IMWRITE_JPEG_OPTIMIZE, 1}));
  ASSERT_FALSE(optimised);
  EXPECT_NE(optimised.status().message().find("Huffman"), std::string::npos)
      << optimised.status().message();

  auto restarts = jpegToRtpPayloads(encode(image, {cv::IMWRITE_JPEG_RST_INTERVAL, 4}));
  ASSERT_FALSE(restarts);
  EXPECT_NE(restarts.status().message().find("restart"), std::string::npos)
      << restarts.status().message();

  cv::Mat grey;
  cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY);
  EXPECT_FALSE(jpegToRtpPayloads(encode(grey)));
  EXPECT_FALSE(jpegToRtpPayloads(encode(knownImage(1284, 720))));  // not a multiple of 8
  EXPECT_FALSE(jpegToRtpPayloads(encode(knownImage(2048, 64))));   // wider than 2040

  EXPECT_FALSE(jpegToRtpPayloads(""));
  EXPECT_FALSE(jpegToRtpPayloads("GIF89a not a jpeg"));
  EXPECT_FALSE(jpegToRtpPayloads(baseline.substr(0, baseline.size() / 2)));  // no EOI
  EXPECT_FALSE(jpegToRtpPayloads(baseline.substr(0, 300)));  // cut inside the headers
}

TEST(RtpJpeg, SurvivesEveryTruncationAndByteFlipOfTheHeaders) {
  const std::string jpeg = encode(knownImage(64, 48));
  const JpegLayout layout = layoutOf(jpeg);
  for (std::size_t cut = 0; cut < layout.scan_begin + 8; ++cut) {
    (void)jpegToRtpPayloads(jpeg.substr(0, cut));
  }
  for (std::size_t at = 0; at < layout.scan_begin; ++at) {
    std::string mutated = jpeg;
    mutated[at] = static_cast<char>(~mutated[at]);
    (void)jpegToRtpPayloads(mutated);
  }
  SUCCEED();  // no crash; ASan/UBSan builds check for more
}

TEST(RtpJpeg, FramePacketsCarryRtpHeadersAndMarkTheLastPacket) {
  const std::vector<std::string> payloads = {"aaa", "bb", "c"};
  const auto packets = rtpFramePackets(payloads, 65535, 0x01020304, 0xCAFEF00D);
  ASSERT_EQ(packets.size(), 3u);
  const unsigned expected_sequence[] = {65535, 0, 1};  // wraps at 2^16
  for (std::size_t i = 0; i < packets.size(); ++i) {
    const std::string& packet = packets[i];
    SCOPED_TRACE("packet " + std::to_string(i));
    ASSERT_EQ(packet.size(), kRtpHeaderBytes + payloads[i].size());
    EXPECT_EQ(byteAt(packet, 0), 0x80u);  // V=2, P=0, X=0, CC=0
    const bool marker = (byteAt(packet, 1) & 0x80) != 0;
    EXPECT_EQ(marker, i == 2);
    EXPECT_EQ(byteAt(packet, 1) & 0x7F, 26u);
    EXPECT_EQ(be16(packet, 2), expected_sequence[i]);
    EXPECT_EQ(packet.substr(4, 4), std::string("\x01\x02\x03\x04"));
    EXPECT_EQ(packet.substr(8, 4), std::string("\xCA\xFE\xF0\x0D"));
    EXPECT_EQ(packet.substr(12), payloads[i]);
  }
}

}  // namespace
}  // namespace kordon::sim
