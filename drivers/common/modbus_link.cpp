// SPDX-License-Identifier: Apache-2.0
#include "drivers/common/modbus_link.hpp"

#include <cerrno>

#include <modbus/modbus.h>

namespace kordon::drivers {
namespace {

// Errors after which the socket or serial port is unusable and must be reopened.
bool isConnectionLost(int errnum) {
  switch (errnum) {
    case ECONNRESET:
    case ECONNABORTED:
    case ECONNREFUSED:
    case EPIPE:
    case ENOTCONN:
    case EBADF:
    case ENETDOWN:
    case ENETUNREACH:
    case EHOSTUNREACH:
    case EIO:  // USB-serial adapter unplugged
    case ENXIO:
      return true;
    default:
      return false;
  }
}

// Rejects what libmodbus would only report as a vague EINVAL, and keeps a block within what one
// FC03 reply can carry.
Status checkRequest(int unit, int addr, int count) {
  if (unit < 0 || unit > 255) {
    return Status::error("unit id " + std::to_string(unit) + " not in 0..255");
  }
  if (addr < 0 || addr > 0xFFFF) {
    return Status::error("address " + std::to_string(addr) + " not in 0..65535");
  }
  if (count < 1 || count > MODBUS_MAX_READ_REGISTERS || addr + count > 0x10000) {
    return Status::error("register count " + std::to_string(count) + " at " + std::to_string(addr) +
                         " not in 1.." + std::to_string(MODBUS_MAX_READ_REGISTERS));
  }
  return Status::ok();
}

Status setResponseTimeout(modbus_t* ctx, std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) return Status::error("response timeout must be positive");
  const auto sec = static_cast<std::uint32_t>(timeout.count() / 1000);
  const auto usec = static_cast<std::uint32_t>((timeout.count() % 1000) * 1000);
  if (modbus_set_response_timeout(ctx, sec, usec) != 0) {
    return modbusError("set response timeout", errno);
  }
  // Gaps inside one reply get the same limit as the reply itself, not libmodbus' fixed 500 ms.
  if (modbus_set_byte_timeout(ctx, sec, usec) != 0) return modbusError("set byte timeout", errno);
  return Status::ok();
}

}  // namespace

Status modbusError(std::string_view context, int errnum) {
  std::string message;
  if (errnum == ETIMEDOUT) message = kModbusTimeoutPrefix;
  message += context;
  message += ": ";
  message += modbus_strerror(errnum);
  return Status::error(std::move(message));
}

bool isModbusTimeout(const Status& status) {
  return !status.isOk() && std::string_view(status.message()).starts_with(kModbusTimeoutPrefix);
}

Result<std::unique_ptr<LibmodbusLink>> LibmodbusLink::tcp(
    const ModbusTcpEndpoint& endpoint, std::chrono::milliseconds response_timeout) {
  const std::string description =
      "modbus-tcp " + endpoint.host + ":" + std::to_string(endpoint.port);
  if (endpoint.host.empty()) return Status::error(description + ": empty host");
  // The "pi" variant resolves host names and IPv6; plain modbus_new_tcp takes IPv4 literals only.
  const std::string service = std::to_string(endpoint.port);
  modbus_t* ctx = modbus_new_tcp_pi(endpoint.host.c_str(), service.c_str());
  if (ctx == nullptr) return modbusError(description, errno);
  std::unique_ptr<LibmodbusLink> link(new LibmodbusLink(ctx, description));
  if (Status s = setResponseTimeout(ctx, response_timeout); !s) return s.withContext(description);
  return link;
}

Result<std::unique_ptr<LibmodbusLink>> LibmodbusLink::rtu(
    const ModbusRtuLine& line, std::chrono::milliseconds response_timeout) {
  const std::string description = "modbus-rtu " + line.device + " " + std::to_string(line.baud) +
                                  " " + std::to_string(line.data_bits) + line.parity +
                                  std::to_string(line.stop_bits);
  modbus_t* ctx =
      modbus_new_rtu(line.device.c_str(), line.baud, line.parity, line.data_bits, line.stop_bits);
  if (ctx == nullptr) return modbusError(description, errno);
  std::unique_ptr<LibmodbusLink> link(new LibmodbusLink(ctx, description));
  if (Status s = setResponseTimeout(ctx, response_timeout); !s) return s.withContext(description);
  return link;
}

LibmodbusLink::LibmodbusLink(modbus_t* ctx, std::string description)
    : ctx_(ctx), description_(std::move(description)) {}

LibmodbusLink::~LibmodbusLink() {
  close();
  modbus_free(ctx_);
}

Status LibmodbusLink::connect() {
  if (connected_) return Status::ok();
  if (modbus_connect(ctx_) != 0) {
    int errnum = errno;
    // libmodbus reports a TCP connect that outlived the response timeout with the errno of the
    // non-blocking connect() it started.
    if (errnum == EINPROGRESS) errnum = ETIMEDOUT;
    return modbusError("connect " + description_, errnum);
  }
  connected_ = true;
  return Status::ok();
}

void LibmodbusLink::close() {
  if (!connected_) return;
  modbus_close(ctx_);
  connected_ = false;
}

Status LibmodbusLink::selectUnit(int unit) {
  if (modbus_set_slave(ctx_, unit) != 0) {
    return modbusError("select unit " + std::to_string(unit), errno);
  }
  return Status::ok();
}

void LibmodbusLink::recoverFrom(int errnum) {
  if (isConnectionLost(errnum)) {
    close();
  } else if (errnum == ETIMEDOUT || errnum == EMBBADDATA) {
    modbus_flush(ctx_);
  }
}

Result<std::vector<std::uint16_t>> LibmodbusLink::readHolding(int unit, int addr, int count) {
  if (Status s = checkRequest(unit, addr, count); !s) return s;
  if (!connected_) return Status::error("read holding: " + description_ + " is not connected");
  if (Status s = selectUnit(unit); !s) return s;
  std::vector<std::uint16_t> registers(static_cast<std::size_t>(count));
  const int received = modbus_read_registers(ctx_, addr, count, registers.data());
  if (received != count) {
    const int errnum = received < 0 ? errno : EMBBADDATA;
    recoverFrom(errnum);
    return modbusError("read holding " + std::to_string(addr) + "+" + std::to_string(count) +
                           " from unit " + std::to_string(unit),
                       errnum);
  }
  return registers;
}

Status LibmodbusLink::writeRegister(int unit, int addr, std::uint16_t value) {
  if (Status s = checkRequest(unit, addr, 1); !s) return s;
  if (!connected_) return Status::error("write register: " + description_ + " is not connected");
  if (Status s = selectUnit(unit); !s) return s;
  if (modbus_write_register(ctx_, addr, value) != 1) {
    const int errnum = errno;
    recoverFrom(errnum);
    return modbusError(
        "write register " + std::to_string(addr) + " of unit " + std::to_string(unit), errnum);
  }
  return Status::ok();
}

}  // namespace kordon::drivers
