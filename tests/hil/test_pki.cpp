// SPDX-License-Identifier: Apache-2.0
#include "tests/hil/test_pki.hpp"

#include <fstream>

#include "tests/hil/process.hpp"

#include <sys/stat.h>

namespace kordon::test {
namespace {

Status openssl(const std::string& dir, std::vector<std::string> args) {
  args.insert(args.begin(), "openssl");
  auto p = Process::spawn(args, dir + "/openssl.log");
  if (!p) return p.status();
  auto exit = p->wait(std::chrono::seconds(30));
  if (!exit) return exit.status();
  if (!exit->cleanExit()) {
    return Status::error("openssl " + args[1] + ": " + exit->toString() + ": " +
                         readTail(dir + "/openssl.log", 600));
  }
  return Status::ok();
}

Status makeCa(const std::string& dir, const std::string& name, const std::string& cn) {
  return openssl(dir, {"req", "-x509", "-new", "-nodes", "-newkey", "ec", "-pkeyopt",
                       "ec_paramgen_curve:prime256v1", "-keyout", dir + "/" + name + ".key", "-out",
                       dir + "/" + name + ".crt", "-days", "2", "-subj", "/CN=" + cn});
}

// A key and a certificate for CN=name signed by <ca>; `extensions` go into the certificate.
Status makeLeaf(const std::string& dir, const std::string& ca, const std::string& name,
                const std::string& extensions) {
  const std::string base = dir + "/" + name;
  if (Status s = openssl(dir, {"req", "-new", "-nodes", "-newkey", "ec", "-pkeyopt",
                               "ec_paramgen_curve:prime256v1", "-keyout", base + ".key", "-out",
                               base + ".csr", "-subj", "/CN=" + name});
      !s) {
    return s;
  }
  std::ofstream(base + ".ext") << extensions;
  return openssl(dir, {"x509", "-req", "-in", base + ".csr", "-CA", dir + "/" + ca + ".crt",
                       "-CAkey", dir + "/" + ca + ".key", "-CAcreateserial", "-out", base + ".crt",
                       "-days", "2", "-extfile", base + ".ext"});
}

}  // namespace

Status makeTestPki(const std::string& dir, const std::vector<std::string>& clients) {
  if (Status s = makeCa(dir, "ca", "Kordon Test CA"); !s) return s;
  if (Status s = makeLeaf(dir, "ca", "server",
                          "subjectAltName = IP:127.0.0.1, DNS:localhost\n"
                          "extendedKeyUsage = serverAuth\n");
      !s) {
    return s;
  }
  for (const std::string& name : clients) {
    if (Status s = makeLeaf(dir, "ca", name, "extendedKeyUsage = clientAuth\n"); !s) return s;
  }
  // mosquitto started as root drops to its own user before it reads its TLS files.
  if (::chmod(dir.c_str(), 0755) != 0 || ::chmod((dir + "/server.key").c_str(), 0644) != 0) {
    return Status::error(dir + ": chmod failed");
  }
  return Status::ok();
}

Status makeRogueClient(const std::string& dir, const std::string& name) {
  if (Status s = makeCa(dir, "rogue-ca", "Rogue CA"); !s) return s;
  return makeLeaf(dir, "rogue-ca", name, "extendedKeyUsage = clientAuth\n");
}

}  // namespace kordon::test
