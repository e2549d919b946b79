// SPDX-License-Identifier: Apache-2.0
#include "tests/hil/broker.hpp"

#include <csignal>
#include <fstream>

namespace kordon::test {

using std::chrono::seconds;

Result<Broker> Broker::start(const std::string& dir, const std::string& listener_config,
                             const std::string& global_config) {
  auto port = freeLoopbackPort();
  if (!port) return port.status();
  std::ofstream conf(dir + "/mosquitto.conf", std::ios::trunc);
  conf << "listener " << *port << " 127.0.0.1\n"
       << listener_config << global_config << "persistence false\n";
  if (!conf.flush()) return Status::error(dir + "/mosquitto.conf: cannot write");
  Broker broker(dir, *port);
  if (Status s = broker.launch(); !s) return s;
  return broker;
}

Broker::~Broker() {
  if (process_) (void)process_->terminate(seconds(5));
}

Status Broker::launch() {
  auto p = Process::spawn({"/usr/sbin/mosquitto", "-c", dir_ + "/mosquitto.conf"}, logPath());
  if (!p) return p.status();
  process_.emplace(std::move(*p));
  if (Status s = waitForTcpPort("127.0.0.1", port_, seconds(10)); !s) {
    return Status::error("mosquitto did not start: " + readTail(logPath()));
  }
  return Status::ok();
}

Status Broker::kill() {
  if (!process_) return Status::error("broker not running");
  if (Status s = process_->sendSignal(SIGKILL); !s) return s;
  auto exit = process_->wait(seconds(5));
  process_.reset();
  return exit ? Status::ok() : exit.status();
}

Status Broker::restart() {
  if (process_) {
    if (Status s = kill(); !s) return s;
  }
  return launch();
}

Status Broker::freeze() {
  return process_ ? process_->sendSignal(SIGSTOP) : Status::error("broker not running");
}

Status Broker::thaw() {
  return process_ ? process_->sendSignal(SIGCONT) : Status::error("broker not running");
}

}  // namespace kordon::test
