// SPDX-License-Identifier: Apache-2.0
// HIL: the production X-ray drivers (makeXrayScanner: "dicos-scp" and "dicos-folder") against
// kordon-sim-xray running as a separate process on free loopback ports, driven through its
// control API. The simulator's log is printed when a test fails.

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "drivers/xray_scanner/xray_scanner.hpp"
#include "edge/base/clock.hpp"
#include "edge/base/http.hpp"
#include "tests/hil/process.hpp"
#include "tests/hil/recorder.hpp"
#include "tests/support/device_loop.hpp"

#include <unistd.h>

namespace kordon::drivers {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Steady = std::chrono::steady_clock;

const char* const kSimulator = KORDON_BIN_DIR "/kordon-sim-xray";

bool waitUntil(const std::function<bool()>& condition, milliseconds timeout) {
  const auto deadline = Steady::now() + timeout;
  while (!condition()) {
    if (Steady::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return true;
}

std::function<bool(const msg::XrayResult&)> scanIs(const std::string& scan_id) {
  return [scan_id](const msg::XrayResult& r) { return r.scan_id == scan_id; };
}

class XrayHilTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "kordon-xray-hil-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    fs::create_directories(dir_ + "/drop");
    evidence_ = std::make_unique<EvidenceStore>(dir_ + "/evidence");
    auto scp_port = test::freeLoopbackPort();
    auto control_port = test::freeLoopbackPort();
    ASSERT_TRUE(scp_port && control_port);
    scp_port_ = *scp_port;
    control_port_ = *control_port;
  }

  void TearDown() override {
    if (driver_) driver_->stop();
    if (sim_) (void)sim_->terminate();
    if (HasFailure()) {
      std::cerr << "---- simulator log (tail) ----\n"
                << test::readTail(dir_ + "/sim-xray.log") << "---- end ----\n";
    } else {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  void startSim(const std::vector<std::string>& extra) {
    std::vector<std::string> argv = {kSimulator, "--control",
                                     "127.0.0.1:" + std::to_string(control_port_)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto sim = test::Process::spawn(argv, dir_ + "/sim-xray.log");
    ASSERT_TRUE(sim) << sim.status().message();
    sim_.emplace(std::move(sim).value());
    ASSERT_TRUE(test::waitForTcpPort("127.0.0.1", control_port_, seconds(5)));
  }

  void startDriver(const std::string& type) {
    XrayScannerConfig config;
    config.type = type;
    config.port = scp_port_;
    config.folder = dir_ + "/drop";
    config.poll_interval_ms = 50;
    config.association_timeout_s = 5;
    auto driver = makeXrayScanner(config, loop_.context(clock_, evidence_.get()),
                                  {[this](const msg::XrayResult& r) {
                                     results_.add(r);
                                     std::lock_guard lock(status_mutex_);
                                     return saved_;
                                   },
                                   [this](const msg::DeviceStatus& s) {
                                     std::lock_guard lock(status_mutex_);
                                     statuses_.push_back(s);
                                   }});
    ASSERT_TRUE(driver) << driver.status().message();
    driver_ = std::move(driver).value();
    const Status started = driver_->start();
    ASSERT_TRUE(started) << started.message();
  }

  // POST to the simulator; returns HTTP status and JSON body.
  std::pair<int, nlohmann::json> post(const std::string& target) {
    auto response =
        http::request("POST", "http://127.0.0.1:" + std::to_string(control_port_) + target, "",
                      "application/json", milliseconds(20000));
    EXPECT_TRUE(response) << response.status().message();
    if (!response) return {0, {}};
    return {response->status, nlohmann::json::parse(response->body, nullptr, false)};
  }

  std::string dir_;
  std::uint16_t scp_port_ = 0;
  std::uint16_t control_port_ = 0;
  SystemClock clock_;
  // kordond's control loop: the driver's sink runs there. Outlives the driver.
  test::DeviceLoop loop_;
  std::unique_ptr<EvidenceStore> evidence_;
  std::optional<test::Process> sim_;
  std::unique_ptr<XrayScanner> driver_;
  test::Recorder<msg::XrayResult> results_;
  std::mutex status_mutex_;
  std::vector<msg::DeviceStatus> statuses_;
  Status saved_ = Status::ok();  // what the journal answers a result (under status_mutex_)
};

TEST_F(XrayHilTest, ScpReceivesClearAndAlarmScans) {
  startDriver("dicos-scp");
  startSim({"--scp-target", "127.0.0.1:" + std::to_string(scp_port_)});

  auto [code, body] = post("/scan?object=123ABC02&decision=clear&threats=0");
  ASSERT_EQ(code, 200) << body.dump();
  EXPECT_EQ(body["status"], "0x0000");
  auto clear = results_.waitFor(0, scanIs(body["scan_id"].get<std::string>()), seconds(5));
  ASSERT_TRUE(clear);
  EXPECT_EQ(clear->object_ref, "123ABC02");
  EXPECT_EQ(clear->decision, msg::XrayDecision::kClear);
  EXPECT_EQ(clear->tdr_type, "MACHINE");
  EXPECT_EQ(clear->total_objects, 0);
  ASSERT_EQ(clear->evidence.size(), 1U);
  EXPECT_TRUE(fs::exists(evidence_->pathFor(clear->evidence[0].sha256, "application/dicom")));

  std::tie(code, body) = post("/scan?object=MSCU1234565&decision=alarm&threats=2&operator=alarm");
  ASSERT_EQ(code, 200) << body.dump();
  auto alarm = results_.waitFor(0, scanIs(body["scan_id"].get<std::string>()), seconds(5));
  ASSERT_TRUE(alarm);
  EXPECT_EQ(alarm->decision, msg::XrayDecision::kAlarm);
  EXPECT_EQ(alarm->tdr_type, "OPERATOR");
  ASSERT_TRUE(alarm->operator_verdict.has_value());
  EXPECT_EQ(*alarm->operator_verdict, msg::XrayDecision::kAlarm);
  EXPECT_EQ(alarm->alarm_objects, 2);
  ASSERT_EQ(alarm->threats.size(), 2U);
  EXPECT_EQ(alarm->threats[0].assessment, "THREAT");
  EXPECT_EQ(driver_->counters().readings.load(), 2U);
  EXPECT_EQ(driver_->counters().comms_errors.load(), 0U);
}

TEST_F(XrayHilTest, ScpFaultKnobs) {
  startDriver("dicos-scp");
  startSim({"--scp-target", "127.0.0.1:" + std::to_string(scp_port_)});

  // slow: still delivered.
  auto [code, body] = post("/fault?kind=slow&delay_ms=1500");
  ASSERT_EQ(code, 200);
  const auto slow_started = Steady::now();
  std::tie(code, body) = post("/scan?object=SLOW1&decision=clear&threats=0");
  ASSERT_EQ(code, 200) << body.dump();
  EXPECT_GE(Steady::now() - slow_started, milliseconds(1400));
  EXPECT_TRUE(results_.waitFor(0, scanIs(body["scan_id"].get<std::string>()), seconds(5)));

  // bad-sop: refused with a failure status, counted, no result.
  std::tie(code, body) = post("/fault?kind=bad-sop");
  std::tie(code, body) = post("/scan?object=BAD1&decision=alarm&threats=1");
  EXPECT_EQ(code, 502) << body.dump();
  EXPECT_EQ(body["status"], "0xA900");
  EXPECT_EQ(driver_->counters().comms_errors.load(), 1U);

  // garbage on the wire: the SCP survives and keeps serving.
  std::tie(code, body) = post("/fault?kind=garbage");
  std::tie(code, body) = post("/scan?object=G1&decision=clear&threats=0");
  EXPECT_EQ(code, 200) << body.dump();
  // truncate: the association is aborted before the dataset, nothing is delivered.
  std::tie(code, body) = post("/fault?kind=truncate");
  std::tie(code, body) = post("/scan?object=T1&decision=clear&threats=0");
  EXPECT_EQ(code, 502) << body.dump();
  // disconnect: the simulated link is down, the scan is refused and never arrives.
  std::tie(code, body) = post("/fault?kind=disconnect");
  std::tie(code, body) = post("/scan?object=D1&decision=alarm&threats=0");
  EXPECT_EQ(code, 502) << body.dump();

  std::tie(code, body) = post("/fault?kind=none");
  std::tie(code, body) = post("/scan?object=OK2&decision=alarm&threats=1");
  ASSERT_EQ(code, 200) << body.dump();
  EXPECT_TRUE(results_.waitFor(0, scanIs(body["scan_id"].get<std::string>()), seconds(5)));
  EXPECT_EQ(results_.size(), 2U) << "only the slow and the final scan may arrive";
}

TEST_F(XrayHilTest, ScpPortInUseIsAStartError) {
  startDriver("dicos-scp");
  XrayScannerConfig config;
  config.port = scp_port_;
  auto second = makeXrayScanner(config, loop_.context(clock_, evidence_.get()), {});
  ASSERT_TRUE(second);
  EXPECT_FALSE((*second)->start());
  const auto stop_started = Steady::now();
  driver_->stop();
  EXPECT_LT(Steady::now() - stop_started, milliseconds(2500));
}

TEST_F(XrayHilTest, FolderDriverWithSimulatorDrops) {
  startDriver("dicos-folder");
  startSim({"--scp-target", "none", "--folder", dir_ + "/drop"});

  auto [code, body] = post("/scan?object=123ABC02&decision=alarm&threats=1");
  ASSERT_EQ(code, 200) << body.dump();
  auto alarm = results_.waitFor(0, scanIs(body["scan_id"].get<std::string>()), seconds(5));
  ASSERT_TRUE(alarm);
  EXPECT_EQ(alarm->decision, msg::XrayDecision::kAlarm);
  EXPECT_EQ(alarm->object_ref, "123ABC02");
  ASSERT_EQ(alarm->evidence.size(), 1U);
  const std::string done = dir_ + "/drop/done/" + body["scan_id"].get<std::string>() + ".dcs";
  EXPECT_TRUE(waitUntil([&] { return fs::exists(done); }, seconds(2)));

  for (const char* kind : {"garbage", "truncate", "bad-sop"}) {
    std::tie(code, body) = post(std::string("/fault?kind=") + kind);
    std::tie(code, body) = post("/scan?object=F1&decision=clear&threats=0");
    ASSERT_EQ(code, 200) << kind << ": " << body.dump();
    const std::string failed = dir_ + "/drop/failed/" + body["scan_id"].get<std::string>() + ".dcs";
    EXPECT_TRUE(waitUntil([&] { return fs::exists(failed); }, seconds(3))) << kind;
  }
  EXPECT_EQ(driver_->counters().comms_errors.load(), 3U);
  EXPECT_EQ(results_.size(), 1U) << "no result may be invented from a bad file";
}

// DCMTK's own storescu (Debian's dcmtk), the stock DICOM sender, against the production SCP.
class StorescuHilTest : public XrayHilTest {
 protected:
  void SetUp() override {
    XrayHilTest::SetUp();
    if (access(kStorescu, X_OK) != 0)
      GTEST_SKIP() << kStorescu << " missing: scripts/setup.sh installs dcmtk";
    startDriver("dicos-scp");
  }

  // Runs storescu with `options` before host, port and the fixture; its exit status and output.
  std::pair<test::ExitStatus, std::string> storescu(
      const std::vector<std::string>& options,
      const std::string& fixture = "alarm_two_threats.dcs") {
    std::vector<std::string> argv = {kStorescu, "-v", "-to", "10", "-ta", "10", "-td", "10"};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.insert(argv.end(), {"127.0.0.1", std::to_string(scp_port_),
                             std::string(KORDON_SOURCE_DIR) + "/tests/fixtures/xray/" + fixture});
    const std::string log = dir_ + "/storescu-" + std::to_string(++runs_) + ".log";
    auto process = test::Process::spawn(argv, log);
    EXPECT_TRUE(process) << process.status().message();
    if (!process) return {};
    auto ended = process->wait(seconds(30));
    EXPECT_TRUE(ended) << ended.status().message();
    return {ended ? *ended : test::ExitStatus{}, test::readFile(log)};
  }

  // A workstation's or a router's profile: every storage class of the stock storescu.cfg
  // that fits (up to 125 contexts, with JPEG and uncompressed transfer syntaxes), then TDR.
  std::string workstationProfile() {
    const std::string stock = test::readFile("/etc/dcmtk/storescu.cfg");
    std::string contexts;
    int n = 0;
    std::size_t at = 0;
    while (n < 125 && (at = stock.find("\nPresentationContext", at)) != std::string::npos) {
      const std::size_t end = stock.find('\n', at + 1);
      const std::string line = stock.substr(at + 1, end - at - 1);
      const std::size_t eq = line.find('=');
      contexts += "PresentationContext" + std::to_string(++n) + " =" + line.substr(eq + 1) + "\n";
      at = end;
    }
    contexts += "PresentationContext" + std::to_string(++n) +
                " = 1.2.840.10008.5.1.4.1.1.501.3\\JPEGLossless\n";
    contexts += "PresentationContext" + std::to_string(++n) +
                " = 1.2.840.10008.5.1.4.1.1.501.3\\Uncompressed\n";
    const std::string path = dir_ + "/workstation.cfg";
    std::ofstream(path)
        << "[[TransferSyntaxes]]\n"
           "[Uncompressed]\nTransferSyntax1 = LittleEndianExplicit\n"
           "TransferSyntax2 = BigEndianExplicit\nTransferSyntax3 = LittleEndianImplicit\n"
           "[JPEGBaseline]\nTransferSyntax1 = JPEGBaseline\n"
           "[JPEGLossless]\nTransferSyntax1 = JPEGLossless:Non-hierarchical-1stOrderPrediction\n"
           "[RLE]\nTransferSyntax1 = RLELossless\n"
           "[MPEG2]\nTransferSyntax1 = MPEG2MainProfile@MainLevel\n"
           "[MPEG4]\nTransferSyntax1 = MPEG4HighProfile/Level4.1\n"
           "[[PresentationContexts]]\n[Workstation]\n"
        << contexts << "[[Profiles]]\n[Workstation]\nPresentationContexts = Workstation\n";
    proposed_contexts_ = n;
    return path;
  }

  static constexpr const char* kStorescu = "/usr/bin/storescu";
  int runs_ = 0;
  int proposed_contexts_ = 0;
};

TEST_F(StorescuHilTest, ProposingOnlyTheClassItSendsIsAccepted) {
  auto [exit_status, output] = storescu({"-R"});
  EXPECT_TRUE(exit_status.cleanExit()) << exit_status.toString() << "\n" << output;
  auto result = results_.waitFor(
      0, [](const msg::XrayResult&) { return true; }, seconds(5));
  ASSERT_TRUE(result) << output;
  EXPECT_EQ(result->decision, msg::XrayDecision::kAlarm);
  EXPECT_EQ(driver_->counters().readings.load(), 1U);
}

TEST_F(StorescuHilTest, AWorkstationProposingManyClassesIsAcceptedForTheOnesKordonTakes) {
  if (!fs::exists("/etc/dcmtk/storescu.cfg")) GTEST_SKIP() << "dcmtk's storescu.cfg missing";
  const std::string profile = workstationProfile();
  ASSERT_GE(proposed_contexts_, 100);
  auto [exit_status, output] = storescu({"-xf", profile, "Workstation"});
  EXPECT_TRUE(exit_status.cleanExit()) << exit_status.toString() << "\n" << output;
  EXPECT_NE(output.find("Association Accepted"), std::string::npos) << output;
  ASSERT_TRUE(results_.waitFor(
      0, [](const msg::XrayResult&) { return true; }, seconds(5)))
      << output;
  EXPECT_EQ(driver_->counters().refusals.load(), 0U);
}

TEST_F(StorescuHilTest, BigEndianAndDeflatedTransferSyntaxesAreTaken) {
  for (const char* syntax : {"-xb", "-xd"}) {
    const std::size_t before = results_.size();
    auto [exit_status, output] = storescu({"-R", syntax});
    EXPECT_TRUE(exit_status.cleanExit()) << syntax << ": " << exit_status.toString() << "\n"
                                         << output;
    EXPECT_TRUE(waitUntil([&] { return results_.size() > before; }, seconds(5))) << syntax;
  }
  EXPECT_EQ(driver_->counters().readings.load(), 2U);
}

TEST_F(StorescuHilTest, AnAssociationProposingNothingKordonTakesIsRefusedCountedAndSurvived) {
  // Without -R, storescu 3.6.7 proposes its 64 built-in storage classes and never the file's
  // DICOS class: no SCP could take the TDR on that association. It is refused as a whole,
  // counted as a refusal (the sender's configuration), and the SCP keeps serving.
  auto [refused, output] = storescu({});
  EXPECT_FALSE(refused.cleanExit()) << output;
  EXPECT_NE(output.find("Association Rejected"), std::string::npos) << output;
  EXPECT_TRUE(waitUntil([&] { return driver_->counters().refusals.load() == 1; }, seconds(5)));
  EXPECT_EQ(results_.size(), 0U);
  auto [accepted, second] = storescu({"-R"});
  EXPECT_TRUE(accepted.cleanExit()) << second;
  EXPECT_TRUE(results_.waitFor(
      0, [](const msg::XrayResult&) { return true; }, seconds(5)));
}

TEST_F(StorescuHilTest, AResultNotSavedIsAnsweredOutOfResourcesAndTheResendIsTaken) {
  {
    std::lock_guard lock(status_mutex_);
    saved_ = Status::error("journal: database or disk is full");
  }
  auto [refused, output] = storescu({"-R"});
  EXPECT_NE(output.find("Refused: OutOfResources"), std::string::npos) << output;
  EXPECT_EQ(driver_->counters().store_failures.load(), 1U);
  EXPECT_EQ(driver_->counters().readings.load(), 0U);
  {
    std::lock_guard lock(status_mutex_);
    saved_ = Status::ok();
  }
  auto [accepted, second] = storescu({"-R"});
  EXPECT_TRUE(accepted.cleanExit()) << second;
  EXPECT_EQ(driver_->counters().readings.load(), 1U);
}

TEST_F(XrayHilTest, SimulatorExitsCleanlyOnSigterm) {
  startSim({"--scp-target", "127.0.0.1:" + std::to_string(scp_port_)});
  auto exit_status = sim_->terminate();
  ASSERT_TRUE(exit_status);
  EXPECT_TRUE(exit_status->cleanExit()) << exit_status->toString();
  sim_.reset();
}

}  // namespace
}  // namespace kordon::drivers
