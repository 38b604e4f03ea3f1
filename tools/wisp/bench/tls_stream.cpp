#include "tls_stream.hpp"

#include <openssl/ssl.h>

#include <cerrno>
#include <csignal>
#include <stdexcept>

namespace wisp::tool::bench {
namespace {

SSL_CTX* client_context() {
  static SSL_CTX* const context = [] {
    std::signal(SIGPIPE, SIG_IGN);  // OpenSSL writes without MSG_NOSIGNAL: a gone server is EPIPE
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) throw std::runtime_error("cannot create an OpenSSL client context");
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    // The connection's send buffer may grow between a refused write and its retry.
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    return ctx;
  }();
  return context;
}

}  // namespace

TlsStream::TlsStream(int fd) : ssl_(SSL_new(client_context())) {
  if (!ssl_) throw std::runtime_error("cannot create an OpenSSL session");
  SSL_set_fd(ssl_, fd);
  SSL_set_connect_state(ssl_);
}

TlsStream::~TlsStream() { SSL_free(ssl_); }

TlsStream::Step TlsStream::handshake() {
  const int ok = SSL_do_handshake(ssl_);
  if (ok == 1) return Step::Done;
  switch (SSL_get_error(ssl_, ok)) {
    case SSL_ERROR_WANT_READ:
      return Step::WantRead;
    case SSL_ERROR_WANT_WRITE:
      return Step::WantWrite;
    default:
      return Step::Failed;
  }
}

ssize_t TlsStream::send(const void* data, std::size_t size) {
  std::size_t moved = 0;
  const int ok = SSL_write_ex(ssl_, data, size, &moved);
  return result(ok, moved);
}

ssize_t TlsStream::receive(void* data, std::size_t size) {
  std::size_t moved = 0;
  const int ok = SSL_read_ex(ssl_, data, size, &moved);
  return result(ok, moved);
}

ssize_t TlsStream::result(int ok, std::size_t moved) {
  if (ok == 1) return static_cast<ssize_t>(moved);
  switch (SSL_get_error(ssl_, ok)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_ZERO_RETURN:
      return 0;
    default:
      errno = EPROTO;
      return -1;
  }
}

}  // namespace wisp::tool::bench
