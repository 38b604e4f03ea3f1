// What the TLS tests share: running the openssl command, OpenSSL's error queue as text, a
// blocking loopback socket, and an OpenSSL client connection over it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

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
// stuck server fails the test instead of hanging it; -1 if it cannot connect. A `receive_buffer`
// (bytes; 0: the system's) is set before connecting, so that the window it advertises is small.
inline int connect_tcp(std::uint16_t port, long timeout_s, int receive_buffer = 0) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (receive_buffer > 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
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

// A blocking TLS client connection to 127.0.0.1:port. With `ca_file`, it asks for "localhost" by
// SNI and verifies the server's certificate against that CA; without, it accepts any.
class TlsConnection {
 public:
  explicit TlsConnection(std::uint16_t port, const std::string& ca_file = {}, long timeout_s = 10)
      : ctx_(SSL_CTX_new(TLS_client_method())) {
    if (!ca_file.empty()) {
      SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr);
      SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    }
    ssl_ = SSL_new(ctx_);
    if (!ca_file.empty()) {
      SSL_set_tlsext_host_name(ssl_, "localhost");
      SSL_set1_host(ssl_, "localhost");
    }
    fd_ = connect_tcp(port, timeout_s);
    SSL_set_fd(ssl_, fd_);
    if (fd_ < 0 || SSL_connect(ssl_) != 1)
      throw std::runtime_error("TLS handshake failed: " + ssl_errors());
  }
  ~TlsConnection() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  void send(std::string_view bytes) {
    std::size_t written = 0;
    if (SSL_write_ex(ssl_, bytes.data(), bytes.size(), &written) != 1)
      throw std::runtime_error("TLS write failed: " + ssl_errors());
  }

  // Appends what one read brings; false once the connection ended.
  bool read_some(std::string& into) {
    char chunk[16384];
    std::size_t n = 0;
    if (SSL_read_ex(ssl_, chunk, sizeof chunk, &n) != 1) return false;
    into.append(chunk, n);
    return true;
  }

  // Exactly `size` bytes; fewer if the connection ends first.
  std::string receive(std::size_t size) {
    std::string bytes(size, '\0');
    std::size_t got = 0;
    for (std::size_t n = 0; got < size; got += n) {
      if (SSL_read_ex(ssl_, bytes.data() + got, size - got, &n) != 1) break;
    }
    bytes.resize(got);
    return bytes;
  }

  // Everything until the server ends the connection.
  std::string receive_all() {
    std::string bytes;
    while (read_some(bytes)) {
    }
    return bytes;
  }

  SSL* ssl() { return ssl_; }

 private:
  SSL_CTX* ctx_;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
};

}  // namespace wisp::test
