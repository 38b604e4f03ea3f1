// What the TLS tests share: running the openssl command, OpenSSL's error queue as text, and a
// blocking loopback socket for an OpenSSL client.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

namespace wisp::test {

// Runs a shell command quietly; true if it succeeded.
inline bool sh(const std::string& command) {
  std::string line = command;
  line.append(" >/dev/null 2>&1");
  return std::system(line.c_str()) == 0;
}

inline std::string ssl_errors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char line[256];
    ERR_error_string_n(code, line, sizeof line);
    text.append(line).append("\n");
  }
  return text;
}

// A blocking connection to 127.0.0.1:port whose reads and writes give up after `timeout_s`, so a
// stuck server fails the test instead of hanging it; -1 if it cannot connect.
inline int connect_tcp(std::uint16_t port, long timeout_s) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval timeout{timeout_s, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace wisp::test
