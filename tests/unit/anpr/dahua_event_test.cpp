// SPDX-License-Identifier: Apache-2.0
#include "drivers/anpr_camera/dahua_event.hpp"

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "drivers/anpr_camera/isapi_event.hpp"

namespace kordon::drivers {
namespace {

using namespace std::string_literals;

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(KORDON_SOURCE_DIR) + "/tests/fixtures/dahua/" + name,
                   std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string minimal(const std::string& plate_members, const std::string& picture_members = "") {
  return R"({"Picture":{"Plate":{"PlateNumber":"123ABC02")" +
         (plate_members.empty() ? "" : "," + plate_members) + "}" +
         (picture_members.empty() ? "" : "," + picture_members) + "}}";
}

TEST(DahuaTollgate, GoldenFixtureParsesEveryMember) {
  auto event = parseDahuaTollgate(fixture("tollgate_event.json"));
  ASSERT_TRUE(event) << event.status().message();
  EXPECT_EQ(event->plate_number, "123ABC02");
  EXPECT_EQ(event->confidence_pct, 97);
  EXPECT_EQ(event->plate_color, "White");
  EXPECT_EQ(event->plate_type, "Normal");
  ASSERT_TRUE(event->plate_box);
  EXPECT_EQ(*event->plate_box, (DahuaBox{412, 580, 932, 692}));
  EXPECT_EQ(event->channel, 0);
  EXPECT_EQ(event->plate_exists, true);
  EXPECT_EQ(event->region, "KAZ");
  EXPECT_EQ(event->upload_num, 4711);
  EXPECT_EQ(*event->vehicle_box, (DahuaBox{340, 140, 940, 720}));
  EXPECT_EQ(event->vehicle_type, "LargeTruck");
  EXPECT_EQ(event->vehicle_sign, "Volvo");
  EXPECT_EQ(event->accurate_time_text, "2026-11-25 15:25:00.123");
  EXPECT_EQ(event->time_zone_text, "+05:00");
  EXPECT_EQ(event->accurate_time_ms, 1795602300123);  // 10:25:00.123 UTC
  EXPECT_EQ(event->direction_text, "Reverse");
  EXPECT_EQ(event->direction, "reverse");
  EXPECT_EQ(event->allow_user, false);
  ASSERT_EQ(event->pictures.size(), 2u);
  EXPECT_EQ(event->pictures[0].member, "NormalPic");
  EXPECT_EQ(event->pictures[0].bytes, "\xFF\xD8\xFF\xE0scene picture\r\n\xFF\xD9"s);
  EXPECT_EQ(event->pictures[0].pic_name, "20261125152500123_scene.jpg");
  EXPECT_EQ(event->pictures[1].member, "CutoutPic");
  EXPECT_EQ(event->pictures[1].bytes, "\xFF\xD8\xFF\xE0plate crop\r\n\x00\x01\xFF\xD9"s);
  EXPECT_TRUE(event->pictures[1].decode_error.empty());
}

TEST(DahuaTollgate, MinimalEventNeedsOnlyThePlateNumber) {
  auto event = parseDahuaTollgate(R"({"Picture":{"Plate":{"PlateNumber":""}}})");
  ASSERT_TRUE(event) << event.status().message();
  EXPECT_EQ(event->plate_number, "");
  EXPECT_FALSE(event->confidence_pct);
  EXPECT_EQ(event->direction, "unknown");
  EXPECT_FALSE(event->accurate_time_ms);
  EXPECT_TRUE(event->pictures.empty());
}

TEST(DahuaTollgate, NumbersMayBeQuotedAndNullIsAbsent) {
  auto event = parseDahuaTollgate(minimal(R"("Confidence":"88","Channel":null,"UploadNum":"7")"));
  ASSERT_TRUE(event) << event.status().message();
  EXPECT_EQ(event->confidence_pct, 88);
  EXPECT_FALSE(event->channel);
  EXPECT_EQ(event->upload_num, 7);
}

TEST(DahuaTollgate, TimeZoneForms) {
  const struct {
    const char* zone_json;
    std::optional<WallMs> expected;
  } cases[] = {
      {R"("+05:00")", 1795602300123},
      {R"("UTC+05:00")", 1795602300123},
      {R"("GMT+5")", 1795602300123},
      {"5", 1795602300123},
      {R"("-03:30")", 1795602300123 + (8 * 60 + 30) * 60'000LL},
      {R"("Asia/Almaty")", std::nullopt},  // unreadable zone: caller uses receive time
      {R"("+5:7")", std::nullopt},
  };
  for (const auto& c : cases) {
    auto event = parseDahuaTollgate(
        minimal("", R"("SnapInfo":{"AccurateTime":"2026-11-25 15:25:00.123","TimeZone":)" +
                        std::string(c.zone_json) + "}"));
    ASSERT_TRUE(event) << c.zone_json << ": " << event.status().message();
    EXPECT_EQ(event->accurate_time_ms, c.expected) << c.zone_json;
  }
}

TEST(DahuaTollgate, MalformedTimeIsNotAnError) {
  auto event = parseDahuaTollgate(minimal(
      "", R"("SnapInfo":{"AccurateTime":"25/11/2026 15:25","TimeZone":"+05:00","Direction":1})"));
  ASSERT_TRUE(event) << event.status().message();
  EXPECT_FALSE(event->accurate_time_ms);
  EXPECT_EQ(event->accurate_time_text, "25/11/2026 15:25");
  EXPECT_EQ(event->direction_text, "1");
  EXPECT_EQ(event->direction, "unknown");
}

TEST(DahuaTollgate, DirectionsMapToForwardReverseUnknown) {
  for (const auto& [wire, expected] : {std::pair{"Obverse", "forward"},
                                       {"forward", "forward"},
                                       {"Approach", "forward"},
                                       {"Reverse", "reverse"},
                                       {"LEAVE", "reverse"},
                                       {"Sideways", "unknown"}}) {
    auto event =
        parseDahuaTollgate(minimal("", R"("SnapInfo":{"Direction":")" + std::string(wire) + "\"}"));
    ASSERT_TRUE(event);
    EXPECT_EQ(event->direction, expected) << wire;
  }
}

TEST(DahuaTollgate, WrongTypesNameTheMember) {
  const struct {
    std::string json;
    const char* member;
  } cases[] = {
      {R"({"Picture":{"Plate":{"PlateNumber":123}}})", "Picture.Plate.PlateNumber"},
      {R"({"Picture":{"Plate":{}}})", "Picture.Plate.PlateNumber"},
      {R"({"Picture":{}})", "Picture.Plate"},
      {R"({"Picture":[]})", "Picture"},
      {R"({"Foo":{}})", "Picture"},
      {R"({"Picture":{"Plate":"123ABC02"}})", "Picture.Plate"},
      {minimal(R"("Confidence":"high")"), "Picture.Plate.Confidence"},
      {minimal(R"("Confidence":101)"), "Picture.Plate.Confidence"},
      {minimal(R"("Confidence":97.5)"), "Picture.Plate.Confidence"},
      {minimal(R"("Confidence":18446744073709551615)"), "Picture.Plate.Confidence"},
      {minimal(R"("BoundingBox":[1,2,3])"), "Picture.Plate.BoundingBox"},
      {minimal(R"("BoundingBox":[1,2,3,"4"])"), "Picture.Plate.BoundingBox"},
      {minimal(R"("IsExist":"yes")"), "Picture.Plate.IsExist"},
      {minimal(R"("Region":5)"), "Picture.Plate.Region"},
      {minimal("", R"("SnapInfo":{"AccurateTime":20261125})"), "Picture.SnapInfo.AccurateTime"},
      {minimal("", R"("SnapInfo":{"TimeZone":5.5})"), "Picture.SnapInfo.TimeZone"},
      {minimal("", R"("SnapInfo":"now")"), "Picture.SnapInfo"},
      {minimal("", R"("NormalPic":{"Content":42})"), "Picture.NormalPic.Content"},
      {minimal("", R"("Vehicle":{"VehicleType":[]})"), "Picture.Vehicle.VehicleType"},
  };
  for (const auto& c : cases) {
    auto event = parseDahuaTollgate(c.json);
    ASSERT_FALSE(event) << c.json;
    EXPECT_NE(event.status().message().find(c.member), std::string::npos)
        << c.json << " -> " << event.status().message();
  }
}

TEST(DahuaTollgate, NotJsonOrTruncatedIsAnError) {
  const std::string golden = fixture("tollgate_event.json");
  for (const std::string& body :
       {golden.substr(0, golden.size() / 2), golden.substr(0, golden.size() - 3), ""s, "[]"s,
        "null"s, "\"Picture\""s, "\x01\x02\x03garbage"s, "{\"Picture\":{\"Plate\":{\"Plate"s}) {
    auto event = parseDahuaTollgate(body);
    EXPECT_FALSE(event) << body;
    EXPECT_EQ(event.status().message().rfind("dahua: ", 0), 0u) << event.status().message();
  }
}

TEST(DahuaTollgate, InvalidBase64KeepsTheEventAndMarksThePicture) {
  auto event = parseDahuaTollgate(minimal(
      "", R"("NormalPic":{"Content":"not*base64","PicName":"a.jpg"},"CutoutPic":{"PicName":"b"})"));
  ASSERT_TRUE(event) << event.status().message();
  ASSERT_EQ(event->pictures.size(), 1u);  // CutoutPic without Content: nothing to keep
  EXPECT_TRUE(event->pictures[0].bytes.empty());
  EXPECT_NE(event->pictures[0].decode_error.find("offset 3"), std::string::npos)
      << event->pictures[0].decode_error;
}

TEST(Base64, DecodesAllPaddingForms) {
  EXPECT_EQ(*decodeBase64(""), "");
  EXPECT_EQ(*decodeBase64("QQ=="), "A");
  EXPECT_EQ(*decodeBase64("QUI="), "AB");
  EXPECT_EQ(*decodeBase64("QUJD"), "ABC");
  EXPECT_EQ(*decodeBase64("/9j/4A=="), "\xFF\xD8\xFF\xE0"s);
  EXPECT_EQ(*decodeBase64("+/+/"), "\xFB\xFF\xBF"s);
  EXPECT_EQ(*decodeBase64("QUJD\r\nREVG"), "ABCDEF");  // MIME-style line breaks
  EXPECT_EQ(*decodeBase64(" QUJD "), "ABC");
}

TEST(Base64, RejectsMalformedInput) {
  for (const char* bad : {"Q", "QQ", "QUI", "QQ=", "Q===", "=QQQ", "QQ==QQ==", "QQ=A", "QU-D",
                          "QU_D", "QUJD====", "QUJD=", "\x80QUJ"}) {
    EXPECT_FALSE(decodeBase64(bad)) << bad;
  }
}

TEST(InspectJson, DahuaViewListsPicturesByHashNotBytes) {
  auto event = parseDahuaTollgate(fixture("tollgate_event.json"));
  ASSERT_TRUE(event);
  const nlohmann::json view = toJson(*event);
  EXPECT_EQ(view["format"], "dahua-itsapi");
  EXPECT_EQ(view["plate"]["plate_number"], "123ABC02");
  EXPECT_EQ(view["plate"]["bounding_box"], nlohmann::json::array({412, 580, 932, 692}));
  EXPECT_EQ(view["snap"]["time_utc"], "2026-11-25T10:25:00.123Z");
  EXPECT_EQ(view["snap"]["direction"], "reverse");
  ASSERT_EQ(view["pictures"].size(), 2u);
  EXPECT_EQ(view["pictures"][1]["size_bytes"], 20);
  EXPECT_EQ(view["pictures"][1]["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(view.dump().find("/9j/"), std::string::npos);
}

TEST(InspectJson, IsapiViewCarriesTheAnprBlock) {
  auto alert = parseIsapiAlert(
      "<EventNotificationAlert><eventType>ANPR</eventType><dateTime>2026-11-25T15:25:00.123+05:00"
      "</dateTime><ANPR><licensePlate>123ABC02</licensePlate><confidenceLevel>97</confidenceLevel>"
      "<pictureInfoList><pictureInfo><fileName>a.jpg</fileName><type>detectionPicture</type>"
      "</pictureInfo></pictureInfoList></ANPR></EventNotificationAlert>");
  ASSERT_TRUE(alert) << alert.status().message();
  const nlohmann::json view = toJson(*alert);
  EXPECT_EQ(view["format"], "isapi");
  EXPECT_EQ(view["time_utc"], "2026-11-25T10:25:00.123Z");
  EXPECT_EQ(view["anpr"]["license_plate"], "123ABC02");
  EXPECT_EQ(view["anpr"]["confidence_pct"], 97);
  EXPECT_EQ(view["anpr"]["pictures"][0]["type"], "detectionPicture");
  EXPECT_TRUE(view["channel_id"].is_null());
  auto heartbeat = parseIsapiAlert(
      "<EventNotificationAlert><eventType>heartBeat</eventType></EventNotificationAlert>");
  ASSERT_TRUE(heartbeat);
  EXPECT_TRUE(toJson(*heartbeat)["anpr"].is_null());
}

}  // namespace
}  // namespace kordon::drivers
