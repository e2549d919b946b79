// SPDX-License-Identifier: Apache-2.0
// The simulator's RTSP request head parser and Transport header choice (RFC 2326).

#include <string>

#include <gtest/gtest.h>

#include "simulators/anpr_sim/rtsp_server.hpp"

namespace kordon::sim {
namespace {

using namespace std::string_literals;

TEST(RtspRequest, ParsesAnFfmpegSetup) {
  auto request = parseRtspRequest(
      "SETUP rtsp://127.0.0.1:8554/stream/track1 RTSP/1.0\r\n"
      "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n"
      "CSeq: 3\r\n"
      "User-Agent: Lavf59.27.100\r\n"
      "\r\n");
  ASSERT_TRUE(request) << request.status().message();
  EXPECT_EQ(request->method, "SETUP");
  EXPECT_EQ(request->url, "rtsp://127.0.0.1:8554/stream/track1");
  EXPECT_EQ(request->version, "RTSP/1.0");
  EXPECT_EQ(request->header("cseq"), "3");
  EXPECT_EQ(request->header("transport"), "RTP/AVP/TCP;unicast;interleaved=0-1");
  EXPECT_EQ(request->header("session"), "");
}

TEST(RtspRequest, RefusesMalformedHeads) {
  EXPECT_FALSE(parseRtspRequest("\r\n\r\n"));
  EXPECT_FALSE(parseRtspRequest("OPTIONS\r\n\r\n"));
  EXPECT_FALSE(parseRtspRequest("OPTIONS * \r\n\r\n"));
  EXPECT_FALSE(parseRtspRequest("OPTIONS * RTSP/1.0 extra\r\n\r\n"));
  EXPECT_FALSE(parseRtspRequest("options * RTSP/1.0\r\n\r\n"));
  EXPECT_FALSE(parseRtspRequest("OPTIONS * RTSP/1.0\r\nCSeq 1\r\n\r\n"));
  EXPECT_FALSE(parseRtspRequest("OPTIONS * RTSP/1.0\r\nC Seq: 1\r\n\r\n"));
  EXPECT_FALSE(parseRtspRequest("OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n"));
  EXPECT_FALSE(parseRtspRequest("OPTIONS * RTSP/1.0\r\nCSeq: \0\r\n\r\n"s));
}

TEST(RtspTransport, TakesTheFirstInterleavedTcpAlternative) {
  auto channels = chooseInterleavedTransport("RTP/AVP/TCP;unicast;interleaved=0-1");
  ASSERT_TRUE(channels);
  EXPECT_EQ(channels->rtp, 0);
  EXPECT_EQ(channels->rtcp, 1);

  channels = chooseInterleavedTransport(
      "RTP/AVP;unicast;client_port=5000-5001, rtp/avp/tcp;unicast;interleaved=4-5;mode=\"PLAY\"");
  ASSERT_TRUE(channels);
  EXPECT_EQ(channels->rtp, 4);
  EXPECT_EQ(channels->rtcp, 5);

  channels = chooseInterleavedTransport("RTP/AVP/TCP;interleaved=6");
  ASSERT_TRUE(channels);
  EXPECT_EQ(channels->rtcp, 7);

  channels = chooseInterleavedTransport("RTP/AVP/TCP");
  ASSERT_TRUE(channels);
  EXPECT_EQ(channels->rtp, 0);
}

TEST(RtspTransport, RefusesUdpMulticastRecordAndBadChannels) {
  EXPECT_FALSE(chooseInterleavedTransport(""));
  EXPECT_FALSE(chooseInterleavedTransport("RTP/AVP/UDP;unicast;client_port=5000-5001"));
  EXPECT_FALSE(chooseInterleavedTransport("RTP/AVP;unicast;client_port=5000-5001"));
  EXPECT_FALSE(chooseInterleavedTransport("RTP/AVP/TCP;multicast"));
  EXPECT_FALSE(chooseInterleavedTransport("RTP/AVP/TCP;interleaved=0-1;mode=record"));
  EXPECT_FALSE(chooseInterleavedTransport("RTP/AVP/TCP;interleaved=300-301"));
  EXPECT_FALSE(chooseInterleavedTransport("RTP/AVP/TCP;interleaved=255"));
  EXPECT_FALSE(chooseInterleavedTransport("RTP/AVP/TCP;interleaved=x-y"));
  EXPECT_FALSE(chooseInterleavedTransport(",,,"));
}

}  // namespace
}  // namespace kordon::sim
