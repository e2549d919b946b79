// SPDX-License-Identifier: Apache-2.0
// ModbusWeighbridge against a scripted FakeModbusLink. Most tests drive the state machine with
// stepForTest() and a FakeClock, so backoff, health and stability are checked deterministically;
// the threaded tests check start()/stop().

#include "drivers/weighbridge/modbus_weighbridge.hpp"

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <modbus/modbus.h>

#include "drivers/common/modbus_link.hpp"
#include "drivers/weighbridge/register_map.hpp"
#include "drivers/weighbridge/weighbridge.hpp"
#include "edge/base/clock.hpp"
#include "tests/support/device_loop.hpp"

namespace kordon::drivers {
namespace {

using msg::DeviceHealth;
using msg::WeightState;
using std::chrono::milliseconds;
using State = ModbusWeighbridge::State;

class FakeClock final : public Clock {
 public:
  WallMs nowWallMs() const override { return kWallStartMs + elapsed_.count(); }
  std::chrono::steady_clock::time_point nowSteady() const override {
    return std::chrono::steady_clock::time_point(std::chrono::hours(1)) + elapsed_;
  }
  void advance(milliseconds by) { elapsed_ += by; }

  static constexpr WallMs kWallStartMs = 1795602300000;

 private:
  milliseconds elapsed_{0};
};

// A scripted device. Thread-safe, so the threaded tests can use it too.
class FakeModbusLink final : public ModbusLink {
 public:
  struct Failure {
    Status error;
    bool drops_connection = false;
  };

  Result<std::vector<std::uint16_t>> readHolding(int unit, int addr, int count) override {
    std::lock_guard lock(mutex_);
    ++reads_;
    last_request_ = {unit, addr, count};
    if (!connected_) return Status::error("not connected");
    if (!failures_.empty()) {
      const Failure failure = failures_.front();
      failures_.pop_front();
      if (failure.drops_connection) connected_ = false;
      return failure.error;
    }
    return block_;
  }
  Status writeRegister(int, int, std::uint16_t) override { return Status::ok(); }
  Status connect() override {
    std::lock_guard lock(mutex_);
    ++connects_;
    if (refuse_) return modbusError("connect fake", ECONNREFUSED);
    connected_ = true;
    return Status::ok();
  }
  void close() override {
    std::lock_guard lock(mutex_);
    connected_ = false;
  }
  bool isConnected() const override {
    std::lock_guard lock(mutex_);
    return connected_;
  }
  std::string describe() const override { return "fake"; }

  void setBlock(std::vector<std::uint16_t> block) {
    std::lock_guard lock(mutex_);
    block_ = std::move(block);
  }
  void refuseConnections(bool refuse) {
    std::lock_guard lock(mutex_);
    refuse_ = refuse;
  }
  void failNextReads(int count, Failure failure) {
    std::lock_guard lock(mutex_);
    for (int i = 0; i < count; ++i) failures_.push_back(failure);
  }
  int connects() const {
    std::lock_guard lock(mutex_);
    return connects_;
  }
  std::vector<int> lastRequest() const {
    std::lock_guard lock(mutex_);
    return last_request_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::uint16_t> block_;
  std::deque<Failure> failures_;
  std::vector<int> last_request_;
  bool refuse_ = false;
  bool connected_ = false;
  int connects_ = 0;
  int reads_ = 0;
};

// Laumas golden block {status, gross high, gross low}; see weight_decoder.hpp.
std::vector<std::uint16_t> laumasBlock(std::int64_t kg, bool stable) {
  const std::uint64_t magnitude = static_cast<std::uint64_t>(kg < 0 ? -kg : kg);
  std::uint16_t status = stable ? 0x0800 : 0x0000;
  if (kg < 0) status |= 0x0080;
  return {status, static_cast<std::uint16_t>(magnitude >> 16),
          static_cast<std::uint16_t>(magnitude & 0xFFFF)};
}

const FakeModbusLink::Failure kTimeout{modbusError("read holding 6+3 from unit 1", ETIMEDOUT)};
const FakeModbusLink::Failure kBadCrc{modbusError("read holding 6+3 from unit 1", EMBBADCRC)};
const FakeModbusLink::Failure kReset{modbusError("read holding 6+3 from unit 1", ECONNRESET), true};

WeighbridgeConfig testConfig() {
  WeighbridgeConfig config;
  config.device_id = "wb-test";
  config.lane = "L7";
  config.unit_id = 3;
  config.poll_interval_ms = 200;
  config.stable_band_kg = 20;
  config.stable_time_ms = 1000;
  config.backoff_initial_ms = 250;
  config.backoff_max_ms = 2000;
  config.stale_after_ms = 2000;
  return config;
}

class ModbusWeighbridgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto link = std::make_unique<FakeModbusLink>();
    link_ = link.get();
    link_->setBlock(laumasBlock(0, true));
    driver_ = std::make_unique<ModbusWeighbridge>(
        testConfig(), *findRegisterMap("laumas"), std::move(link),
        [this](const msg::WeightReading& r) { readings_.push_back(r); }, clock_);
  }

  // One step; returns the reading it published (the test fails if it published none).
  msg::WeightReading stepExpectingReading() {
    const std::size_t before = readings_.size();
    last_delay_ = driver_->stepForTest();
    EXPECT_EQ(readings_.size(), before + 1) << "the step should publish one reading";
    return readings_.empty() ? msg::WeightReading{} : readings_.back();
  }

  void connect() {
    const std::size_t before = readings_.size();
    ASSERT_EQ(driver_->stepForTest(), milliseconds(0));
    ASSERT_EQ(driver_->stateForTest(), State::kPoll);
    ASSERT_EQ(readings_.size(), before) << "connecting publishes nothing";
  }

  // Polls every poll_interval_ms for `duration`; returns the last reading.
  msg::WeightReading pollFor(milliseconds duration) {
    msg::WeightReading last = stepExpectingReading();
    for (milliseconds t{0}; t < duration; t += milliseconds(200)) {
      clock_.advance(milliseconds(200));
      last = stepExpectingReading();
    }
    return last;
  }

  FakeClock clock_;
  FakeModbusLink* link_ = nullptr;
  std::vector<msg::WeightReading> readings_;
  std::unique_ptr<ModbusWeighbridge> driver_;
  milliseconds last_delay_{-1};
};

void expectNoWeight(const msg::WeightReading& r) {
  EXPECT_NE(r.state, WeightState::kStable);
  EXPECT_EQ(r.state, WeightState::kError);
  EXPECT_EQ(r.gross_kg, 0);
}

TEST_F(ModbusWeighbridgeTest, BacksOffExponentiallyWhileUnreachable) {
  link_->refuseConnections(true);
  for (int expected_ms : {250, 500, 1000, 2000, 2000}) {
    const auto r = stepExpectingReading();
    EXPECT_EQ(last_delay_, milliseconds(expected_ms));
    EXPECT_EQ(driver_->stateForTest(), State::kBackoff);
    EXPECT_EQ(r.health, DeviceHealth::kNotConnected);
    expectNoWeight(r);
    clock_.advance(last_delay_);
  }
  EXPECT_EQ(link_->connects(), 5);
  EXPECT_EQ(driver_->health(), DeviceHealth::kNotConnected);
  EXPECT_EQ(driver_->counters().reconnects.load(), 0U);
  EXPECT_EQ(driver_->counters().comms_errors.load(), 0U);  // connect attempts are not counted
}

TEST_F(ModbusWeighbridgeTest, ReadingCarriesIdentityTimesAndRequestsTheMapBlock) {
  connect();
  link_->setBlock(laumasBlock(38420, true));
  const auto r = stepExpectingReading();
  EXPECT_EQ(last_delay_, milliseconds(200));
  EXPECT_EQ(r.device_id, "wb-test");
  EXPECT_EQ(r.lane, "L7");
  EXPECT_EQ(r.time_ms, FakeClock::kWallStartMs);
  EXPECT_EQ(r.sampled_at, clock_.nowSteady());
  EXPECT_EQ(r.health, DeviceHealth::kGood);
  EXPECT_EQ(link_->lastRequest(), (std::vector<int>{3, 6, 3}));  // unit 3, wire 6, 3 registers
  EXPECT_EQ(driver_->counters().readings.load(), 1U);
}

TEST_F(ModbusWeighbridgeTest, StableOnlyAfterStableTime) {
  connect();
  link_->setBlock(laumasBlock(38420, true));
  for (int i = 0; i < 5; ++i) {  // 0..800 ms
    const auto r = stepExpectingReading();
    EXPECT_EQ(r.state, WeightState::kMotion) << i;
    EXPECT_EQ(r.gross_kg, 38420);
    clock_.advance(milliseconds(200));
  }
  const auto r = stepExpectingReading();  // 1000 ms
  EXPECT_EQ(r.state, WeightState::kStable);
  EXPECT_EQ(r.gross_kg, 38420);
  EXPECT_EQ(r.health, DeviceHealth::kGood);
}

TEST_F(ModbusWeighbridgeTest, IndicatorMotionIsNeverStable) {
  connect();
  link_->setBlock(laumasBlock(12000, false));
  const auto r = pollFor(milliseconds(3000));
  EXPECT_EQ(r.state, WeightState::kMotion);
  EXPECT_EQ(r.gross_kg, 12000);
}

TEST_F(ModbusWeighbridgeTest, UnderZeroOverloadAndErrorCarryNoNumber) {
  connect();
  link_->setBlock(laumasBlock(-40, true));
  auto r = pollFor(milliseconds(1200));
  EXPECT_EQ(r.state, WeightState::kUnderZero);
  EXPECT_EQ(r.gross_kg, 0);
  EXPECT_EQ(r.health, DeviceHealth::kGood);

  link_->setBlock({0x0808, 0x0000, 0x9614});  // stable + gross > 110 % full scale
  r = pollFor(milliseconds(1200));
  EXPECT_EQ(r.state, WeightState::kOverload);
  EXPECT_EQ(r.gross_kg, 0);

  link_->setBlock({0x0801, 0x0000, 0x9614});  // stable + load-cell error
  r = stepExpectingReading();
  EXPECT_EQ(r.state, WeightState::kError);
  EXPECT_EQ(r.gross_kg, 0);
}

TEST_F(ModbusWeighbridgeTest, TimeoutsDegradeThenDropTheLinkWithoutInventingAWeight) {
  connect();
  link_->setBlock(laumasBlock(38420, true));
  ASSERT_EQ(pollFor(milliseconds(1000)).state, WeightState::kStable);

  link_->failNextReads(ModbusWeighbridge::kMaxConsecutiveFailures, kTimeout);
  for (int i = 1; i < ModbusWeighbridge::kMaxConsecutiveFailures; ++i) {
    clock_.advance(milliseconds(200));
    const auto r = stepExpectingReading();
    EXPECT_EQ(r.health, DeviceHealth::kDegraded);
    expectNoWeight(r);
    EXPECT_EQ(driver_->stateForTest(), State::kPoll);
    EXPECT_EQ(last_delay_, milliseconds(200));
  }
  clock_.advance(milliseconds(200));
  const auto r = stepExpectingReading();
  EXPECT_EQ(r.health, DeviceHealth::kNotConnected);
  expectNoWeight(r);
  EXPECT_EQ(driver_->stateForTest(), State::kBackoff);
  EXPECT_EQ(last_delay_, milliseconds(250));
  EXPECT_FALSE(link_->isConnected());
  EXPECT_EQ(driver_->counters().timeouts.load(), 3U);
  EXPECT_EQ(driver_->counters().comms_errors.load(), 0U);
}

TEST_F(ModbusWeighbridgeTest, NoDataWhenTheLastGoodSampleIsStale) {
  connect();
  stepExpectingReading();
  clock_.advance(milliseconds(2001));
  link_->failNextReads(1, kBadCrc);
  const auto r = stepExpectingReading();
  EXPECT_EQ(r.health, DeviceHealth::kNoData);
  expectNoWeight(r);
  EXPECT_EQ(driver_->counters().comms_errors.load(), 1U);
  EXPECT_EQ(driver_->counters().timeouts.load(), 0U);
}

TEST_F(ModbusWeighbridgeTest, FirstPollFailingAfterConnectIsNoData) {
  connect();
  link_->failNextReads(1, kTimeout);
  EXPECT_EQ(stepExpectingReading().health, DeviceHealth::kNoData);
}

TEST_F(ModbusWeighbridgeTest, UndecodableBlockIsACommsError) {
  connect();
  stepExpectingReading();
  link_->setBlock({0x0800, 0x0001});  // one register short
  clock_.advance(milliseconds(200));
  const auto r = stepExpectingReading();
  EXPECT_EQ(r.health, DeviceHealth::kDegraded);
  expectNoWeight(r);
  EXPECT_EQ(driver_->counters().comms_errors.load(), 1U);
  EXPECT_EQ(driver_->counters().readings.load(), 1U);
}

TEST_F(ModbusWeighbridgeTest, LostConnectionReconnectsAndCounts) {
  connect();
  stepExpectingReading();
  link_->failNextReads(1, kReset);
  const auto lost = stepExpectingReading();
  EXPECT_EQ(lost.health, DeviceHealth::kNotConnected);
  EXPECT_EQ(driver_->stateForTest(), State::kBackoff);
  EXPECT_EQ(last_delay_, milliseconds(250));
  EXPECT_EQ(driver_->counters().comms_errors.load(), 1U);

  clock_.advance(last_delay_);
  connect();
  EXPECT_EQ(driver_->counters().reconnects.load(), 1U);
  EXPECT_EQ(stepExpectingReading().health, DeviceHealth::kGood);
}

TEST_F(ModbusWeighbridgeTest, BackoffGrowsUntilAGoodSampleResetsIt) {
  connect();
  // The device accepts connections but resets each one at the first request.
  for (int expected_ms : {250, 500, 1000}) {
    link_->failNextReads(1, kReset);
    stepExpectingReading();
    EXPECT_EQ(last_delay_, milliseconds(expected_ms));
    clock_.advance(last_delay_);
    connect();
  }
  stepExpectingReading();  // good sample
  link_->failNextReads(1, kReset);
  stepExpectingReading();
  EXPECT_EQ(last_delay_, milliseconds(250));
  EXPECT_EQ(driver_->counters().reconnects.load(), 3U);
}

TEST_F(ModbusWeighbridgeTest, StabilityStartsOverAfterAFailedPoll) {
  connect();
  link_->setBlock(laumasBlock(38420, true));
  ASSERT_EQ(pollFor(milliseconds(1000)).state, WeightState::kStable);
  link_->failNextReads(1, kTimeout);
  clock_.advance(milliseconds(200));
  stepExpectingReading();
  clock_.advance(milliseconds(200));
  EXPECT_EQ(pollFor(milliseconds(800)).state, WeightState::kMotion);
  clock_.advance(milliseconds(200));
  EXPECT_EQ(stepExpectingReading().state, WeightState::kStable);
}

// --- threaded ---------------------------------------------------------------------------------

class Recorder {
 public:
  void add(const msg::WeightReading& r) {
    std::lock_guard lock(mutex_);
    readings_.push_back(r);
    threads_.push_back(std::this_thread::get_id());
    changed_.notify_all();
  }
  bool waitForCount(std::size_t count, milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return readings_.size() >= count; });
  }
  std::vector<std::thread::id> threads() const {
    std::lock_guard lock(mutex_);
    return threads_;
  }
  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return readings_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<msg::WeightReading> readings_;
  std::vector<std::thread::id> threads_;
};

TEST(ModbusWeighbridgeThreads, PollsOnItsOwnThreadAndStopsPromptly) {
  SystemClock clock;
  Recorder recorder;
  auto link = std::make_unique<FakeModbusLink>();
  link->setBlock(laumasBlock(38420, true));
  WeighbridgeConfig config = testConfig();
  config.poll_interval_ms = 5;
  ModbusWeighbridge driver(
      config, *findRegisterMap("laumas"), std::move(link),
      [&](const msg::WeightReading& r) { recorder.add(r); }, clock);
  driver.start();
  driver.start();  // a second start is a no-op
  ASSERT_TRUE(recorder.waitForCount(5, std::chrono::seconds(5)));
  for (const auto id : recorder.threads()) EXPECT_NE(id, std::this_thread::get_id());

  const auto before_stop = std::chrono::steady_clock::now();
  driver.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before_stop, milliseconds(500));
  driver.stop();  // idempotent
  const std::size_t after_stop = recorder.count();
  std::this_thread::sleep_for(milliseconds(30));
  EXPECT_EQ(recorder.count(), after_stop) << "no readings after stop()";

  driver.start();  // restartable
  ASSERT_TRUE(recorder.waitForCount(after_stop + 3, std::chrono::seconds(5)));
  EXPECT_EQ(driver.counters().reconnects.load(), 1U);  // stop() closed the link
}  // the destructor stops the worker

TEST(ModbusWeighbridgeThreads, StopIsPromptDuringALongBackoff) {
  SystemClock clock;
  Recorder recorder;
  auto link = std::make_unique<FakeModbusLink>();
  link->refuseConnections(true);
  WeighbridgeConfig config = testConfig();
  config.backoff_initial_ms = 60000;
  config.backoff_max_ms = 60000;
  ModbusWeighbridge driver(
      config, *findRegisterMap("laumas"), std::move(link),
      [&](const msg::WeightReading& r) { recorder.add(r); }, clock);
  driver.start();
  ASSERT_TRUE(recorder.waitForCount(1, std::chrono::seconds(5)));
  const auto before_stop = std::chrono::steady_clock::now();
  driver.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before_stop, milliseconds(500));
}

// --- factory ----------------------------------------------------------------------------------

TEST(MakeWeighbridge, UnknownTypeNamesTheKnownOnes) {
  WeighbridgeConfig config;
  config.type = "carrier-pigeon";
  SystemClock clock;
  test::DeviceLoop loop;
  const auto made =
      makeWeighbridge(config, loop.context(clock), {[](const msg::WeightReading&) {}});
  ASSERT_FALSE(made);
  EXPECT_EQ(made.status().message(),
            "unknown weighbridge type 'carrier-pigeon' (known: modbus-tcp, modbus-rtu, toledo-tcp, "
            "toledo-serial)");
}

TEST(MakeWeighbridge, UnknownRegisterMapNamesTheKnownOnes) {
  WeighbridgeConfig config;
  config.register_map = "mettler";
  SystemClock clock;
  test::DeviceLoop loop;
  const auto made =
      makeWeighbridge(config, loop.context(clock), {[](const msg::WeightReading&) {}});
  ASSERT_FALSE(made);
  EXPECT_EQ(made.status().message(),
            "unknown weighbridge register map 'mettler' (known: laumas, flintec, flintec-ft111)");
}

TEST(MakeWeighbridge, RejectsUnusableSettings) {
  SystemClock clock;
  test::DeviceLoop loop;
  WeighbridgeConfig config;
  config.poll_interval_ms = 0;
  auto made = makeWeighbridge(config, loop.context(clock), {[](const msg::WeightReading&) {}});
  ASSERT_FALSE(made);
  EXPECT_EQ(made.status().message(), "weighbridge 'wb1': poll_interval_ms must be > 0 (got 0)");

  config = WeighbridgeConfig{};
  config.backoff_max_ms = 100;
  EXPECT_FALSE(makeWeighbridge(config, loop.context(clock), {[](const msg::WeightReading&) {}}));
  config = WeighbridgeConfig{};
  EXPECT_FALSE(makeWeighbridge(config, loop.context(clock), {}));
}

TEST(MakeWeighbridge, BuildsAModbusTcpDriverWithoutConnecting) {
  SystemClock clock;
  test::DeviceLoop loop;
  WeighbridgeConfig config;
  config.register_map = "flintec";
  auto made = makeWeighbridge(config, loop.context(clock), {[](const msg::WeightReading&) {}});
  ASSERT_TRUE(made) << made.status().message();
  ASSERT_NE(made->get(), nullptr);
  EXPECT_EQ((*made)->counters().readings.load(), 0U);
}

// --- Flintec FT-111: map decode and the heartbeat (frozen-indicator) check -------------------

// FT-111 golden block (weight_decoder.hpp): wire 0..11, High-Low.
std::vector<std::uint16_t> ft111Block(std::int64_t kg, bool stable, std::uint32_t heartbeat,
                                      std::uint16_t error_status = 0) {
  const auto raw = static_cast<std::uint32_t>(kg);
  const auto hi = static_cast<std::uint16_t>(raw >> 16);
  const auto lo = static_cast<std::uint16_t>(raw & 0xFFFF);
  const std::uint16_t status = stable ? 0x0000 : 0x0004;  // B2 unstable
  return {hi,
          lo,
          0,
          0,
          hi,
          lo,
          0x0000,
          status,
          0,
          error_status,
          static_cast<std::uint16_t>(heartbeat >> 16),
          static_cast<std::uint16_t>(heartbeat)};
}

TEST(FlintecFt111MapTest, DecodesGoldenBlocks) {
  const RegisterMap* map = findRegisterMap("flintec-ft111");
  ASSERT_NE(map, nullptr);
  EXPECT_EQ(map->block_start, 0);
  EXPECT_EQ(map->block_count, 12);
  EXPECT_EQ(map->heartbeat_addr, 10);

  auto s = decodeWeight(ft111Block(38420, true, 42), *map);
  ASSERT_TRUE(s) << s.status().message();
  EXPECT_EQ(s->gross_kg, 38420);
  EXPECT_EQ(s->state, WeightState::kStable);
  s = decodeWeight(ft111Block(123456, false, 42), *map);
  EXPECT_EQ(s->gross_kg, 123456);
  EXPECT_EQ(s->state, WeightState::kMotion);
  s = decodeWeight(ft111Block(-40, true, 42), *map);
  EXPECT_EQ(s->state, WeightState::kUnderZero);
  EXPECT_EQ(decodeWeight(ft111Block(100, true, 1, 0x0004), *map)->state, WeightState::kError);
  EXPECT_EQ(decodeWeight(ft111Block(100, true, 1, 0x0040), *map)->state, WeightState::kError);
  EXPECT_EQ(decodeWeight(ft111Block(100, true, 1, 0x0010), *map)->state, WeightState::kOverload);
  EXPECT_EQ(decodeWeight(ft111Block(100, true, 1, 0x0020), *map)->state, WeightState::kOverload);
  auto decimals = ft111Block(100, true, 1);
  decimals[6] = 0x1000;  // B28: one decimal place; the driver wants integer kg
  EXPECT_EQ(decodeWeight(decimals, *map)->state, WeightState::kError);
  EXPECT_FALSE(decodeWeight(std::vector<std::uint16_t>(9, 0), *map));
}

class Ft111HeartbeatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto link = std::make_unique<FakeModbusLink>();
    link_ = link.get();
    WeighbridgeConfig config = testConfig();
    config.register_map = "flintec-ft111";
    config.stale_after_ms = 1000;
    driver_ = std::make_unique<ModbusWeighbridge>(
        config, *findRegisterMap("flintec-ft111"), std::move(link),
        [this](const msg::WeightReading& r) { readings_.push_back(r); }, clock_);
  }

  // Polls once (200 ms of fake time later) with the indicator reporting `heartbeat`.
  msg::WeightReading poll(std::uint32_t heartbeat, std::int64_t kg = 30000) {
    link_->setBlock(ft111Block(kg, true, heartbeat));
    clock_.advance(milliseconds(200));
    (void)driver_->stepForTest();
    return readings_.back();
  }

  FakeClock clock_;
  FakeModbusLink* link_ = nullptr;
  std::vector<msg::WeightReading> readings_;
  std::unique_ptr<ModbusWeighbridge> driver_;
};

TEST_F(Ft111HeartbeatTest, FrozenHeartbeatMeansNoDataAndNoStableReading) {
  link_->setBlock(ft111Block(30000, true, 0));
  ASSERT_EQ(driver_->stepForTest(), milliseconds(0));  // connect
  std::uint32_t heartbeat = 0;
  msg::WeightReading r;
  for (int i = 0; i < 8; ++i) r = poll(heartbeat += 2);  // 1.6 s, heartbeat moving
  EXPECT_EQ(r.health, DeviceHealth::kGood);
  EXPECT_EQ(r.state, WeightState::kStable);
  EXPECT_EQ(r.gross_kg, 30000);

  // Frozen: within stale_after_ms (1000 ms) the value still counts, after it never.
  int frozen_polls = 0;
  for (int i = 1; i <= 10; ++i) {
    r = poll(heartbeat, 30000);
    if (i * 200 > 1000) {
      ++frozen_polls;
      EXPECT_EQ(r.health, DeviceHealth::kNoData) << "poll " << i;
      expectNoWeight(r);
    }
  }
  EXPECT_EQ(frozen_polls, 5);
  EXPECT_EQ(driver_->counters().timeouts.load(), 1U) << "one timeout per frozen episode";
  EXPECT_EQ(driver_->stateForTest(), State::kPoll) << "the link itself works";

  // The heartbeat moves again: good at once, stable again only after stable_time_ms.
  r = poll(++heartbeat);
  EXPECT_EQ(r.health, DeviceHealth::kGood);
  EXPECT_EQ(r.state, WeightState::kMotion);
  for (int i = 0; i < 6; ++i) r = poll(++heartbeat);
  EXPECT_EQ(r.state, WeightState::kStable);
  EXPECT_EQ(driver_->counters().timeouts.load(), 1U);
}

TEST_F(Ft111HeartbeatTest, ReconnectStartsANewBaseline) {
  link_->setBlock(ft111Block(30000, true, 7));
  ASSERT_EQ(driver_->stepForTest(), milliseconds(0));
  for (int i = 0; i < 7; ++i) (void)poll(7);
  EXPECT_EQ(readings_.back().health, DeviceHealth::kNoData);
  link_->failNextReads(1, kReset);  // drops the link
  clock_.advance(milliseconds(200));
  (void)driver_->stepForTest();
  EXPECT_EQ(readings_.back().health, DeviceHealth::kNotConnected);
  clock_.advance(milliseconds(250));
  (void)driver_->stepForTest();  // reconnect
  const auto r = poll(7);
  EXPECT_EQ(r.health, DeviceHealth::kGood) << "the first reply after a connect is a baseline";
}

TEST(MakeWeighbridge, BuildsEveryTransportWithoutConnecting) {
  SystemClock clock;
  test::DeviceLoop loop;
  for (const char* type : {"modbus-rtu", "toledo-tcp", "toledo-serial"}) {
    WeighbridgeConfig config;
    config.type = type;
    config.serial_device = "/dev/null-kordon-test";
    config.register_map = "flintec-ft111";
    const auto made =
        makeWeighbridge(config, loop.context(clock), {[](const msg::WeightReading&) {}});
    EXPECT_TRUE(made) << type << ": " << made.status().message();
  }
  WeighbridgeConfig config;
  config.type = "modbus-rtu";
  config.parity = 'X';
  auto made = makeWeighbridge(config, loop.context(clock), {[](const msg::WeightReading&) {}});
  ASSERT_FALSE(made);
  EXPECT_NE(made.status().message().find("parity"), std::string::npos);
  config.parity = 'E';
  config.stop_bits = 3;
  made = makeWeighbridge(config, loop.context(clock), {[](const msg::WeightReading&) {}});
  ASSERT_FALSE(made);
  EXPECT_NE(made.status().message().find("stop_bits"), std::string::npos);
}

TEST(LaumasMapTest, HasNoHeartbeat) {
  EXPECT_EQ(findRegisterMap("laumas")->heartbeat_addr, kNoRegister);
  EXPECT_EQ(findRegisterMap("flintec")->heartbeat_addr, kNoRegister);
}

}  // namespace
}  // namespace kordon::drivers
