// SPDX-License-Identifier: Apache-2.0
#include "drivers/common/folder_watcher.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <exception>
#include <fstream>
#include <iterator>
#include <utility>

#include <boost/asio/post.hpp>

namespace kordon::drivers {

namespace fs = std::filesystem;

namespace {

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

Result<std::string> readWholeFile(const fs::path& path, std::uintmax_t max_bytes) {
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) return Status::error("stat " + path.string() + ": " + ec.message());
  if (max_bytes != 0 && size > max_bytes) {
    return Status::error("file of " + std::to_string(size) + " bytes exceeds the limit of " +
                         std::to_string(max_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::error("cannot open " + path.string());
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::error("cannot read " + path.string());
  if (max_bytes != 0 && bytes.size() > max_bytes) {  // grew since the stat
    return Status::error("file of " + std::to_string(bytes.size()) +
                         " bytes exceeds the limit of " + std::to_string(max_bytes));
  }
  return bytes;
}

FolderWatcher::FolderWatcher(FolderWatcherConfig config, FileHandler on_file,
                             FolderCallback on_folder, ProblemCallback on_problem)
    : config_(std::move(config)),
      on_file_(std::move(on_file)),
      on_folder_(std::move(on_folder)),
      on_problem_(std::move(on_problem)) {
  for (const std::string& extension : config_.extensions) extensions_.push_back(lower(extension));
}

FolderWatcher::~FolderWatcher() { stop(); }

Status FolderWatcher::prepare() const {
  std::error_code ec;
  if (!fs::is_directory(config_.folder, ec)) {
    return Status::error("folder " + config_.folder + ": " +
                         (ec ? ec.message() : "not a directory"));
  }
  for (const char* subdir : {"done", "failed"}) {
    fs::create_directories(fs::path(config_.folder) / subdir, ec);
    if (ec) {
      return Status::error("folder " + config_.folder + ": cannot create " + subdir +
                           "/: " + ec.message());
    }
  }
  return Status::ok();
}

void FolderWatcher::start() {
  if (worker_.joinable()) return;
  io_.restart();
  boost::asio::post(io_, [this] {
    scan();
    schedule();
  });
  worker_ = std::thread([this] { io_.run(); });
}

void FolderWatcher::stop() {
  if (!worker_.joinable()) return;
  io_.stop();
  worker_.join();
  timer_.cancel();
  io_.restart();
  io_.poll();  // drops the cancelled wait; its handler sees the error and returns
}

void FolderWatcher::scanOnce() { scan(); }

void FolderWatcher::schedule() {
  timer_.expires_after(std::chrono::milliseconds(config_.poll_interval_ms));
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    scan();
    schedule();
  });
}

bool FolderWatcher::wanted(const fs::path& path) const {
  const std::string name = path.filename().string();
  if (name.empty() || name.front() == '.') return false;
  const std::string extension = lower(path.extension().string());
  return std::find(extensions_.begin(), extensions_.end(), extension) != extensions_.end();
}

void FolderWatcher::scan() {
  try {
    std::error_code ec;
    const fs::path folder(config_.folder);
    fs::directory_iterator it(folder, ec);
    std::vector<std::pair<fs::path, Seen>> files;
    if (!ec) {
      for (; it != fs::directory_iterator(); it.increment(ec)) {
        if (ec) break;
        std::error_code entry_ec;
        if (!it->is_regular_file(entry_ec) || !wanted(it->path())) continue;
        Seen seen;
        seen.size = it->file_size(entry_ec);
        if (entry_ec) continue;
        seen.mtime = it->last_write_time(entry_ec);
        if (entry_ec) continue;
        files.emplace_back(it->path(), seen);
      }
    }
    if (ec) {
      candidates_.clear();
      if (on_folder_) on_folder_(false, "folder " + config_.folder + ": " + ec.message());
      return;
    }
    if (on_folder_) on_folder_(true, "");
    std::sort(files.begin(), files.end(),
              [](const auto& a, const auto& b) { return a.first.filename() < b.first.filename(); });

    std::map<std::string, Seen> current;
    std::map<std::string, PendingMove> pending;
    std::vector<std::pair<fs::path, Seen>> stable;
    for (const auto& [path, seen] : files) {
      const std::string key = path.string();
      if (const auto move = pending_moves_.find(key); move != pending_moves_.end()) {
        if (move->second.seen == seen) {  // already handled; only its move is outstanding
          pending.emplace(key, move->second);
          continue;
        }
      }
      const auto before = candidates_.find(key);
      const bool settled = before != candidates_.end() && before->second == seen &&
                           (seen.size > 0 || !config_.ignore_empty_files);
      if (settled) {
        stable.emplace_back(path, seen);
      } else {
        current.emplace(key, seen);
      }
    }
    candidates_ = std::move(current);
    pending_moves_ = std::move(pending);  // files gone or changed are forgotten
    std::vector<std::string> retries;
    for (const auto& entry : pending_moves_) retries.push_back(entry.first);
    for (const std::string& key : retries) {
      const PendingMove move = pending_moves_.at(key);
      if (moveTo(key, move.seen, move.subdir)) pending_moves_.erase(key);
    }
    for (const auto& [path, seen] : stable) take(path, seen);
  } catch (const std::exception& e) {
    problem(FolderProblem::kException, {}, std::string("scan threw: ") + e.what());
  }
}

void FolderWatcher::take(const fs::path& file, const Seen& seen) {
  auto bytes = readWholeFile(file, config_.max_bytes);
  if (!bytes) {
    problem(FolderProblem::kUnreadable, file, bytes.status().message());
    moveTo(file, seen, "failed");
    return;
  }
  FileOutcome outcome = FileOutcome::retry("no handler");
  try {
    outcome = on_file_(file, *bytes);
  } catch (const std::exception& e) {
    // Thrown after the handler may have published: do not take the file again.
    problem(FolderProblem::kException, file, std::string("file handler threw: ") + e.what());
    outcome = FileOutcome::failed(e.what());
  }
  switch (outcome.kind()) {
    case FileOutcome::Kind::kDone:
      moveTo(file, seen, "done");
      break;
    case FileOutcome::Kind::kFailed:
      moveTo(file, seen, "failed");
      break;
    case FileOutcome::Kind::kRetry:
      break;  // not a candidate any more: stable again after two more scans
  }
  if (outcome.then()) {
    try {
      outcome.then()();
    } catch (const std::exception& e) {
      problem(FolderProblem::kException, file, std::string("file action threw: ") + e.what());
    }
  }
}

bool FolderWatcher::moveTo(const fs::path& file, const Seen& seen, const std::string& subdir) {
  std::error_code ec;
  const fs::path dir = fs::path(config_.folder) / subdir;
  fs::create_directories(dir, ec);
  fs::path target = dir / file.filename();
  for (int n = 1; fs::exists(target, ec) && n < 1000; ++n) {
    target = dir / (file.filename().string() + "." + std::to_string(n));
  }
  fs::rename(file, target, ec);
  if (!ec) return true;
  const bool first = pending_moves_.find(file.string()) == pending_moves_.end();
  pending_moves_[file.string()] = PendingMove{seen, subdir};
  if (first) {
    ++move_failures_;
    problem(FolderProblem::kNotMoved, file,
            "cannot move to " + target.string() + ": " + ec.message());
  }
  return false;
}

void FolderWatcher::problem(FolderProblem kind, const fs::path& file, const std::string& reason) {
  if (!on_problem_) return;
  try {
    on_problem_(kind, file, reason);
  } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): nothing left to tell
  }
}

}  // namespace kordon::drivers
