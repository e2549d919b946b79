// SPDX-License-Identifier: Apache-2.0
#include "edge/kordond/config/config.hpp"

#include <fstream>

#include <gtest/gtest.h>

#include "tests/unit/edge/test_support.hpp"

namespace kordon::config {
namespace {

Result<DaemonConfig> loadText(const std::string& text) {
  testing::TempDir dir;
  const std::string path = dir.file("kordond.toml");
  std::ofstream(path) << text;
  return loadConfig(path);
}

std::string errorOf(const std::string& text) {
  auto c = loadText(text);
  EXPECT_FALSE(c.isOk()) << text;
  return c.isOk() ? "" : c.status().message();
}

bool mentions(const std::string& message, const std::string& part) {
  return message.find(part) != std::string::npos;
}

TEST(Config, NoFileMeansOneSimulatedLaneOnLoopback) {
  auto c = loadConfig("");
  ASSERT_TRUE(c.isOk()) << c.status().message();
  EXPECT_EQ(c->post_id, "KZ-DEMO");
  EXPECT_EQ(c->mqtt_uri, "tcp://127.0.0.1:1883");
  EXPECT_EQ(c->mqtt_client_id, "kordond-KZ-DEMO");
  ASSERT_EQ(c->lanes.size(), 1u);
  EXPECT_EQ(c->lanes[0].lane.id, "L1");
  EXPECT_EQ(c->lanes[0].weighbridge.type, "modbus-tcp");
  EXPECT_EQ(c->lanes[0].weighbridge.port, 1502);
  EXPECT_EQ(c->lanes[0].camera.path, "/anpr/L1");
  EXPECT_EQ(c->lanes[0].barrier.type, "lane-modbus-tcp");
  ASSERT_TRUE(c->lanes[0].radiation.has_value());
  EXPECT_EQ(c->lanes[0].radiation->type, "vm250-tcp");
  EXPECT_EQ(c->lanes[0].radiation->port, 1601);
  EXPECT_TRUE(c->lanes[0].lane.radiation_required);
  ASSERT_TRUE(c->lanes[0].xray.has_value());
  EXPECT_EQ(c->lanes[0].xray->type, "dicos-scp");
  EXPECT_EQ(c->lanes[0].lane.xray_policy, "when_required");
}

TEST(Config, ScreeningDevicesCanBeAbsentOrFolderFed) {
  auto none =
      loadText("[[lanes]]\n[lanes.radiation]\ntype = \"none\"\n[lanes.xray]\ntype = \"none\"\n");
  ASSERT_TRUE(none.isOk()) << none.status().message();
  EXPECT_FALSE(none->lanes[0].radiation.has_value());
  EXPECT_FALSE(none->lanes[0].lane.radiation_required);
  EXPECT_FALSE(none->lanes[0].xray.has_value());
  EXPECT_EQ(none->lanes[0].lane.xray_policy, "never");
  EXPECT_TRUE(mentions(errorOf("[[lanes]]\n[lanes.radiation]\ntype = \"n42-folder\"\n"),
                       "lanes[0].radiation.folder: required for n42-folder"));
  auto folder = loadText(
      "[[lanes]]\n[lanes.radiation]\ntype = \"n42-folder\"\nfolder = \"/srv/n42\"\n"
      "[lanes.xray]\ntype = \"dicos-folder\"\nfolder = \"/srv/tdr\"\npolicy = \"always\"\n");
  ASSERT_TRUE(folder.isOk()) << folder.status().message();
  EXPECT_EQ(folder->lanes[0].radiation->folder, "/srv/n42");
  EXPECT_EQ(folder->lanes[0].xray->folder, "/srv/tdr");
  EXPECT_EQ(folder->lanes[0].lane.xray_policy, "always");
}

TEST(Config, ReadsEveryLaneAndOverridesDefaults) {
  auto c = loadText(R"(
[post]
id = "KZ-KHORGOS"
state_dir = "/tmp/x"
[rules]
weight_tolerance_pct = 3.5
[[lanes]]
id = "E1"
[lanes.weighbridge]
port = 15020
map = "flintec"
[[lanes]]
id = "X1"
direction = "exit"
)");
  ASSERT_TRUE(c.isOk()) << c.status().message();
  EXPECT_EQ(c->post_id, "KZ-KHORGOS");
  EXPECT_EQ(c->storePath(), "/tmp/x/kordon.db");
  EXPECT_DOUBLE_EQ(c->rules.weight_tolerance_pct, 3.5);
  ASSERT_EQ(c->lanes.size(), 2u);
  EXPECT_EQ(c->lanes[0].weighbridge.port, 15020);
  EXPECT_EQ(c->lanes[0].weighbridge.register_map, "flintec");
  EXPECT_EQ(c->lanes[0].weighbridge.device_id, "E1-wb");
  EXPECT_EQ(c->lanes[1].lane.direction, "exit");
  EXPECT_EQ(c->lanes[1].camera.path, "/anpr/X1");
}

TEST(Config, ErrorsNameTheKey) {
  EXPECT_TRUE(mentions(errorOf("[mqtt]\nuri = 5\n"), "mqtt.uri: expected a string"));
  EXPECT_TRUE(mentions(errorOf("[mqtt]\nuri = \"http://x\"\n"), "mqtt.uri: expected tcp://"));
  EXPECT_TRUE(mentions(errorOf("[[lanes]]\n[lanes.weighbridge]\nport = 70000\n"),
                       "lanes[0].weighbridge.port: value 70000 is out of range 1..65535"));
  EXPECT_TRUE(mentions(errorOf("[log]\nlevel = \"loud\"\n"), "log.level: \"loud\" is not one of"));
  EXPECT_TRUE(mentions(errorOf("[post]\nid = \"KZ/#\"\n"), "post.id: expected letters"));
  EXPECT_TRUE(mentions(errorOf("[http]\nlisten = \"8080\"\n"), "http.listen: expected host:port"));
  EXPECT_TRUE(mentions(errorOf("[[lanes]]\nid = \"A\"\n[[lanes]]\nid = \"A\"\n"),
                       "lanes[1].id: duplicate lane id"));
}

TEST(Config, UnknownKeysAreErrorsNotSilentlyIgnored) {
  EXPECT_TRUE(mentions(errorOf("[mqtt]\nurl = \"tcp://x:1\"\n"), "mqtt.url: unknown key"));
  EXPECT_TRUE(mentions(errorOf("[[lanes]]\n[lanes.weighbridge]\nprot = 1\n"),
                       "lanes[0].weighbridge.prot: unknown key"));
}

TEST(Config, FrameCamerasNeedAUrlAndOnlyTheyTakeFrameKeys) {
  auto c = loadText(
      "[[lanes]]\n[lanes.camera]\ntype = \"frames\"\nurl = \"http://127.0.0.1:8502/snapshot.jpg\"\n"
      "poll_ms = 100\nworkers = 2\nfuse_gap_ms = 900\nmin_confidence = 0.6\n");
  ASSERT_TRUE(c.isOk()) << c.status().message();
  const auto& camera = c->lanes.at(0).camera;
  EXPECT_EQ(camera.url, "http://127.0.0.1:8502/snapshot.jpg");
  EXPECT_EQ(camera.poll_interval_ms, 100);
  EXPECT_EQ(camera.workers, 2);
  EXPECT_EQ(camera.fuse_gap_ms, 900);
  EXPECT_DOUBLE_EQ(camera.min_confidence, 0.6);
  EXPECT_TRUE(
      mentions(errorOf("[[lanes]]\n[lanes.camera]\ntype = \"frames\"\n"), "lanes[0].camera.url"));
  EXPECT_TRUE(mentions(errorOf("[[lanes]]\n[lanes.camera]\ntype = \"isapi-push\"\nurl = \"x\"\n"),
                       "lanes[0].camera.url: unknown key"));
}

TEST(Config, SyntaxErrorsGiveLineAndColumn) {
  const std::string e = errorOf("[post\nid = 1\n");
  EXPECT_TRUE(mentions(e, "kordond.toml:1:")) << e;
}

TEST(Config, MissingFileIsAClearError) {
  auto c = loadConfig("/nonexistent/kordond.toml");
  ASSERT_FALSE(c.isOk());
  EXPECT_EQ(c.status().message(), "/nonexistent/kordond.toml: cannot open config file");
}

TEST(Config, LaneControllerBarrierKeys) {
  auto c = loadText(
      "[[lanes]]\n[lanes.barrier]\ntype = \"lane-modbus-rtu\"\nserial_device = \"/dev/ttyS1\"\n"
      "baud = 9600\nparity = \"E\"\nunit = 3\npoll_ms = 50\nheartbeat_ms = 250\n");
  ASSERT_TRUE(c.isOk()) << c.status().message();
  const auto& b = c->lanes[0].barrier;
  EXPECT_EQ(b.type, "lane-modbus-rtu");
  EXPECT_EQ(b.serial_device, "/dev/ttyS1");
  EXPECT_EQ(b.baud, 9600);
  EXPECT_EQ(b.parity, 'E');
  EXPECT_EQ(b.unit_id, 3);
  EXPECT_EQ(b.poll_interval_ms, 50);
  EXPECT_EQ(b.heartbeat_ms, 250);
  EXPECT_TRUE(mentions(errorOf("[[lanes]]\n[lanes.barrier]\ntype = \"lane-modbus-rtu\"\n"),
                       "lanes[0].barrier.serial_device"));
  EXPECT_TRUE(mentions(errorOf("[[lanes]]\n[lanes.barrier]\nheartbeat = 1\n"),
                       "lanes[0].barrier.heartbeat"));
}

}  // namespace
}  // namespace kordon::config

namespace kordon::config {
namespace {

TEST(Config, StorageAndCacheAgeKeys) {
  auto c = loadText(
      "[rules]\nmax_cache_age_s = 3600\nrequire_synced_clock = true\n"
      "[storage]\nmax_bytes = 1048576\nwarn_pct = 70\nretain_delivered_days = 7\n"
      "retain_evidence_days = 3\ncheck_interval_s = 30\n");
  ASSERT_TRUE(c.isOk()) << c.status().message();
  EXPECT_EQ(c->rules.max_cache_age_s, 3600);
  EXPECT_TRUE(c->rules.require_synced_clock);
  EXPECT_EQ(c->storage.max_bytes, 1048576);
  EXPECT_EQ(c->storage.warn_pct, 70);
  EXPECT_EQ(c->storage.retain_delivered_days, 7);
  EXPECT_EQ(c->storage.retain_evidence_days, 3);
  EXPECT_EQ(c->storage.check_interval_s, 30);
  EXPECT_TRUE(mentions(errorOf("[storage]\nmax_bytes = 1000\n"),
                       "storage.max_bytes: value 1000 is out of range"));
  EXPECT_TRUE(mentions(errorOf("[storage]\nwarn_pct = 100\n"), "storage.warn_pct"));
  EXPECT_TRUE(mentions(errorOf("[storage]\nmax_size = 1\n"), "storage.max_size: unknown key"));
}

}  // namespace
}  // namespace kordon::config
