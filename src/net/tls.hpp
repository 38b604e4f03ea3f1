// TLS for net::Socket with OpenSSL 3: a context shared by the loop threads (certificates, versions,
// ALPN, SNI, reload) and a per-connection session that turns ciphertext into plaintext and back
// through buffers the caller owns, so the socket keeps doing its own I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/socket.hpp"

using SSL = struct ssl_st;
using SSL_CTX = struct ssl_ctx_st;

namespace wisp::net {

// A certificate chain file (PEM, leaf first) and its private key file (PEM, optionally encrypted
// with `passphrase`).
struct TlsCertificate {
  std::string chain_file;
  std::string key_file;
  std::string passphrase;
};

// Server settings for TLS 1.2 and 1.3 with modern ciphers, ALPN "http/1.1" and SNI. Thread-safe:
// the loop threads create sessions from it while any thread may reload() it.
class TlsContext {
 public:
  using ServerNames = std::vector<std::pair<std::string, TlsCertificate>>;

  // `fallback` serves clients that send no server name or one not in `server_names`.
  // Throws std::runtime_error naming the file and OpenSSL's reason when a file cannot be used.
  explicit TlsContext(TlsCertificate fallback, ServerNames server_names = {});
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // Reads every file again; new connections get the new certificates, open ones keep theirs.
  // On error throws std::runtime_error and keeps the previous certificates.
  void reload();

  // A new server-side SSL object from the current certificates. Thread-safe.
  SSL* new_ssl() const;

 private:
  TlsCertificate fallback_;
  ServerNames server_names_;
  mutable std::mutex mutex_;
  SSL_CTX* current_ = nullptr;  // guarded by mutex_; sessions hold their own references
};

// Client settings: TLS 1.2 and 1.3, the server's certificate checked against the system's CAs (or
// those of `ca_file`) and against the host name connected to, unless `verify` is off.
struct TlsClientOptions {
  std::string ca_file;  // PEM; empty: the system's default CA paths
  bool verify = true;   // false: any certificate is accepted (tests, a self-signed peer)
};

class TlsClientContext {
 public:
  // Throws std::runtime_error naming the file and OpenSSL's reason when `ca_file` cannot be used.
  explicit TlsClientContext(const TlsClientOptions& options);
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;

  // A new client-side SSL object that sends `host` as SNI (unless it is an IP address) and, when
  // verifying, wants a certificate for it. Thread-safe.
  SSL* new_ssl(const std::string& host) const;

 private:
  SSL_CTX* ctx_;
  bool verify_;
};

// One TLS connection over caller-owned buffers. Ciphertext that the session produces (handshake
// messages, records, alerts) gathers in output() for the caller to send before the next TLS call
// on this thread.
class TlsSession {
 public:
  enum class Status {
    more,     // the plaintext buffer filled up: call decrypt() again
    drained,  // every fed byte is used up: wait for more ciphertext
    closed,   // the peer sent close_notify
    failed,   // a protocol error; an alert may wait in output()
  };
  struct Decrypted {
    std::size_t size;
    Status status;
  };

  explicit TlsSession(const TlsContext& context);
  // The client side of a connection to `host`; start() sends its first handshake message.
  TlsSession(const TlsClientContext& context, const std::string& host);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // Ciphertext produced by this thread's sessions and not yet taken; the caller sends and clears
  // it. Shared per thread so that idle sessions hold no buffer.
  static std::string& output();

  bool established() const;
  // Client side: puts the ClientHello in output().
  void start();
  // Why the peer's certificate was refused ("certificate has expired"), or empty.
  std::string verify_error() const;

  // Hands over ciphertext from the peer; it must stay valid until decrypt() reports `drained`.
  void feed(const std::uint8_t* data, std::size_t size);
  // Advances the handshake and decrypts fed records into `plain` (at most `capacity` bytes).
  Decrypted decrypt(std::uint8_t* plain, std::size_t capacity);
  // Encrypts `plain` into output(). Only once established(). False after a fatal error.
  bool encrypt(std::string_view plain);
  // Queues close_notify in output() once, if the handshake is over and no error happened.
  void close_notify();

  // Plaintext written but not yet encrypted: writes outside a read wait here until the end of the
  // loop iteration (one record for all of them), and writes during the handshake until it ends.
  WriteBuffer pending;

 private:
  friend struct TlsBio;
  explicit TlsSession(SSL* ssl);
  SSL* ssl_;
  const std::uint8_t* input_ = nullptr;  // fed ciphertext not yet taken by OpenSSL
  std::size_t input_size_ = 0;
  bool failed_ = false;
};

}  // namespace wisp::net
