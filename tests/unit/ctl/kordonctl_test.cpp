// SPDX-License-Identifier: Apache-2.0
// kordonctl inspect as an integrator runs it: the real binary on device documents.

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/shared_data.hpp"

#include <sys/wait.h>

namespace kordon {
namespace {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr
};

CommandResult kordonctl(const std::string& args) {
  CommandResult run;
  const std::string command = std::string(KORDON_BIN_DIR "/kordonctl ") + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  std::array<char, 4096> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe)) run.out += buffer.data();
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

nlohmann::json inspectOk(const std::string& path, const std::string& format) {
  const CommandResult run = kordonctl("inspect " + path);
  EXPECT_EQ(run.exit_code, 0) << run.out;
  const auto j = nlohmann::json::parse(run.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << run.out;
  if (j.is_discarded()) return {};
  EXPECT_EQ(j.value("format", ""), format);
  return j["document"];
}

TEST(Kordonctl, InspectsEachSupportedFormat) {
  const std::string fixtures = KORDON_SOURCE_DIR "/tests/fixtures/";
  EXPECT_EQ(inspectOk(fixtures + "isapi/anpr_event.xml", "isapi")["anpr"]["license_plate"],
            "123ABC02");
  EXPECT_FALSE(inspectOk(fixtures + "dahua/tollgate_event.json", "dahua").empty());
  EXPECT_EQ(inspectOk(fixtures + "xray/alarm_two_threats.dcs", "dicos-tdr")["decision"], "alarm");
  for (const auto& entry : std::filesystem::directory_iterator(fixtures + "radiation")) {
    const std::string name = entry.path().filename().string();
    const CommandResult run = kordonctl("inspect " + entry.path().string());
    if (name.find(".n42") != std::string::npos || name.find(".txt") != std::string::npos) {
      // Every radiation fixture is either decoded or refused with a message: never a crash.
      EXPECT_TRUE(run.exit_code == 0 || run.exit_code == 1) << name << ": " << run.out;
    }
  }
}

TEST(Kordonctl, InspectsTheRealN42AndDicosSamples) {
  const auto n42 = test::sharedDataDir("n42");
  const auto dicos = test::sharedDataDir("dicos");
  if (!n42 || !dicos) GTEST_SKIP() << test::kSharedDataMissing;
  const auto alarmed = inspectOk(*n42 + "/Annex_D_alarmed.n42", "n42");
  EXPECT_EQ(alarmed["alarms"].size(), 2u);
  EXPECT_EQ(inspectOk(*dicos + "/SimpleBaggageNoThreatTDR.dcs", "dicos-tdr")["alarm_objects"], 0);
}

TEST(Kordonctl, BadInputExitsNonZeroWithAMessage) {
  const std::string dir = ::testing::TempDir();
  std::ofstream(dir + "/garbage.bin") << "\x01\x03 not a device document";
  std::ofstream(dir + "/broken.xml") << "<EventNotificationAlert><eventType>ANPR";
  std::ofstream(dir + "/rpm.txt") << "GB,xx\nZZ\n";

  CommandResult run = kordonctl("inspect " + dir + "/garbage.bin");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.out.find("not a format kordonctl recognises"), std::string::npos) << run.out;
  run = kordonctl("inspect " + dir + "/broken.xml");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.out.find("isapi:"), std::string::npos) << run.out;
  run = kordonctl("inspect --format vm250 " + dir + "/rpm.txt");
  EXPECT_EQ(run.exit_code, 1) << run.out;
  run = kordonctl("inspect /nonexistent/file.n42");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.out.find("cannot open file"), std::string::npos);
  EXPECT_EQ(kordonctl("inspect --format nope " + dir + "/rpm.txt").exit_code, 2);
  EXPECT_EQ(kordonctl("frobnicate").exit_code, 2);
}

}  // namespace
}  // namespace kordon
