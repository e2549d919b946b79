// SPDX-License-Identifier: Apache-2.0
#pragma once

// A test fixture for sync tests with the whole chain as real processes: a mosquitto, one
// kordond and one kordon-central, in a temporary directory (kept when the test fails, for its
// logs). Post keys are made by the test and registered with central before the first event.
//
//   class MyTest : public SyncRig {};
//   TEST_F(MyTest, ...) {
//     registerPostKey("KZ-A", key, /*install_on_post=*/true);
//     writeCentralConfig("backfill_retry_s = 2\n");
//     writeKordondConfig(postConfig("KZ-A", stateDir(), broker_->uri(), post_http_, dead_port_,
//     1)); startCentral(); startKordond();
//   }

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "edge/base/crypto.hpp"
#include "tests/hil/broker.hpp"
#include "tests/hil/post_config.hpp"
#include "tests/hil/process.hpp"

namespace kordon::test {

class SyncRig : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "kordon-sync-XXXXXX").string();
    dir_ = mkdtemp(pattern.data());
    auto broker = Broker::start(dir_);
    ASSERT_TRUE(broker) << broker.status().message();
    broker_.emplace(std::move(*broker));
    for (auto* port : {&post_http_, &central_http_, &dead_port_}) {
      auto p = freeLoopbackPort();
      ASSERT_TRUE(p);
      *port = *p;
    }
    std::filesystem::create_directories(stateDir());
    std::filesystem::create_directories(dir_ + "/post-keys");
  }

  void TearDown() override {
    if (kordond_) (void)kordond_->terminate(std::chrono::seconds(5));
    if (central_) (void)central_->terminate(std::chrono::seconds(5));
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  std::string stateDir() const { return dir_ + "/state"; }

  // Central learns `post`'s public key; with install_on_post, kordond signs with `key`.
  void registerPostKey(const std::string& post, const SigningKey& key, bool install_on_post) {
    std::ofstream(dir_ + "/post-keys/" + post + ".pub") << key.publicPem();
    if (!install_on_post) return;
    const std::string path = stateDir() + "/post.key";
    std::ofstream(path) << key.privatePem();
    std::filesystem::permissions(
        path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }

  // `central_extra` goes into the [central] table.
  void writeCentralConfig(const std::string& central_extra = "") {
    std::ofstream(dir_ + "/central.toml")
        << "[central]\ndb = \"" << dir_ << "/central.db\"\npost_keys = \"" << dir_
        << "/post-keys\"\n"
        << central_extra << "[mqtt]\nuri = \"" << broker_->uri()
        << "\"\nclient_id = \"central-test\"\n[http]\nlisten = \"127.0.0.1:" << central_http_
        << "\"\ntokens_file = \"" << writeCentralTokens(dir_ + "/tokens.toml")
        << "\"\n[log]\nformat = \"text\"\n";
  }

  void writeKordondConfig(const std::string& text) {
    std::ofstream(dir_ + "/kordond.toml") << text;
  }

  void startCentral() {
    auto p = Process::spawn(
        {KORDON_BIN_DIR "/kordon-central", "serve", "--config", dir_ + "/central.toml"},
        dir_ + "/central.log");
    ASSERT_TRUE(p) << p.status().message();
    central_.emplace(std::move(*p));
    ASSERT_TRUE(waitForTcpPort("127.0.0.1", central_http_, std::chrono::seconds(10)))
        << readTail(dir_ + "/central.log");
  }

  // `wrapper` runs kordond (e.g. {"prlimit", "--nofile=1024:4096", "--"}); `env` is added to
  // its environment ("NAME=value").
  void startKordond(const std::vector<std::string>& wrapper = {},
                    const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv = wrapper;
    for (const char* a : {KORDON_BIN_DIR "/kordond", "--config"}) argv.emplace_back(a);
    argv.push_back(dir_ + "/kordond.toml");
    auto p = Process::spawn(argv, dir_ + "/kordond.log", env);
    ASSERT_TRUE(p) << p.status().message();
    kordond_.emplace(std::move(*p));
    ASSERT_TRUE(waitForTcpPort("127.0.0.1", post_http_, std::chrono::seconds(10)))
        << readTail(dir_ + "/kordond.log");
  }

  std::string dir_;
  std::optional<Broker> broker_;
  std::optional<Process> kordond_;
  std::optional<Process> central_;
  std::uint16_t post_http_ = 0;
  std::uint16_t central_http_ = 0;
  std::uint16_t dead_port_ = 0;  // nothing listens: the lanes' weighbridges
};

}  // namespace kordon::test
