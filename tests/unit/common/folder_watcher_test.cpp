// SPDX-License-Identifier: Apache-2.0
// FolderWatcher scan by scan (scanOnce) on a temporary folder: stable files only, hidden and
// foreign files ignored, done/ and failed/ moves, move failures retried, folder availability.

#include "drivers/common/folder_watcher.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace kordon::drivers {
namespace {

namespace fs = std::filesystem;

class FolderWatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "kordon-watch-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    fs::create_directories(in());
    config_.folder = in().string();
    config_.extensions = {".n42", ".xml"};
    config_.poll_interval_ms = 10;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  fs::path in() const { return root_ / "in"; }
  void write(const std::string& name, const std::string& bytes) {
    std::ofstream(in() / name, std::ios::binary) << bytes;
  }
  std::unique_ptr<FolderWatcher> make() {
    return std::make_unique<FolderWatcher>(
        config_,
        [this](const fs::path& file, const std::string& bytes) -> FileOutcome {
          std::lock_guard lock(mutex_);
          taken_.emplace_back(file.filename().string(), bytes);
          if (bytes == "retry") return FileOutcome::retry("not now");
          if (bytes == "bad") return Status::error("bad document");
          return Status::ok();
        },
        [this](bool available, const std::string& reason) {
          std::lock_guard lock(mutex_);
          folder_.emplace_back(available, reason);
        },
        [this](FolderProblem problem, const fs::path& file, const std::string&) {
          std::lock_guard lock(mutex_);
          problems_.emplace_back(problem, file.filename().string());
        });
  }
  std::size_t takenCount() {
    std::lock_guard lock(mutex_);
    return taken_.size();
  }

  fs::path root_;
  FolderWatcherConfig config_;
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> taken_;
  std::vector<std::pair<bool, std::string>> folder_;
  std::vector<std::pair<FolderProblem, std::string>> problems_;
};

TEST_F(FolderWatcherTest, TakesAFileOnlyOnceItIsStable) {
  auto watcher = make();
  write("a.N42", "first");
  watcher->scanOnce();
  EXPECT_TRUE(taken_.empty()) << "a file seen once may still be growing";
  write("a.N42", "first and more");  // still being written
  watcher->scanOnce();
  EXPECT_TRUE(taken_.empty());
  watcher->scanOnce();
  ASSERT_EQ(taken_.size(), 1U);
  EXPECT_EQ(taken_[0].first, "a.N42");
  EXPECT_EQ(taken_[0].second, "first and more");
  EXPECT_TRUE(fs::exists(in() / "done" / "a.N42"));
  EXPECT_FALSE(fs::exists(in() / "a.N42"));
  watcher->scanOnce();
  EXPECT_EQ(taken_.size(), 1U);
  ASSERT_FALSE(folder_.empty());
  EXPECT_TRUE(folder_.back().first);
}

TEST_F(FolderWatcherTest, IgnoresHiddenForeignAndOptionallyEmptyFiles) {
  config_.ignore_empty_files = true;
  auto watcher = make();
  write(".hidden.n42", "x");
  write("notes.txt", "x");
  write("empty.xml", "");
  fs::create_directories(in() / "sub.n42");
  watcher->scanOnce();
  watcher->scanOnce();
  watcher->scanOnce();
  EXPECT_TRUE(taken_.empty());
  EXPECT_TRUE(fs::exists(in() / ".hidden.n42"));
  EXPECT_TRUE(fs::exists(in() / "notes.txt"));
  EXPECT_TRUE(fs::exists(in() / "empty.xml"));
  EXPECT_TRUE(problems_.empty());
}

TEST_F(FolderWatcherTest, MovesToDoneOrFailedAndKeepsRetriesInPlace) {
  auto watcher = make();
  write("good.xml", "good");
  write("bad.xml", "bad");
  write("later.xml", "retry");
  fs::create_directories(in() / "done");
  std::ofstream(in() / "done" / "good.xml") << "an older one";
  watcher->scanOnce();
  watcher->scanOnce();
  ASSERT_EQ(taken_.size(), 3U);
  EXPECT_EQ(taken_[0].first, "bad.xml");  // in name order
  EXPECT_TRUE(fs::exists(in() / "done" / "good.xml.1")) << "name taken: suffixed";
  EXPECT_TRUE(fs::exists(in() / "failed" / "bad.xml"));
  EXPECT_TRUE(fs::exists(in() / "later.xml"));
  watcher->scanOnce();  // first sight again
  EXPECT_EQ(taken_.size(), 3U);
  watcher->scanOnce();
  EXPECT_EQ(taken_.size(), 4U);
  EXPECT_EQ(taken_.back().first, "later.xml");
}

TEST_F(FolderWatcherTest, UnreadableOrTooLargeGoesToFailedWithoutTheHandler) {
  config_.max_bytes = 4;
  auto watcher = make();
  write("big.n42", "12345");
  watcher->scanOnce();
  watcher->scanOnce();
  EXPECT_TRUE(taken_.empty());
  ASSERT_EQ(problems_.size(), 1U);
  EXPECT_EQ(problems_[0].first, FolderProblem::kUnreadable);
  EXPECT_EQ(problems_[0].second, "big.n42");
  EXPECT_TRUE(fs::exists(in() / "failed" / "big.n42"));
}

TEST_F(FolderWatcherTest, AFileThatCannotBeMovedIsCountedOnceAndItsMoveRetried) {
  auto watcher = make();
  std::ofstream(in() / "done") << "a file where the folder should be";
  write("a.n42", "good");
  watcher->scanOnce();
  watcher->scanOnce();
  watcher->scanOnce();
  watcher->scanOnce();
  EXPECT_EQ(taken_.size(), 1U) << "handled once, never handed over again";
  ASSERT_EQ(problems_.size(), 1U);
  EXPECT_EQ(problems_[0].first, FolderProblem::kNotMoved);
  EXPECT_EQ(watcher->moveFailures(), 1U);
  EXPECT_TRUE(fs::exists(in() / "a.n42"));
  fs::remove(in() / "done");
  watcher->scanOnce();
  EXPECT_TRUE(fs::exists(in() / "done" / "a.n42"));
  EXPECT_EQ(taken_.size(), 1U);
  EXPECT_EQ(problems_.size(), 1U);
}

TEST_F(FolderWatcherTest, ReportsAMissingFolderAndPrepareCreatesSubfolders) {
  auto watcher = make();
  EXPECT_TRUE(watcher->prepare());
  EXPECT_TRUE(fs::is_directory(in() / "done"));
  EXPECT_TRUE(fs::is_directory(in() / "failed"));
  fs::remove_all(in());
  EXPECT_FALSE(watcher->prepare());
  watcher->scanOnce();
  ASSERT_EQ(folder_.size(), 1U);
  EXPECT_FALSE(folder_[0].first);
  EXPECT_NE(folder_[0].second.find(in().string()), std::string::npos);
  fs::create_directories(in());
  watcher->scanOnce();
  ASSERT_EQ(folder_.size(), 2U);
  EXPECT_TRUE(folder_[1].first);
}

TEST_F(FolderWatcherTest, WorkerThreadTakesFilesUntilStopped) {
  auto watcher = make();
  watcher->start();
  write("a.xml", "good");
  for (int i = 0; i < 300 && takenCount() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  watcher->stop();
  EXPECT_EQ(takenCount(), 1U);
  EXPECT_TRUE(fs::exists(in() / "done" / "a.xml"));
  write("b.xml", "good");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(takenCount(), 1U) << "no scans after stop()";
  watcher->stop();   // idempotent
  watcher->start();  // restartable
  for (int i = 0; i < 300 && takenCount() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  watcher->stop();
  EXPECT_EQ(takenCount(), 2U);
}

TEST(ReadWholeFileTest, ReadsBytesAndEnforcesTheLimit) {
  const fs::path file = fs::temp_directory_path() / "kordon-read-whole-file.bin";
  const std::string bytes("a\0b\nc", 5);
  std::ofstream(file, std::ios::binary) << bytes;
  auto read = readWholeFile(file);
  ASSERT_TRUE(read);
  EXPECT_EQ(*read, bytes);
  EXPECT_TRUE(readWholeFile(file, 5));
  EXPECT_FALSE(readWholeFile(file, 4));
  fs::remove(file);
  EXPECT_FALSE(readWholeFile(file));
}

}  // namespace
}  // namespace kordon::drivers
