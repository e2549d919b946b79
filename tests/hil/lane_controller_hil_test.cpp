// SPDX-License-Identifier: Apache-2.0
// HIL: kordond's barrier driver (makeBarrier "lane-modbus-tcp" / "lane-modbus-rtu", over the
// real LibmodbusLink) against kordon-sim-lane running as a separate process: the lane
// controller firmware with its simulated barrier, over Modbus TCP and Modbus RTU on a socat
// pty pair. Vehicles are driven over the loops through the simulator's control surface.

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "drivers/barrier/barrier.hpp"
#include "drivers/common/modbus_link.hpp"
#include "edge/base/clock.hpp"
#include "edge/base/http.hpp"
#include "tests/hil/process.hpp"
#include "tests/hil/pty_pair.hpp"
#include "tests/hil/recorder.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kordon::drivers {
namespace {

using msg::BarrierPosition;
using msg::BarrierStatus;
using std::chrono::milliseconds;
using std::chrono::seconds;

const char* const kController = KORDON_BIN_DIR "/kordon-sim-lane";

std::function<bool(const BarrierStatus&)> at(BarrierPosition p, const std::string& command = "") {
  return [p, command](const BarrierStatus& s) {
    return s.position == p && s.health == msg::DeviceHealth::kGood &&
           (command.empty() || s.command_id == command);
  };
}

class LaneControllerHilTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "kordon-lane-hil-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto control = test::freeLoopbackPort();
    ASSERT_TRUE(control);
    control_port_ = *control;
    io_thread_ = std::thread([this] { io_.run(); });
  }

  void TearDown() override {
    if (barrier_) barrier_->stop();
    work_.reset();
    io_.stop();
    io_thread_.join();
    if (lane_) (void)lane_->terminate();
    if (HasFailure()) {
      std::cerr << "---- kordon-lane log (tail) ----\n" << test::readTail(logPath()) << "----\n";
    } else {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

  std::string logPath() const { return dir_ + "/kordon-lane.log"; }

  void startController(const std::vector<std::string>& transport) {
    std::vector<std::string> argv = {
        kController,   "--control", "127.0.0.1:" + std::to_string(control_port_),
        "--travel-ms", "300",       "--heartbeat-timeout-ms",
        "1000"};
    argv.insert(argv.end(), transport.begin(), transport.end());
    auto p = test::Process::spawn(argv, logPath());
    ASSERT_TRUE(p) << p.status().message();
    lane_.emplace(std::move(*p));
    ASSERT_TRUE(test::waitForTcpPort("127.0.0.1", control_port_, seconds(5)));
  }

  void startTcp() {
    auto port = test::freeLoopbackPort();
    ASSERT_TRUE(port);
    modbus_port_ = *port;
    startController({"--modbus", "127.0.0.1:" + std::to_string(modbus_port_)});
    ASSERT_TRUE(test::waitForTcpPort("127.0.0.1", modbus_port_, seconds(5)));
    BarrierConfig c;
    c.type = "lane-modbus-tcp";
    c.port = modbus_port_;
    startDriver(c);
  }

  void startDriver(const BarrierConfig& c) {
    auto b = makeBarrier(c, {io_, loop_caller_, clock_},
                         {[this](const BarrierStatus& s) { statuses_.add(s); }});
    ASSERT_TRUE(b) << b.status().message();
    barrier_ = std::move(*b);
    barrier_->start();
  }

  nlohmann::json state() {
    auto r = http::request("GET", "http://127.0.0.1:" + std::to_string(control_port_) + "/state");
    if (!r || r->status != 200) return {};
    return nlohmann::json::parse(r->body);
  }
  // Sets the simulated world, then gives the controller (20 ms cycle) time to see it: a real
  // vehicle stays on a loop for seconds.
  void post(const std::string& target) {
    auto r = http::request("POST", "http://127.0.0.1:" + std::to_string(control_port_) + target);
    ASSERT_TRUE(r && r->status == 200) << target;
    std::this_thread::sleep_for(milliseconds(150));
  }
  // Waits until the controller's /state satisfies `pred`.
  bool waitState(const std::function<bool(const nlohmann::json&)>& pred, milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto s = state();
      if (!s.is_null() && pred(s)) return true;
      std::this_thread::sleep_for(milliseconds(20));
    }
    return false;
  }
  void openBarrier(const std::string& id) {
    ASSERT_TRUE(statuses_.waitFor(0, at(BarrierPosition::kClosed), seconds(5)));
    const auto mark = statuses_.size();
    barrier_->requestOpen(id);
    ASSERT_TRUE(statuses_.waitFor(mark, at(BarrierPosition::kOpen, id), seconds(5)));
  }

  std::string dir_;
  std::uint16_t control_port_ = 0;
  std::uint16_t modbus_port_ = 0;
  std::optional<test::Process> lane_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  std::thread io_thread_;
  SystemClock clock_;
  LoopCaller loop_caller_{io_};
  test::Recorder<BarrierStatus> statuses_;
  std::unique_ptr<Barrier> barrier_;
};

TEST_F(LaneControllerHilTest, TcpOpenOneVehicleThroughThenAutoClose) {
  startTcp();
  openBarrier("open-1");
  EXPECT_TRUE(waitState([](const auto& s) { return s["green_light"] == true; }, seconds(2)));
  // The released truck drives over the loops; once it is off them the controller closes.
  const auto mark = statuses_.size();
  post("/inputs?presence_loop=1");
  post("/inputs?presence_loop=0&safety_loop=1");
  post("/inputs?safety_loop=0");
  EXPECT_TRUE(statuses_.waitFor(mark, at(BarrierPosition::kClosed), seconds(5)));
  const auto s = state();
  EXPECT_EQ(s["alarms"], 0) << s.dump();
}

TEST_F(LaneControllerHilTest, TcpKordondCannotCloseOntoAVehicleAndTailgatingRaisesTheAlarm) {
  startTcp();
  openBarrier("open-1");
  post("/inputs?presence_loop=1");
  barrier_->requestClose("close-1");
  std::this_thread::sleep_for(milliseconds(700));
  EXPECT_EQ(state()["barrier"], "open") << "closed onto a vehicle";
  // A second vehicle's presence cycle under the same open.
  post("/inputs?presence_loop=0");
  post("/inputs?safety_loop=1");
  EXPECT_TRUE(waitState([](const auto& s) { return (s["alarms"].template get<int>() & 2) != 0; },
                        seconds(2)));
  post("/inputs?safety_loop=0");
  EXPECT_TRUE(waitState([](const auto& s) { return s["barrier"] == "closed"; }, seconds(5)));
}

TEST_F(LaneControllerHilTest, PresenceWhileClosingReversesTheBoom) {
  startTcp();
  openBarrier("open-1");
  barrier_->requestClose("close-1");
  ASSERT_TRUE(waitState([](const auto& s) { return s["barrier"] == "closing"; }, seconds(3)));
  post("/inputs?presence_loop=1");
  EXPECT_TRUE(waitState([](const auto& s) { return s["barrier"] == "open"; }, seconds(3)));
  post("/inputs?presence_loop=0");
  EXPECT_TRUE(waitState([](const auto& s) { return s["barrier"] == "closed"; }, seconds(5)));
}

TEST_F(LaneControllerHilTest, HeartbeatLossGoesToTheSafeStateAndRaisesTheAlarm) {
  startTcp();
  openBarrier("open-1");
  barrier_->stop();  // kordond is gone
  EXPECT_TRUE(waitState(
      [](const auto& s) {
        return s["heartbeat_alive"] == false && s["green_light"] == false &&
               (s["alarms"].template get<int>() & 1) != 0 && s["barrier"] == "closed";
      },
      seconds(5)));
}

TEST_F(LaneControllerHilTest, ReadOnlyRegistersRefuseWritesAndRestartLeavesOutputsAtRest) {
  startTcp();
  openBarrier("open-1");
  auto link = LibmodbusLink::tcp({.host = "127.0.0.1", .port = modbus_port_}, milliseconds(500));
  ASSERT_TRUE(link);
  ASSERT_TRUE((*link)->connect());
  EXPECT_FALSE((*link)->writeRegister(1, 2, 1)) << "barrier state must not be writable";
  auto magic = (*link)->readHolding(1, 0, 2);
  ASSERT_TRUE(magic);
  EXPECT_EQ((*magic)[0], 0x4B4C);
  (*link)->close();
  // A crash and restart: every output at rest, nothing commanded.
  ASSERT_TRUE(lane_->sendSignal(SIGKILL));
  (void)lane_->wait(seconds(3));
  lane_.reset();
  startController({"--modbus", "127.0.0.1:" + std::to_string(modbus_port_)});
  const auto s = state();
  EXPECT_EQ(s["open_pulse"], false);
  EXPECT_EQ(s["close_pulse"], false);
  EXPECT_EQ(s["green_light"], false);
  EXPECT_EQ(s["open_pulses"], 0);
}

// Only kordond may command the barrier: a client from outside modbus.allow_from is closed before
// a byte is read and counted; one from inside is answered.
TEST_F(LaneControllerHilTest, AClientOutsideTheAllowListIsClosedAndCounted) {
  auto port = test::freeLoopbackPort();
  ASSERT_TRUE(port);
  startController({"--modbus", "127.0.0.1:" + std::to_string(*port), "--allow-from", "127.0.0.2"});
  ASSERT_TRUE(test::waitForTcpPort("127.0.0.1", *port, seconds(5)));  // counted as one refusal
  auto link = LibmodbusLink::tcp({.host = "127.0.0.1", .port = *port}, milliseconds(500));
  ASSERT_TRUE(link);
  (void)(*link)->connect();
  EXPECT_FALSE((*link)->readHolding(1, 0, 2)) << "a client from 127.0.0.1 was answered";
  (*link)->close();
  EXPECT_TRUE(waitState([](const auto& s) { return s["refused_clients"] >= 2; }, seconds(2)))
      << state().dump();

  // From 127.0.0.2 (a socket bound to it): FC03 of the two magic registers is answered.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in from{};
  from.sin_family = AF_INET;
  ::inet_pton(AF_INET, "127.0.0.2", &from.sin_addr);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof(from)), 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(*port);
  ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)), 0);
  const std::uint8_t request[] = {0x00, 0x01, 0x00, 0x00, 0x00, 0x06,
                                  0x01, 0x03, 0x00, 0x00, 0x00, 0x02};
  ASSERT_EQ(::send(fd, request, sizeof(request), 0), static_cast<ssize_t>(sizeof(request)));
  timeval timeout{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::uint8_t reply[64] = {};
  std::size_t got = 0;
  while (got < 13) {
    const ssize_t n = ::recv(fd, reply + got, sizeof(reply) - got, 0);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  ASSERT_EQ(got, 13u);        // MBAP 7 + FC 1 + byte count 1 + 2 registers
  EXPECT_EQ(reply[7], 0x03);  // no exception
  EXPECT_EQ(reply[9], 0x4B);  // "KL", the map's magic
  EXPECT_EQ(reply[10], 0x4C);
}

// A figure for docs/BENCHMARKS.md: one status read (FC03, 11 registers) over loopback TCP.
TEST_F(LaneControllerHilTest, ModbusTcpRoundTrip) {
  auto port = test::freeLoopbackPort();
  ASSERT_TRUE(port);
  startController({"--modbus", "127.0.0.1:" + std::to_string(*port)});
  ASSERT_TRUE(test::waitForTcpPort("127.0.0.1", *port, seconds(5)));
  auto link = LibmodbusLink::tcp({.host = "127.0.0.1", .port = *port}, milliseconds(500));
  ASSERT_TRUE(link && (*link)->connect());
  std::vector<double> us;
  for (int i = 0; i < 500; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE((*link)->readHolding(1, 0, 11));
    us.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  std::printf(
      "[ bench ] lane controller Modbus TCP status read: median %.0f us, p99 %.0f us "
      "(%zu reads)\n",
      us[us.size() / 2], us[us.size() * 99 / 100], us.size());
}

TEST_F(LaneControllerHilTest, RtuOverAPtyPair) {
  auto pty = test::startPtyPair(dir_);
  ASSERT_TRUE(pty) << pty.status().message();
  startController({"--rtu", pty->a, "--baud", "19200"});
  BarrierConfig c;
  c.type = "lane-modbus-rtu";
  c.serial_device = pty->b;
  c.response_timeout_ms = 500;
  startDriver(c);
  openBarrier("open-rtu");
  const auto mark = statuses_.size();
  barrier_->requestClose("close-rtu");
  EXPECT_TRUE(statuses_.waitFor(mark, at(BarrierPosition::kClosed, "close-rtu"), seconds(5)));
}

}  // namespace
}  // namespace kordon::drivers
