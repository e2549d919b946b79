// SPDX-License-Identifier: Apache-2.0
#include "firmware/linux/modbus_server.hpp"

#include <cerrno>
#include <cstring>
#include <set>
#include <vector>

#include <modbus/modbus.h>

#include "edge/base/log.hpp"
#include "firmware/core/register_map.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kordon::firmware {
namespace {

constexpr int kFcWriteSingle = 0x06;
constexpr int kFcWriteMultiple = 0x10;

int word(const std::uint8_t* p) { return p[0] << 8 | p[1]; }

// The numeric source address of a connected socket ("127.0.0.1"; IPv4-mapped IPv6 as IPv4).
std::string peerAddress(int fd) {
  sockaddr_storage addr{};
  socklen_t length = sizeof(addr);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0) return "";
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&addr);
    ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof(text));
  } else if (addr.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof(text));
  }
  return text;
}

}  // namespace

ModbusServer::ModbusServer(ModbusServerConfig config, LaneController& controller, Mutex& mutex)
    : config_(std::move(config)), mutex_(mutex), controller_(controller) {}

ModbusServer::~ModbusServer() {
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (mapping_ != nullptr) modbus_mapping_free(mapping_);
  if (ctx_ != nullptr) {
    modbus_close(ctx_);
    modbus_free(ctx_);
  }
}

Status ModbusServer::open() {
  mapping_ = modbus_mapping_new(0, 0, regs::kCount, 0);
  if (mapping_ == nullptr)
    return Status::error("modbus mapping: " + std::string(modbus_strerror(errno)));
  if (config_.mode == "tcp") {
    auto allow = AddressFilter::parse(config_.allow_from);
    if (!allow) return allow.status().withContext("modbus.allow_from");
    allow_ = std::move(*allow);
    ctx_ = modbus_new_tcp_pi(config_.host.c_str(), std::to_string(config_.port).c_str());
    if (ctx_ == nullptr) return Status::error("modbus tcp: " + std::string(modbus_strerror(errno)));
    listen_fd_ = modbus_tcp_pi_listen(ctx_, 8);
    if (listen_fd_ < 0) {
      return Status::error("modbus tcp listen " + config_.host + ":" +
                           std::to_string(config_.port) + ": " + modbus_strerror(errno));
    }
    return Status::ok();
  }
  ctx_ = modbus_new_rtu(config_.serial_device.c_str(), config_.baud, config_.parity,
                        config_.data_bits, config_.stop_bits);
  if (ctx_ == nullptr) return Status::error("modbus rtu: " + std::string(modbus_strerror(errno)));
  if (modbus_set_slave(ctx_, config_.unit) != 0 || modbus_connect(ctx_) != 0) {
    return Status::error("modbus rtu " + config_.serial_device + ": " + modbus_strerror(errno));
  }
  return Status::ok();
}

void ModbusServer::run() {
  std::set<int> clients;
  while (!stop_) {
    fd_set fds;
    FD_ZERO(&fds);
    int max_fd = -1;
    const bool tcp = listen_fd_ >= 0;
    if (tcp) {
      FD_SET(listen_fd_, &fds);
      max_fd = listen_fd_;
      for (int fd : clients) {
        FD_SET(fd, &fds);
        if (fd > max_fd) max_fd = fd;
      }
    } else {
      max_fd = modbus_get_socket(ctx_);
      FD_SET(max_fd, &fds);
    }
    timeval tick{0, 100000};  // 100 ms, so stop() is noticed
    const int n = select(max_fd + 1, &fds, nullptr, nullptr, &tick);
    if (n < 0 && errno != EINTR) {
      log::error("modbus select failed", {{"error", std::string(strerror(errno))}});
      return;
    }
    if (n <= 0) continue;
    if (!tcp) {
      serveRtu();
      continue;
    }
    if (FD_ISSET(listen_fd_, &fds)) {
      int listener = listen_fd_;
      const int client = modbus_tcp_pi_accept(ctx_, &listener);
      const std::string peer = client >= 0 ? peerAddress(client) : std::string();
      if (client >= 0 && !allow_.allows(peer)) {
        // Only kordond may command the barrier: anyone else is closed before a byte is read.
        ::close(client);
        const std::uint64_t refused = ++refused_;
        if (refused == 1 || refused % 100 == 0) {
          log::warn("modbus client refused: not in modbus.allow_from",
                    {{"remote", peer}, {"refused", refused}});
        }
      } else if (client >= 0 && client < FD_SETSIZE) {
        clients.insert(client);
      } else if (client >= 0) {
        ::close(client);  // select() cannot watch it
      }
    }
    std::vector<int> gone;
    for (int fd : clients) {
      if (!FD_ISSET(fd, &fds)) continue;
      modbus_set_socket(ctx_, fd);
      std::uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
      const int rc = modbus_receive(ctx_, query);
      if (rc == -1) {
        gone.push_back(fd);
        continue;
      }
      if (rc > 0) answer(query, rc);
    }
    for (int fd : gone) {
      ::close(fd);
      clients.erase(fd);
    }
  }
  for (int fd : clients) ::close(fd);
  if (listen_fd_ >= 0) modbus_set_socket(ctx_, -1);  // closed above; modbus_close() must not
}

void ModbusServer::serveRtu() {
  std::uint8_t query[MODBUS_RTU_MAX_ADU_LENGTH];
  const int rc = modbus_receive(ctx_, query);
  if (rc > 0) answer(query, rc);  // 0: addressed to another unit; -1: bad frame, dropped
}

void ModbusServer::answer(const std::uint8_t* query, int length) {
  ++requests_;
  const int offset = modbus_get_header_length(ctx_);
  const int fc = query[offset];
  MutexLock lock(mutex_);
  bool writable = true;
  if (fc == kFcWriteSingle && length >= offset + 5) {
    writable = controller_.onRegisterWrite(word(query + offset + 1),
                                           static_cast<std::uint16_t>(word(query + offset + 3)));
  } else if (fc == kFcWriteMultiple && length >= offset + 6) {
    const int addr = word(query + offset + 1);
    const int count = word(query + offset + 3);
    for (int i = 0; i < count && writable && offset + 6 + 2 * i + 1 < length; ++i) {
      writable = controller_.onRegisterWrite(
          addr + i, static_cast<std::uint16_t>(word(query + offset + 6 + 2 * i)));
    }
  }
  controller_.exportRegisters(mapping_->tab_registers);
  if (writable) {
    modbus_reply(ctx_, query, length, mapping_);
  } else {
    modbus_reply_exception(ctx_, query, MODBUS_EXCEPTION_ILLEGAL_DATA_ADDRESS);
  }
}

}  // namespace kordon::firmware
