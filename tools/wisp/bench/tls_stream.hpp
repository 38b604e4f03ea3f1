// `wisp bench --tls`: an OpenSSL client session on a connection's non-blocking socket. The load
// measures the server, so the certificate is not checked; TLS 1.2 or 1.3 as the server chooses.
#pragma once

#include <sys/types.h>

#include <cstddef>

using SSL = struct ssl_st;

namespace wisp::tool::bench {

class TlsStream {
 public:
  enum class Step { Done, WantRead, WantWrite, Failed };

  // A client session on `fd`, a connected non-blocking socket (not owned).
  explicit TlsStream(int fd);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  // Advances the handshake: Done once it is over, or what it waits for.
  Step handshake();
  // As send(2) and recv(2): the bytes moved; 0 from receive() when the peer closed; -1 with errno
  // EAGAIN when the socket must become ready first, or EPROTO when the session failed.
  ssize_t send(const void* data, std::size_t size);
  ssize_t receive(void* data, std::size_t size);

 private:
  ssize_t result(int ok, std::size_t moved);

  SSL* ssl_;
};

}  // namespace wisp::tool::bench
