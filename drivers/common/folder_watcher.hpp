// SPDX-License-Identifier: Apache-2.0
#pragma once

// Transport seam for "documents dropped into a folder" (n42-folder, dicos-folder). The watcher
// owns the folder mechanics; the driver only parses, stores and publishes.
//
// Every poll_interval_ms the watcher lists `folder` (not its subfolders) for regular files
// whose extension is one of `extensions` (compared case-insensitively) and whose name does not
// start with '.'. A file is taken only when its size and modification time are unchanged since
// the previous scan, so a file still being written is left alone (writers should still write a
// temporary name and rename). With ignore_empty_files an empty file is never taken.
//
// A taken file is read whole (at most max_bytes when that is not 0) and its bytes are handed
// to the FileHandler, which answers with a FileOutcome:
//   done (an ok Status)            -> moved to <folder>/done/
//   failed (an error Status)       -> moved to <folder>/failed/
//   retry                          -> left in place; taken again once it is stable again
// and then runs the outcome's andThen() action, if any (see FileOutcome).
// A file that cannot be read (or is larger than max_bytes) never reaches the handler: it is
// reported as FolderProblem::kUnreadable and moved to failed/. done/ and failed/ are created
// as needed; a name already taken there gets a ".<n>" suffix. A file that cannot be moved is
// reported once as FolderProblem::kNotMoved, never handed to the handler again, and its move
// is retried at every later scan while it is still there and unchanged.
//
// Folder availability: every scan calls the FolderCallback, available=false with a reason when
// the folder is missing or cannot be listed (no file is taken then), available=true otherwise
// (before any file of that scan is handled). Drivers turn it into health and deduplicate.
//
// Thread contract: start() runs the scans on the watcher's own worker thread (io_context and a
// steady_timer; the first scan at once, then every poll_interval_ms); every callback runs on
// that thread, one at a time. start()/stop() are called from one controlling thread; stop()
// joins the worker, so no callback runs after it returns, and it must not be called from a
// callback. scanOnce() runs one scan on the calling thread (unit tests; not mixed with start()).
// An exception escaping a callback is caught and reported as FolderProblem::kException.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "edge/base/status.hpp"

namespace kordon::drivers {

// Reads the whole file; an error when it cannot be opened or read, or when max_bytes is not 0
// and the file is larger.
Result<std::string> readWholeFile(const std::filesystem::path& path, std::uintmax_t max_bytes = 0);

struct FolderWatcherConfig {
  std::string folder;
  std::vector<std::string> extensions;  // with the dot: ".n42"; any case matches
  int poll_interval_ms = 250;
  std::uintmax_t max_bytes = 0;  // 0: no limit
  bool ignore_empty_files = false;
};

// What the FileHandler decided for one file. Converts from a Status: ok -> done, error ->
// failed with that reason, so a handler may simply return a Status.
class FileOutcome {
 public:
  enum class Kind { kDone, kFailed, kRetry };
  FileOutcome(Status status)  // NOLINT(google-explicit-constructor)
      : kind_(status ? Kind::kDone : Kind::kFailed), reason_(status.message()) {}
  static FileOutcome done() { return FileOutcome(Kind::kDone, ""); }
  static FileOutcome failed(std::string reason) {
    return FileOutcome(Kind::kFailed, std::move(reason));
  }
  static FileOutcome retry(std::string reason) {
    return FileOutcome(Kind::kRetry, std::move(reason));
  }
  // `then` runs on the worker after the file was moved (or its move failed), so whoever is told
  // of the result (the driver's publish) already finds the file in done/ or failed/.
  FileOutcome andThen(std::function<void()> then) && {
    then_ = std::move(then);
    return std::move(*this);
  }
  Kind kind() const { return kind_; }
  const std::string& reason() const { return reason_; }
  const std::function<void()>& then() const { return then_; }

 private:
  FileOutcome(Kind kind, std::string reason) : kind_(kind), reason_(std::move(reason)) {}
  Kind kind_;
  std::string reason_;
  std::function<void()> then_;
};

enum class FolderProblem {
  kUnreadable,  // could not be read or too large; moved to failed/
  kNotMoved,    // could not be moved to done/ or failed/; retried at later scans
  kException,   // a callback threw during a scan (file empty when not tied to one)
};

class FolderWatcher {
 public:
  using FileHandler =
      std::function<FileOutcome(const std::filesystem::path& file, const std::string& bytes)>;
  using FolderCallback = std::function<void(bool available, const std::string& reason)>;
  using ProblemCallback = std::function<void(
      FolderProblem problem, const std::filesystem::path& file, const std::string& reason)>;

  FolderWatcher(FolderWatcherConfig config, FileHandler on_file, FolderCallback on_folder,
                ProblemCallback on_problem);
  ~FolderWatcher();
  FolderWatcher(const FolderWatcher&) = delete;
  FolderWatcher& operator=(const FolderWatcher&) = delete;

  // Checks that the folder is a directory and creates done/ and failed/ (calling thread).
  Status prepare() const;
  void start();
  void stop();
  void scanOnce();

  const FolderWatcherConfig& config() const { return config_; }
  // Files that could not be moved so far (each counted once).
  std::uint64_t moveFailures() const { return move_failures_.load(); }

 private:
  struct Seen {
    std::uintmax_t size = 0;
    std::filesystem::file_time_type mtime{};
    bool operator==(const Seen&) const = default;
  };
  struct PendingMove {
    Seen seen;
    std::string subdir;
  };

  void schedule();
  void scan();
  bool wanted(const std::filesystem::path& path) const;
  void take(const std::filesystem::path& file, const Seen& seen);
  // True when moved; otherwise remembered in pending_moves_.
  bool moveTo(const std::filesystem::path& file, const Seen& seen, const std::string& subdir);
  void problem(FolderProblem kind, const std::filesystem::path& file, const std::string& reason);

  const FolderWatcherConfig config_;
  const FileHandler on_file_;
  const FolderCallback on_folder_;
  const ProblemCallback on_problem_;
  std::vector<std::string> extensions_;  // lower case

  std::map<std::string, Seen> candidates_;            // worker thread only
  std::map<std::string, PendingMove> pending_moves_;  // worker thread only
  std::atomic<std::uint64_t> move_failures_{0};

  boost::asio::io_context io_;
  boost::asio::steady_timer timer_{io_};
  std::thread worker_;
};

}  // namespace kordon::drivers
