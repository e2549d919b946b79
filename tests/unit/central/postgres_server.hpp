// SPDX-License-Identifier: Apache-2.0
#pragma once

// A real PostgreSQL server for the central store tests, started once per test process:
// initdb + pg_ctl from /usr/lib/postgresql/15/bin in a temporary directory, listening on a free
// loopback port with its unix socket in that directory, fsync off (the tests check semantics,
// not durability). As root it runs as the `postgres` user, since PostgreSQL refuses root.
// Each test gets a fresh database from createDatabase().
//
//   auto uri = PostgresServer::instance().createDatabase();
//   if (!uri) GTEST_SKIP() << PostgresServer::instance().unavailable();

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include <netinet/in.h>
#include <pqxx/pqxx>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

namespace kordon::central::testing {

class PostgresServer {
 public:
  static PostgresServer& instance() {
    static PostgresServer server;
    return server;
  }

  // A "postgresql://" URI of a new, empty database; nullopt when no server could be started.
  std::optional<std::string> createDatabase() {
    if (!unavailable_.empty()) return std::nullopt;
    const std::string name = "t" + std::to_string(++databases_);
    try {
      pqxx::connection admin(uri("postgres"));
      pqxx::nontransaction tx(admin);
      tx.exec("CREATE DATABASE " + name);
    } catch (const std::exception& e) {
      unavailable_ = std::string("CREATE DATABASE failed: ") + e.what();
      return std::nullopt;
    }
    return uri(name);
  }

  // Why there is no server ("" when there is one).
  const std::string& unavailable() const { return unavailable_; }

  ~PostgresServer() {
    if (started_) run("pg_ctl -D " + dir_ + "/data -m immediate stop > /dev/null 2>&1");
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

 private:
  static constexpr const char* kBin = "/usr/lib/postgresql/15/bin";

  PostgresServer() {
    if (!std::filesystem::exists(std::string(kBin) + "/initdb")) {
      unavailable_ = std::string("PostgreSQL 15 not installed (") + kBin +
                     "/initdb missing; apt-get install postgresql)";
      return;
    }
    std::string templ = (std::filesystem::temp_directory_path() / "kordon-pg-XXXXXX").string();
    if (mkdtemp(templ.data()) == nullptr) {
      unavailable_ = "mkdtemp failed";
      return;
    }
    dir_ = templ;
    if (geteuid() == 0) {
      const passwd* pg = getpwnam("postgres");
      if (pg == nullptr || chown(dir_.c_str(), pg->pw_uid, pg->pw_gid) != 0) {
        unavailable_ = "running as root, but there is no `postgres` user to run the server as";
        return;
      }
      as_ = "runuser -u postgres -- ";
    }
    port_ = freePort();
    if (!run("initdb -D " + dir_ + "/data -A trust -U postgres -E UTF8 --no-sync > " + dir_ +
             "/initdb.log 2>&1")) {
      unavailable_ = "initdb failed; see " + dir_ + "/initdb.log";
      return;
    }
    if (!run("pg_ctl -D " + dir_ + "/data -l " + dir_ + "/server.log -w -t 60 -o \"-p " +
             std::to_string(port_) + " -k " + dir_ +
             " -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
             " -c full_page_writes=off\" start > /dev/null 2>&1")) {
      unavailable_ = "pg_ctl start failed; see " + dir_ + "/server.log";
      return;
    }
    started_ = true;
  }

  // Runs a PostgreSQL binary from the temporary directory, as `postgres` when root.
  bool run(const std::string& command) const {
    return std::system(("cd " + dir_ + " && " + as_ + kBin + "/" + command).c_str()) == 0;
  }

  static int freePort() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    int port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    close(fd);
    return port;
  }

  std::string uri(const std::string& database) const {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
  }

  std::string dir_;
  std::string as_;  // "runuser -u postgres -- " when root
  int port_ = 0;
  bool started_ = false;
  int databases_ = 0;
  std::string unavailable_;
};

}  // namespace kordon::central::testing
