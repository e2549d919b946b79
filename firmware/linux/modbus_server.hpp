// SPDX-License-Identifier: Apache-2.0
#pragma once

// Serves the lane controller's register map (firmware/core/register_map.hpp) to kordond, or
// to anything else that speaks Modbus, over TCP or RTU with libmodbus. A site that prefers a
// PLC substitutes one serving the same map; kordond cannot tell the difference.
//
// Each request is answered from a fresh exportRegisters() image; FC06/FC16 writes go through
// LaneController::onRegisterWrite(), and writes to read-only registers get exception 02.
//
// Thread-safety: run() blocks its caller (a dedicated thread) until stop(); it touches the
// controller only while holding `mutex`.

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "edge/base/address_filter.hpp"
#include "edge/base/status.hpp"
#include "edge/base/thread_annotations.hpp"
#include "firmware/core/lane_controller.hpp"

struct _modbus;
struct _modbus_mapping_t;

namespace kordon::firmware {

struct ModbusServerConfig {
  std::string mode = "tcp";  // "tcp" or "rtu"
  std::string host = "127.0.0.1";
  std::uint16_t port = 1602;
  int unit = 1;  // RTU answers only this unit; TCP answers any
  std::string serial_device;
  int baud = 19200;
  char parity = 'N';
  int data_bits = 8;
  int stop_bits = 1;
  // TCP: the source addresses kordond may connect from; anyone else is closed at once, counted
  // and logged. kordond runs on the same box by default.
  std::vector<std::string> allow_from = {"127.0.0.1", "::1"};
};

class ModbusServer {
 public:
  ModbusServer(ModbusServerConfig config, LaneController& controller, Mutex& mutex);
  ~ModbusServer();
  ModbusServer(const ModbusServer&) = delete;
  ModbusServer& operator=(const ModbusServer&) = delete;

  // Binds the port or opens the serial line; errors are startup misconfiguration.
  [[nodiscard]] Status open();
  void run();  // serves until stop()
  void stop() { stop_ = true; }
  std::uint64_t requests() const { return requests_; }
  std::uint64_t refusedClients() const { return refused_; }

 private:
  void serveRtu();
  void answer(const std::uint8_t* query, int length);  // one request; takes mutex_

  ModbusServerConfig config_;
  Mutex& mutex_;
  LaneController& controller_ GUARDED_BY(mutex_);
  _modbus* ctx_ = nullptr;
  _modbus_mapping_t* mapping_ = nullptr;  // register image handed to modbus_reply()
  int listen_fd_ = -1;
  AddressFilter allow_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> refused_{0};
};

}  // namespace kordon::firmware
