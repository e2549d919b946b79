// SPDX-License-Identifier: Apache-2.0
#include "drivers/anpr_camera/isapi_event.hpp"

#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace kordon::drivers {
namespace {

std::string readFixture(const std::string& relative_path) {
  std::ifstream in(std::string(KORDON_SOURCE_DIR) + "/tests/fixtures/" + relative_path,
                   std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

TEST(IsapiEvent, ParsesGoldenAnprFixture) {
  const std::string xml = readFixture("isapi/anpr_event.xml");
  ASSERT_FALSE(xml.empty()) << "fixture missing";
  auto alert = parseIsapiAlert(xml);
  ASSERT_TRUE(alert) << alert.status().message();

  EXPECT_EQ(alert->event_type, "ANPR");
  EXPECT_EQ(alert->event_state, "active");
  EXPECT_EQ(alert->date_time_text, "2026-11-25T15:25:00.123+05:00");
  ASSERT_TRUE(alert->date_time_ms.has_value());
  EXPECT_EQ(*alert->date_time_ms, 1795602300123);  // 10:25:00.123Z
  EXPECT_EQ(alert->channel_id, 1);
  EXPECT_EQ(alert->ip_address, "10.20.1.41");
  EXPECT_EQ(alert->mac_address, "44:a6:42:10:20:41");
  EXPECT_EQ(alert->uuid, "6f1c2b8e-3d4a-4e5f-9a7b-0c1d2e3f4a5b");

  ASSERT_TRUE(alert->isAnpr());
  const IsapiAnpr& anpr = *alert->anpr;
  EXPECT_EQ(anpr.license_plate, "123ABC02");
  EXPECT_EQ(anpr.original_license_plate, "123ABC02");
  EXPECT_EQ(anpr.confidence_pct, 97);
  EXPECT_EQ(anpr.direction, "reverse");
  EXPECT_EQ(anpr.line, 2);
  EXPECT_EQ(anpr.country, "64");
  EXPECT_EQ(anpr.plate_char_confidence_pct, (std::vector<int>{99, 98, 97, 96, 95, 94, 93, 92}));
  ASSERT_EQ(anpr.pictures.size(), 2u);
  EXPECT_EQ(anpr.pictures[0].file_name, "detectionPicture.jpg");
  EXPECT_EQ(anpr.pictures[0].type, "detectionPicture");
  EXPECT_EQ(anpr.pictures[1].file_name, "licensePlatePicture.jpg");
  EXPECT_EQ(anpr.pictures[1].type, "licensePlatePicture");
}

TEST(IsapiEvent, AcceptsOlderHikvisionNamespace) {
  const std::string xml =
      replaced(readFixture("isapi/anpr_event.xml"), "http://www.isapi.org/ver20/XMLSchema",
               "http://www.hikvision.com/ver20/XMLSchema");
  auto alert = parseIsapiAlert(xml);
  ASSERT_TRUE(alert) << alert.status().message();
  ASSERT_TRUE(alert->isAnpr());
  EXPECT_EQ(alert->anpr->license_plate, "123ABC02");
}

TEST(IsapiEvent, MatchesPrefixedElementsOnLocalName) {
  const std::string xml =
      "<hik:EventNotificationAlert xmlns:hik=\"http://www.hikvision.com/ver20/XMLSchema\">"
      "<hik:eventType>ANPR</hik:eventType><hik:ANPR><hik:licensePlate> 389BK01 </hik:licensePlate>"
      "<hik:confidenceLevel>88</hik:confidenceLevel></hik:ANPR>"
      "</hik:EventNotificationAlert>";
  auto alert = parseIsapiAlert(xml);
  ASSERT_TRUE(alert) << alert.status().message();
  ASSERT_TRUE(alert->isAnpr());
  EXPECT_EQ(alert->anpr->license_plate, "389BK01");
  EXPECT_EQ(alert->anpr->confidence_pct, 88);
  EXPECT_EQ(alert->anpr->direction, "unknown");
  EXPECT_FALSE(alert->date_time_ms.has_value());
}

TEST(IsapiEvent, MissingLicensePlateIsAnErrorNamingTheElement) {
  const std::string xml =
      replaced(readFixture("isapi/anpr_event.xml"), "<licensePlate>123ABC02</licensePlate>", "");
  auto alert = parseIsapiAlert(xml);
  ASSERT_FALSE(alert);
  EXPECT_NE(alert.status().message().find("ANPR/licensePlate"), std::string::npos)
      << alert.status().message();
}

TEST(IsapiEvent, AnprEventWithoutAnprElementIsAnError) {
  auto alert = parseIsapiAlert(
      "<EventNotificationAlert><eventType>ANPR</eventType></EventNotificationAlert>");
  ASSERT_FALSE(alert);
  EXPECT_NE(alert.status().message().find("missing element EventNotificationAlert/ANPR"),
            std::string::npos);
}

TEST(IsapiEvent, MissingEventTypeIsAnError) {
  auto alert = parseIsapiAlert("<EventNotificationAlert><ANPR/></EventNotificationAlert>");
  ASSERT_FALSE(alert);
  EXPECT_NE(alert.status().message().find("eventType"), std::string::npos);
}

TEST(IsapiEvent, GarbageIsAnError) {
  for (const char* garbage :
       {"", "not xml at all", "<EventNotificationAlert><eventType>", "\xFF\xD8\xFF\xE0 binary",
        "<other><eventType>ANPR</eventType></other>"}) {
    auto alert = parseIsapiAlert(garbage);
    EXPECT_FALSE(alert) << garbage;
  }
}

TEST(IsapiEvent, MalformedNumbersAreErrorsNamingTheElement) {
  const std::string fixture = readFixture("isapi/anpr_event.xml");
  const struct {
    std::string from, to, element;
  } cases[] = {
      {"<confidenceLevel>97<", "<confidenceLevel>high<", "confidenceLevel"},
      {"<confidenceLevel>97<", "<confidenceLevel>101<", "confidenceLevel"},
      {"<line>2<", "<line>two<", "line"},
      {"<channelID>1<", "<channelID>1x<", "channelID"},
      {"99,98,97", "99,,97", "plateCharBelieve"},
  };
  for (const auto& c : cases) {
    auto alert = parseIsapiAlert(replaced(fixture, c.from, c.to));
    ASSERT_FALSE(alert) << c.to;
    EXPECT_NE(alert.status().message().find(c.element), std::string::npos)
        << alert.status().message();
  }
}

TEST(IsapiEvent, MalformedDateTimeKeepsTheReadWithoutCameraTime) {
  // Some firmware sends local time without an offset; the read must not be lost over it.
  const std::string xml = replaced(readFixture("isapi/anpr_event.xml"),
                                   "2026-11-25T15:25:00.123+05:00", "2026-11-25T15:25:00");
  auto alert = parseIsapiAlert(xml);
  ASSERT_TRUE(alert) << alert.status().message();
  EXPECT_FALSE(alert->date_time_ms.has_value());
  EXPECT_EQ(alert->date_time_text, "2026-11-25T15:25:00");
}

TEST(IsapiEvent, UnknownDirectionValueBecomesUnknown) {
  const std::string xml =
      replaced(readFixture("isapi/anpr_event.xml"), "<direction>reverse<", "<direction>sideways<");
  auto alert = parseIsapiAlert(xml);
  ASSERT_TRUE(alert) << alert.status().message();
  EXPECT_EQ(alert->anpr->direction, "unknown");
}

// Deterministic mutations of the fixture: errors are fine, crashes and hangs are not.
TEST(IsapiEvent, SurvivesRandomMutations) {
  const std::string fixture = readFixture("isapi/anpr_event.xml");
  std::mt19937 rng(7);
  constexpr char kInteresting[] = {'<', '>', '/', '&', ';', '"', ':', ',', '-', '9', '\0'};
  std::size_t parsed = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string xml = fixture;
    for (int e = 0; e < 3; ++e) {
      const std::size_t at = rng() % xml.size();
      if (rng() % 2) {
        xml[at] = kInteresting[rng() % sizeof kInteresting];
      } else {
        xml.erase(at, 1 + rng() % 16);
      }
    }
    if (parseIsapiAlert(xml)) ++parsed;
  }
  EXPECT_GT(parsed, 0u);
}

TEST(IsapiEvent, NonAnprEventIsParsedAndFlagged) {
  const std::string heartbeat =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<EventNotificationAlert version=\"2.0\" xmlns=\"http://www.isapi.org/ver20/XMLSchema\">\n"
      "<ipAddress>10.20.1.41</ipAddress><channelID>1</channelID>\n"
      "<dateTime>2026-11-25T15:25:00+05:00</dateTime><activePostCount>0</activePostCount>\n"
      "<eventType>videoloss</eventType><eventState>inactive</eventState>\n"
      "<eventDescription>videoloss alarm</eventDescription>\n"
      "</EventNotificationAlert>\n";
  auto alert = parseIsapiAlert(heartbeat);
  ASSERT_TRUE(alert) << alert.status().message();
  EXPECT_FALSE(alert->isAnpr());
  EXPECT_EQ(alert->event_type, "videoloss");
  EXPECT_EQ(alert->event_state, "inactive");
  EXPECT_EQ(alert->date_time_ms, 1795602300000);
}

}  // namespace
}  // namespace kordon::drivers
