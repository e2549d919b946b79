// SPDX-License-Identifier: Apache-2.0
#include "drivers/common/evidence_store.hpp"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "edge/base/crypto.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kordon::drivers {

namespace {

// errno is mapped to text once, here (LevelDB PosixError).
Status posixError(const std::string& context, int error_number) {
  return Status::error(context + ": " + std::strerror(error_number));
}

std::string extensionFor(const std::string& media_type) {
  if (media_type == "image/jpeg") return "jpg";
  if (media_type == "application/xml") return "xml";
  return "bin";
}

// Closes the descriptor on every path out of put(); close errors after a successful fsync
// cannot lose data, so they are ignored here.
class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  ~FdGuard() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  int get() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

Status fsyncDirectory(const std::string& dir) {
  FdGuard fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return posixError("open directory " + dir, errno);
  if (::fsync(fd.get()) != 0) return posixError("fsync directory " + dir, errno);
  return Status::ok();
}

Status writeAll(int fd, std::string_view bytes, const std::string& path) {
  std::size_t written_bytes = 0;
  while (written_bytes < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written_bytes, bytes.size() - written_bytes);
    if (n < 0) {
      if (errno == EINTR) continue;
      return posixError("write " + path, errno);
    }
    written_bytes += static_cast<std::size_t>(n);
  }
  return Status::ok();
}

// True when a complete copy is already stored. Content addressing means same name, same
// bytes; the size check only guards against a file damaged outside Kordon, which is rewritten.
bool alreadyStored(const std::string& path, std::size_t size_bytes) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         static_cast<std::size_t>(st.st_size) == size_bytes;
}

}  // namespace

EvidenceStore::EvidenceStore(std::string root_dir, StorageGauge* gauge)
    : root_(std::move(root_dir)), gauge_(gauge) {}

std::string EvidenceStore::pathFor(const std::string& sha256, const std::string& media_type) const {
  const std::string shard = sha256.size() >= 2 ? sha256.substr(0, 2) : std::string("__");
  return root_ + "/" + shard + "/" + sha256 + "." + extensionFor(media_type);
}

Result<msg::Evidence> EvidenceStore::put(std::string_view bytes, const std::string& media_type,
                                         const std::string& role) {
  msg::Evidence evidence;
  evidence.sha256 = sha256Hex(bytes);
  evidence.media_type = media_type;
  evidence.role = role;
  evidence.size_bytes = bytes.size();

  const std::string final_path = pathFor(evidence.sha256, media_type);
  if (alreadyStored(final_path, bytes.size())) return evidence;
  if (gauge_) {
    const auto size = static_cast<std::int64_t>(bytes.size());
    if (Status s = gauge_->reserveFor(size); !s) return s.withContext("evidence");
  }

  const std::string shard_dir = root_ + "/" + evidence.sha256.substr(0, 2);
  std::error_code ec;
  const bool created_shard = std::filesystem::create_directories(shard_dir, ec);
  if (ec) return Status::error("evidence: create " + shard_dir + ": " + ec.message());
  if (created_shard) {
    // The new directory entry must itself be durable, or a crash could lose the whole shard.
    if (Status s = fsyncDirectory(root_); !s) return s.withContext("evidence");
  }

  // A unique temp name per writer, in the same directory so rename() is atomic. Concurrent
  // writers of the same content each rename a complete file over the other: harmless.
  static std::atomic<unsigned> sequence{0};
  const std::string temp_path = shard_dir + "/." + evidence.sha256 + "." +
                                std::to_string(::getpid()) + "." +
                                std::to_string(sequence.fetch_add(1)) + ".tmp";
  FdGuard fd(::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd.get() < 0) return posixError("evidence: create " + temp_path, errno);

  Status status = writeAll(fd.get(), bytes, temp_path);
  if (status && ::fsync(fd.get()) != 0) status = posixError("fsync " + temp_path, errno);
  if (status && ::close(fd.release()) != 0) status = posixError("close " + temp_path, errno);
  if (status && ::rename(temp_path.c_str(), final_path.c_str()) != 0) {
    status = posixError("rename " + temp_path + " -> " + final_path, errno);
  }
  if (!status) {
    ::unlink(temp_path.c_str());
    return status.withContext("evidence");
  }
  if (Status s = fsyncDirectory(shard_dir); !s) return s.withContext("evidence");
  if (gauge_) gauge_->addWritten(static_cast<std::int64_t>(bytes.size()));
  return evidence;
}

}  // namespace kordon::drivers
