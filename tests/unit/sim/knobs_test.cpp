// SPDX-License-Identifier: Apache-2.0
#include "simulators/common/knobs.hpp"

#include <gtest/gtest.h>

namespace kordon::sim {
namespace {

http::Request withQuery(std::map<std::string, std::string> query) {
  http::Request r;
  r.method = "POST";
  r.path = "/fault";
  r.query = std::move(query);
  return r;
}

TEST(Knobs, SetsTheNamedKnobsAllOrNone) {
  bool loop_fault = false;
  int delay_ms = 750;
  std::string kind = "none";
  Knobs knobs;
  knobs.flag("loop_fault", &loop_fault);
  knobs.number("delay_ms", 0, 60000, &delay_ms);
  knobs.choice("kind", {"none", "silence", "garbage"}, &kind);

  EXPECT_FALSE(knobs.apply(withQuery({{"loop_fault", "1"}, {"kind", "silence"}})));
  EXPECT_TRUE(loop_fault);
  EXPECT_EQ(kind, "silence");
  EXPECT_EQ(delay_ms, 750);  // not named: unchanged

  // One bad value: nothing is set, and the error names it.
  auto error = knobs.apply(withQuery({{"loop_fault", "0"}, {"delay_ms", "99999"}}));
  ASSERT_TRUE(error);
  EXPECT_EQ(*error, "delay_ms=99999: expected 0..60000");
  EXPECT_TRUE(loop_fault);
  EXPECT_EQ(*knobs.apply(withQuery({{"kind", "fire"}})),
            "kind=fire: expected one of none, silence, garbage");
  EXPECT_EQ(*knobs.apply(withQuery({{"stuck", "1"}})), "unknown parameter stuck");
  EXPECT_EQ(*knobs.apply(withQuery({{"loop_fault", "maybe"}})),
            "loop_fault=maybe: expected 0 or 1");
  EXPECT_EQ(knobs.json(),
            (nlohmann::json{{"loop_fault", true}, {"delay_ms", 750}, {"kind", "silence"}}));
}

}  // namespace
}  // namespace kordon::sim
