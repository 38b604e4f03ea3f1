// Certificates for TLS tests, made at test time with the openssl command in a temporary
// directory: a CA, and server certificates it signed (for localhost and 127.0.0.1 unless told).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tls_test_support.hpp"

namespace wisp::test {

// A CA and two server certificates for localhost and 127.0.0.1 (common names "v1" and "v2"),
// made once for the whole program; the files are removed with it.
struct Pki {
  std::filesystem::path dir;
  std::string error;  // why the certificates could not be made

  std::string path(const std::string& name) const { return (dir / name).string(); }

  // `name`.crt and `name`.key, signed by the CA, for the subject alternative names `names`.
  bool issue(const std::string& name,
             const std::string& names = "DNS:localhost,IP:127.0.0.1") const {
    std::ofstream(path(name + ".ext")) << "subjectAltName=" << names << "\n";
    return sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " +
              path(name + ".key")) &&
           sh("openssl req -new -key " + path(name + ".key") + " -subj /CN=" + name + " -out " +
              path(name + ".csr")) &&
           sh("openssl x509 -req -days 2 -in " + path(name + ".csr") + " -CA " + path("ca.crt") +
              " -CAkey " + path("ca.key") + " -CAcreateserial -extfile " + path(name + ".ext") +
              " -out " + path(name + ".crt"));
  }

  // `prefix` names the temporary directory (/tmp/<prefix>-XXXXXX).
  void make(const std::string& prefix) {
    std::string pattern = "/tmp/" + prefix + "-XXXXXX";
    if (!sh("command -v openssl") || !mkdtemp(pattern.data())) {
      error = "no openssl command or no temporary directory";
      return;
    }
    dir = pattern;
    const bool made = sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                         "-nodes -days 2 -subj /CN=wisp-test-ca -keyout " +
                         path("ca.key") + " -out " + path("ca.crt")) &&
                      issue("v1") && issue("v2");
    if (!made) error = "the openssl command failed to make the test certificates";
  }

  ~Pki() {
    if (!dir.empty()) std::filesystem::remove_all(dir);
  }
};

}  // namespace wisp::test
