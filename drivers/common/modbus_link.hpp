// SPDX-License-Identifier: Apache-2.0
#pragma once

// Transport seam for Modbus masters (LevelDB Env, PX4 device::Serial). Drivers talk to a
// ModbusLink, never to libmodbus, so unit tests substitute a FakeModbusLink (tests/unit) and
// HIL runs the real LibmodbusLink against a simulator.
//
// Addresses are 0-based wire addresses (manual "40001" is wire 0; device-protocols.md §8).
//
// Errors are Status values whose messages come from modbusError(). A response timeout is
// recognisable with isModbusTimeout() so drivers can count timeouts apart from other comms
// errors. After a failure that lost the connection (peer reset, broken pipe, unplugged serial
// adapter) the link closes itself, so isConnected() tells the driver whether to reconnect.
//
// Thread-safety: none. A link belongs to one thread at a time (the driver's worker); libmodbus
// contexts are not thread-safe. Every call blocks for at most the response timeout.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "edge/base/status.hpp"

struct _modbus;  // libmodbus' modbus_t, kept out of this header

namespace kordon::drivers {

class ModbusLink {
 public:
  virtual ~ModbusLink() = default;

  // FC03: `count` holding registers starting at wire address `addr` of unit `unit`.
  [[nodiscard]] virtual Result<std::vector<std::uint16_t>> readHolding(int unit, int addr,
                                                                       int count) = 0;
  // FC06: one holding register.
  [[nodiscard]] virtual Status writeRegister(int unit, int addr, std::uint16_t value) = 0;
  // Opens the TCP connection or serial port; connecting an open link is a no-op.
  [[nodiscard]] virtual Status connect() = 0;
  virtual void close() = 0;  // idempotent
  virtual bool isConnected() const = 0;
  // "modbus-tcp 10.0.0.5:502" or "modbus-rtu /dev/ttyUSB0 9600 8E1", for logs.
  virtual std::string describe() const = 0;
};

// Status messages of timeouts start with this prefix ("timeout: read 6+3 from unit 1: ...").
inline constexpr std::string_view kModbusTimeoutPrefix = "timeout: ";

// Maps an errno / libmodbus error code to a Status, once for every libmodbus call site (LevelDB
// PosixError): "<context>: <modbus_strerror(errnum)>", prefixed by kModbusTimeoutPrefix when
// errnum is ETIMEDOUT.
Status modbusError(std::string_view context, int errnum);

// True for a Status built by modbusError() from a timeout. Check it before adding context.
bool isModbusTimeout(const Status& status);

struct ModbusTcpEndpoint {
  std::string host;  // IPv4/IPv6 literal or host name
  std::uint16_t port = 502;
};

struct ModbusRtuLine {
  std::string device;  // "/dev/ttyUSB0"
  int baud = 9600;
  char parity = 'N';  // 'N', 'E' or 'O'
  int data_bits = 8;
  int stop_bits = 1;
};

// The production link: libmodbus over TCP or RTU. Construct through the factories, which
// reject arguments libmodbus refuses.
class LibmodbusLink final : public ModbusLink {
 public:
  static Result<std::unique_ptr<LibmodbusLink>> tcp(const ModbusTcpEndpoint& endpoint,
                                                    std::chrono::milliseconds response_timeout);
  static Result<std::unique_ptr<LibmodbusLink>> rtu(const ModbusRtuLine& line,
                                                    std::chrono::milliseconds response_timeout);

  ~LibmodbusLink() override;
  LibmodbusLink(const LibmodbusLink&) = delete;
  LibmodbusLink& operator=(const LibmodbusLink&) = delete;

  Result<std::vector<std::uint16_t>> readHolding(int unit, int addr, int count) override;
  Status writeRegister(int unit, int addr, std::uint16_t value) override;
  Status connect() override;
  void close() override;
  bool isConnected() const override { return connected_; }
  std::string describe() const override { return description_; }

 private:
  LibmodbusLink(_modbus* ctx, std::string description);
  Status selectUnit(int unit);
  // Called after a failed request: drops the link when errnum means the connection is gone,
  // and discards late replies after a timeout so they are not taken for the next answer.
  void recoverFrom(int errnum);

  _modbus* ctx_;
  std::string description_;
  bool connected_ = false;
};

}  // namespace kordon::drivers
