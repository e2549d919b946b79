// SPDX-License-Identifier: Apache-2.0
#include "edge/msg/declaration.hpp"

#include <gtest/gtest.h>

#include "edge/msg/event.hpp"

namespace kordon::msg {
namespace {

nlohmann::json wire() {
  return nlohmann::json::parse(R"({
    "schema":"kordon.declaration/1","action":"upsert","id":"KZ-TD-1","version":2,
    "procedure":"TIR","tractor_plate":"123 ABC 02","trailer_plates":["45 AB 02"],
    "gross_mass_kg":38420,"risk":{"corridor":"green","controls":[]},
    "arrival":{"from":"2026-11-21T00:00:00Z","to":"2026-11-22T00:00:00Z"},
    "expires_at":"2026-12-01T00:00:00Z"})");
}

TEST(Declaration, ParsesWireForm) {
  auto d = parseDeclaration(wire());
  ASSERT_TRUE(d.isOk()) << d.status().message();
  EXPECT_EQ(d->id, "KZ-TD-1");
  EXPECT_EQ(d->version, 2);
  EXPECT_EQ(d->gross_mass_kg, 38420);
  EXPECT_EQ(d->trailer_plates.size(), 1u);
  ASSERT_TRUE(d->expires_at.has_value());
  auto again = parseDeclaration(toWire(*d));
  ASSERT_TRUE(again.isOk()) << again.status().message();
  EXPECT_EQ(again->expires_at, d->expires_at);
}

TEST(Declaration, PartiesAndOriginAreOptionalAndRoundTrip) {
  auto plain = parseDeclaration(wire());  // a declaration/1 from before these fields
  ASSERT_TRUE(plain.isOk());
  EXPECT_EQ(plain->consignor, "");
  EXPECT_FALSE(toWire(*plain).contains("consignor"));
  auto w = wire();
  w["consignor"] = "CN 9133";
  w["consignee"] = "123456789012";
  w["origin_country"] = "CN";
  auto d = parseDeclaration(w);
  ASSERT_TRUE(d.isOk()) << d.status().message();
  EXPECT_EQ(d->consignor, "CN 9133");
  auto again = parseDeclaration(toWire(*d));
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ(again->consignee, "123456789012");
  EXPECT_EQ(again->origin_country, "CN");
  w["origin_country"] = 7;
  EXPECT_EQ(parseDeclaration(w).status().message(), "origin_country: expected a string");
}

TEST(Declaration, ErrorsNameTheField) {
  auto w = wire();
  w["version"] = 0;
  EXPECT_EQ(parseDeclaration(w).status().message(), "version: required integer in 1..2000000000");
  w = wire();
  w["risk"]["corridor"] = "purple";
  EXPECT_EQ(parseDeclaration(w).status().message(), "risk.corridor: expected green, yellow or red");
  w = wire();
  w["expires_at"] = "tomorrow";
  EXPECT_EQ(parseDeclaration(w).status().message(), "expires_at: expected an RFC 3339 UTC time");
  w = wire();
  w.erase("tractor_plate");
  EXPECT_EQ(parseDeclaration(w).status().message(), "tractor_plate: required non-empty string");
}

TEST(Declaration, CancelNeedsOnlyIdAndVersion) {
  auto d = parseDeclaration(nlohmann::json::parse(
      R"({"schema":"kordon.declaration/1","action":"cancel","id":"KZ-TD-1","version":3})"));
  ASSERT_TRUE(d.isOk());
  EXPECT_TRUE(d->cancelled);
}

}  // namespace
}  // namespace kordon::msg

namespace kordon::msg {
namespace {

TEST(WireInput, WrongTypesAreErrorsNotExceptions) {
  for (
      const char* text :
      {R"({"schema":5,"id":"x","version":1,"tractor_plate":"A"})",
       R"({"schema":"kordon.declaration/1","id":"x","version":1,"action":[],"tractor_plate":"A"})",
       R"({"schema":"kordon.declaration/1","id":"x","version":1,"tractor_plate":"A","risk":{"corridor":1}})",
       R"({"schema":"kordon.declaration/1","id":"x","version":1,"tractor_plate":"A","goods":{}})"}) {
    EXPECT_FALSE(parseDeclaration(nlohmann::json::parse(text)).isOk()) << text;
  }
  EXPECT_FALSE(parseEvent(nlohmann::json::parse(R"({"schema":{}})")).isOk());
}

}  // namespace
}  // namespace kordon::msg
