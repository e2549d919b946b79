// SPDX-License-Identifier: Apache-2.0
#include "tests/hil/process.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>
#include <utility>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace kordon::test {
namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

Status errnoError(const std::string& context, int errnum) {
  return Status::error(context + ": " + std::strerror(errnum));
}

std::string_view envName(std::string_view entry) { return entry.substr(0, entry.find('=')); }

// This process's environment with `overrides` ("NAME=value") added or replacing.
std::vector<std::string> childEnvironment(const std::vector<std::string>& overrides) {
  std::vector<std::string> result;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view name = envName(*entry);
    const bool overridden = std::any_of(overrides.begin(), overrides.end(),
                                        [&](const std::string& o) { return envName(o) == name; });
    if (!overridden) result.emplace_back(*entry);
  }
  result.insert(result.end(), overrides.begin(), overrides.end());
  return result;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> result;
  result.reserve(strings.size() + 1);
  for (auto& s : strings) result.push_back(s.data());
  result.push_back(nullptr);
  return result;
}

// RAII for the two posix_spawn helper objects.
struct SpawnSetup {
  posix_spawn_file_actions_t actions{};
  posix_spawnattr_t attributes{};
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

}  // namespace

std::string ExitStatus::toString() const {
  if (exited) return "exit code " + std::to_string(code);
  const char* name = strsignal(signal);
  return "killed by signal " + std::to_string(signal) + " (" + (name ? name : "?") + ")";
}

Result<Process> Process::spawn(const std::vector<std::string>& argv, const std::string& log_path,
                               const std::vector<std::string>& env) {
  if (argv.empty()) return Status::error("spawn: empty argv");
  const std::string what = "spawn " + argv.front();

  SpawnSetup setup;
  int rc = posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (rc == 0) {
    rc = posix_spawn_file_actions_addopen(&setup.actions, STDOUT_FILENO, log_path.c_str(),
                                          O_WRONLY | O_CREAT | O_APPEND, 0644);
  }
  if (rc == 0) rc = posix_spawn_file_actions_adddup2(&setup.actions, STDOUT_FILENO, STDERR_FILENO);
  // Descriptors the test holds (sockets, gtest's files) stay out of the child.
  if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&setup.actions, STDERR_FILENO + 1);
  if (rc != 0) return errnoError(what + ": file actions", rc);

  sigset_t no_signals;
  sigemptyset(&no_signals);
  sigset_t default_signals;
  sigemptyset(&default_signals);
  for (int s : {SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGCHLD}) sigaddset(&default_signals, s);
  rc = posix_spawnattr_setflags(&setup.attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  if (rc == 0) rc = posix_spawnattr_setsigmask(&setup.attributes, &no_signals);
  if (rc == 0) rc = posix_spawnattr_setsigdefault(&setup.attributes, &default_signals);
  if (rc != 0) return errnoError(what + ": attributes", rc);

  std::vector<std::string> args = argv;
  std::vector<std::string> environment = childEnvironment(env);
  std::vector<char*> arg_pointers = pointers(args);
  std::vector<char*> env_pointers = pointers(environment);
  pid_t pid = -1;
  rc = posix_spawnp(&pid, args.front().c_str(), &setup.actions, &setup.attributes,
                    arg_pointers.data(), env_pointers.data());
  if (rc != 0) return errnoError(what + " (log " + log_path + ")", rc);
  return Process(pid, log_path);
}

Process::Process(Process&& other) noexcept
    : pid_(other.pid_),
      running_(std::exchange(other.running_, false)),
      log_path_(std::move(other.log_path_)),
      exit_status_(other.exit_status_) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    if (isRunning()) (void)terminate();
    pid_ = other.pid_;
    running_ = std::exchange(other.running_, false);
    log_path_ = std::move(other.log_path_);
    exit_status_ = other.exit_status_;
  }
  return *this;
}

Process::~Process() {
  if (isRunning()) (void)terminate();
}

bool Process::isRunning() {
  if (!running_) return false;
  int status = 0;
  const pid_t rc = waitpid(pid_, &status, WNOHANG);
  if (rc == 0 || (rc < 0 && errno == EINTR)) return true;
  if (rc == pid_) {
    exit_status_.exited = WIFEXITED(status);
    exit_status_.code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    exit_status_.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  }
  running_ = false;  // reaped (or somehow not our child): never signal this pid again
  return false;
}

Status Process::sendSignal(int signal) {
  if (!isRunning()) return Status::error("process has already ended: " + exit_status_.toString());
  if (::kill(pid_, signal) != 0) return errnoError("kill " + std::to_string(pid_), errno);
  return Status::ok();
}

Result<ExitStatus> Process::wait(milliseconds timeout) {
  const auto deadline = Steady::now() + timeout;
  while (isRunning()) {
    if (Steady::now() >= deadline) {
      return Status::error("process " + std::to_string(pid_) + " still running after " +
                           std::to_string(timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
  return exit_status_;
}

Result<ExitStatus> Process::terminate(milliseconds grace) {
  if (!isRunning()) return exit_status_;
  (void)sendSignal(SIGTERM);
  if (auto ended = wait(grace)) return ended;
  (void)sendSignal(SIGKILL);
  return wait(std::chrono::seconds(5));
}

Result<std::uint16_t> freeLoopbackPort() {
  // Ports below Linux's ephemeral range (32768-60999 by default): a port the kernel handed out
  // with bind(0) can be handed out again at once as the source port of some client's outgoing
  // connection, and then the simulator that was meant to listen on it cannot. Start from a
  // per-process random point so parallel test binaries rarely try the same ports.
  static std::atomic<std::uint32_t> next{static_cast<std::uint32_t>(getpid()) * 7919u % 12000u};
  for (int attempt = 0; attempt < 2000; ++attempt) {
    const auto port = static_cast<std::uint16_t>(20000 + next.fetch_add(1) % 12000u);
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return errnoError("socket", errno);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    const bool free = bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    close(fd);
    if (free) return port;
  }
  return Status::error("no free loopback port in 20000-31999");
}

Status waitForTcpPort(const std::string& host, std::uint16_t port, milliseconds timeout) {
  const std::string where = host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* addresses = nullptr;
  if (const int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &addresses);
      rc != 0) {
    return Status::error("resolve " + where + ": " + gai_strerror(rc));
  }
  const auto deadline = Steady::now() + timeout;
  std::string last_error = "no address";
  bool connected = false;
  while (!connected) {
    for (const addrinfo* a = addresses; a != nullptr && !connected; a = a->ai_next) {
      const int fd =
          socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) continue;
      int errnum = connect(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
      if (errnum == EINPROGRESS) {
        const auto left = std::chrono::duration_cast<milliseconds>(deadline - Steady::now());
        pollfd p{fd, POLLOUT, 0};
        const int wait_ms = static_cast<int>(std::clamp<long long>(left.count(), 1, 200));
        errnum = ETIMEDOUT;
        if (poll(&p, 1, wait_ms) == 1) {
          socklen_t length = sizeof errnum;
          getsockopt(fd, SOL_SOCKET, SO_ERROR, &errnum, &length);
        }
      }
      close(fd);
      if (errnum == 0) {
        connected = true;
      } else {
        last_error = std::strerror(errnum);
      }
    }
    if (connected || Steady::now() >= deadline) break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  freeaddrinfo(addresses);
  if (connected) return Status::ok();
  return Status::error("nothing accepted on " + where + " within " +
                       std::to_string(timeout.count()) + " ms: " + last_error);
}

std::string readTail(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return {};
  const std::streamoff size = in.tellg();
  const std::streamoff start =
      std::max<std::streamoff>(0, size - static_cast<std::streamoff>(max_bytes));
  in.seekg(start);
  std::string text(static_cast<std::size_t>(size - start), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  return text;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace kordon::test
