// SPDX-License-Identifier: Apache-2.0
#include "edge/msg/event.hpp"

#include <gtest/gtest.h>

namespace kordon::msg {
namespace {

Event sample() {
  Event e;
  e.post = "KZ-TEST";
  e.seq = 1;
  e.id = "6f1c2e7a-0000-4000-8000-000000000001";
  e.type = "passage.decided";
  e.time_ms = 1795602300123;
  e.lane = "L1";
  e.passage = "p1";
  e.prev_hash = kGenesisHash;
  e.payload = {{"corridor", "green"}, {"reasons", nlohmann::json::array()}};
  e.hash = computeEventHash(e);
  return e;
}

TEST(Event, RoundTripsThroughWireForm) {
  const Event e = sample();
  auto parsed = parseEvent(nlohmann::json::parse(toWireString(e)));
  ASSERT_TRUE(parsed.isOk()) << parsed.status().message();
  EXPECT_EQ(parsed->seq, 1);
  EXPECT_EQ(parsed->hash, e.hash);
  EXPECT_EQ(computeEventHash(*parsed), e.hash);
}

TEST(Event, HashCoversPayloadAndChain) {
  Event e = sample();
  const std::string original = e.hash;
  e.payload["corridor"] = "yellow";
  EXPECT_NE(computeEventHash(e), original);
  e = sample();
  e.prev_hash = std::string(64, '1');
  EXPECT_NE(computeEventHash(e), original);
}

TEST(Event, RejectsMalformedEnvelopes) {
  auto good = toJson(sample());
  for (const char* key :
       {"schema", "post", "seq", "id", "type", "time", "prev_hash", "hash", "payload"}) {
    auto bad = good;
    bad.erase(key);
    EXPECT_FALSE(parseEvent(bad).isOk()) << key;
  }
  auto bad = good;
  bad["seq"] = 0;
  EXPECT_FALSE(parseEvent(bad).isOk());
  bad = good;
  bad["hash"] = "zz";
  EXPECT_FALSE(parseEvent(bad).isOk());
  EXPECT_FALSE(parseEvent(nlohmann::json::array()).isOk());
}

}  // namespace
}  // namespace kordon::msg
