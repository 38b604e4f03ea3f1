#include "net/tls.hpp"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>

namespace wisp::net {
namespace {

// Mozilla's "intermediate" TLS 1.2 suites: forward secrecy and AEAD only. TLS 1.3 suites are all
// AEAD already and keep OpenSSL's defaults.
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

struct CtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<SSL_CTX, CtxFree>;

std::string openssl_errors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char line[256];
    ERR_error_string_n(code, line, sizeof line);
    if (!text.empty()) text.append("; ");
    text.append(line);
  }
  return text.empty() ? std::string("unknown error") : text;
}

[[noreturn]] void fail(std::string_view what, const std::string& file) {
  std::string message = "wisp: TLS: cannot ";
  message.append(what).append(" '").append(file).append("': ").append(openssl_errors());
  throw std::runtime_error(message);
}

// Never prompts on a terminal: an encrypted key without a passphrase is an error.
int give_passphrase(char* buffer, int size, int, void* user) {
  const auto& passphrase = *static_cast<const std::string*>(user);
  if (passphrase.empty() || passphrase.size() > static_cast<std::size_t>(size)) return 0;
  std::memcpy(buffer, passphrase.data(), passphrase.size());
  return static_cast<int>(passphrase.size());
}

void use_private_key(SSL_CTX* ctx, const TlsCertificate& certificate) {
  BIO* file = BIO_new_file(certificate.key_file.c_str(), "r");
  if (!file) fail("open the private key", certificate.key_file);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(file, nullptr, give_passphrase,
                                          const_cast<std::string*>(&certificate.passphrase));
  BIO_free(file);
  if (!key) fail("read the private key (wrong passphrase?)", certificate.key_file);
  const int used = SSL_CTX_use_PrivateKey(ctx, key);
  EVP_PKEY_free(key);
  if (used != 1) fail("use the private key", certificate.key_file);
  if (SSL_CTX_check_private_key(ctx) != 1)
    fail("match the private key with", certificate.chain_file);
}

int select_alpn(SSL*, const unsigned char** out, unsigned char* out_size, const unsigned char* in,
                unsigned in_size, void*) {
  static const unsigned char http11[] = "\x08http/1.1";
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_size, http11, sizeof http11 - 1, in, in_size) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;  // no common protocol: go on without ALPN, the client decides
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

// Every context is configured alike: after SNI switches a connection to another context, OpenSSL
// takes the ALPN callback and the rest from that one.
CtxPtr make_ctx(const TlsCertificate& certificate) {
  CtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) fail("create a context for", certificate.chain_file);
  SSL_CTX* c = ctx.get();
  SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION);
  SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_cipher_list(c, tls12_ciphers);
  // Idle connections give their record buffers back: an idle socket keeps only its keys.
  SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS);
  static const unsigned char session_context[] = "wisp";
  SSL_CTX_set_session_id_context(c, session_context, sizeof session_context - 1);
  // Resumption by tickets only (stateless): the server-side cache would keep a session for each
  // of up to 20,480 recent TLS 1.2 connections.
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_alpn_select_cb(c, select_alpn, nullptr);
  if (SSL_CTX_use_certificate_chain_file(c, certificate.chain_file.c_str()) != 1) {
    fail("read the certificate chain", certificate.chain_file);
  }
  use_private_key(c, certificate);
  return ctx;
}

// The per-hostname contexts of one generation, owned by that generation's default context (as
// its ex_data): it lives as long as the last connection that may still look a name up in it.
struct ServerNameMap {
  std::vector<std::pair<std::string, SSL_CTX*>> contexts;  // lower-case names
  ~ServerNameMap() {
    for (auto& entry : contexts) SSL_CTX_free(entry.second);
  }
};

void free_server_names(void*, void* map, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<ServerNameMap*>(map);
}

int server_names_index() {
  static const int index =
      SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, free_server_names);
  return index;
}

std::string lower(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  });
  return result;
}

int on_server_name(SSL* ssl, int*, void* arg) {
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (!name) return SSL_TLSEXT_ERR_OK;
  const std::string wanted = lower(name);
  for (const auto& [host, ctx] : static_cast<const ServerNameMap*>(arg)->contexts) {
    if (host == wanted) {
      SSL_set_SSL_CTX(ssl, ctx);
      break;
    }
  }
  return SSL_TLSEXT_ERR_OK;  // an unknown name gets the default certificate
}

SSL_CTX* make_generation(const TlsCertificate& fallback, const TlsContext::ServerNames& names) {
  ERR_clear_error();
  CtxPtr main = make_ctx(fallback);
  if (names.empty()) return main.release();
  auto map = std::make_unique<ServerNameMap>();
  for (const auto& [host, certificate] : names) {
    map->contexts.emplace_back(lower(host), make_ctx(certificate).release());
  }
  if (SSL_CTX_set_ex_data(main.get(), server_names_index(), map.get()) != 1) throw std::bad_alloc();
  SSL_CTX_set_tlsext_servername_callback(main.get(), on_server_name);
  SSL_CTX_set_tlsext_servername_arg(main.get(), map.release());
  return main.release();
}

}  // namespace

TlsContext::TlsContext(TlsCertificate fallback, ServerNames server_names)
    : fallback_(std::move(fallback)),
      server_names_(std::move(server_names)),
      current_(make_generation(fallback_, server_names_)) {}

TlsContext::~TlsContext() { SSL_CTX_free(current_); }

void TlsContext::reload() {
  SSL_CTX* fresh = make_generation(fallback_, server_names_);
  SSL_CTX* old;
  {
    std::lock_guard lock(mutex_);
    old = std::exchange(current_, fresh);
  }
  SSL_CTX_free(old);  // the last open connection of that generation frees it for good
}

SSL* TlsContext::new_ssl() const {
  SSL_CTX* ctx;
  {
    std::lock_guard lock(mutex_);
    ctx = current_;
    SSL_CTX_up_ref(ctx);
  }
  SSL* ssl = SSL_new(ctx);  // outside the lock: it allocates, and every loop thread accepts
  SSL_CTX_free(ctx);
  if (!ssl) throw std::bad_alloc();
  return ssl;
}

TlsClientContext::TlsClientContext(const TlsClientOptions& options)
    : ctx_(SSL_CTX_new(TLS_client_method())), verify_(options.verify) {
  if (!ctx_) throw std::bad_alloc();
  CtxPtr owned(ctx_);
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx_, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_mode(ctx_, SSL_MODE_RELEASE_BUFFERS);
  static const unsigned char http11[] = "\x08http/1.1";
  SSL_CTX_set_alpn_protos(ctx_, http11, sizeof http11 - 1);
  ERR_clear_error();
  if (!options.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx_, options.ca_file.c_str(), nullptr) != 1) {
      fail("read the CA file", options.ca_file);
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx_) != 1) {
    fail("load the system's CA paths for", "default");
  }
  SSL_CTX_set_verify(ctx_, options.verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  owned.release();
}

TlsClientContext::~TlsClientContext() { SSL_CTX_free(ctx_); }

SSL* TlsClientContext::new_ssl(const std::string& host) const {
  SSL* ssl = SSL_new(ctx_);
  if (!ssl) throw std::bad_alloc();
  in6_addr address;
  const bool ip = inet_pton(AF_INET, host.c_str(), &address) == 1 ||
                  inet_pton(AF_INET6, host.c_str(), &address) == 1;
  if (!ip) SSL_set_tlsext_host_name(ssl, host.c_str());
  const int wanted = !verify_ ? 1
                     : ip     ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str())
                              : SSL_set1_host(ssl, host.c_str());
  if (wanted != 1) {
    SSL_free(ssl);
    throw std::bad_alloc();
  }
  return ssl;
}

// A BIO over the session's fed ciphertext (in) and the thread's output string (out): OpenSSL's
// memory BIOs would copy once more and keep their largest buffer for the life of each connection.
struct TlsBio {
  static BIO_METHOD* method() {
    static BIO_METHOD* const m = [] {
      BIO_METHOD* created = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "wisp");
      BIO_meth_set_read_ex(created, read);
      BIO_meth_set_write_ex(created, write);
      BIO_meth_set_ctrl(created, ctrl);
      BIO_meth_set_create(created, [](BIO* bio) {
        BIO_set_init(bio, 1);
        return 1;
      });
      return created;
    }();
    return m;
  }

  static int read(BIO* bio, char* buffer, std::size_t size, std::size_t* done) {
    auto& session = *static_cast<TlsSession*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    if (session.input_size_ == 0) {
      BIO_set_retry_read(bio);  // SSL_ERROR_WANT_READ: wait for the socket
      return 0;
    }
    const std::size_t n = std::min(size, session.input_size_);
    std::memcpy(buffer, session.input_, n);
    session.input_ += n;
    session.input_size_ -= n;
    *done = n;
    return 1;
  }

  static int write(BIO*, const char* data, std::size_t size, std::size_t* done) {
    TlsSession::output().append(data, size);
    *done = size;
    return 1;
  }

  static long ctrl(BIO*, int command, long, void*) { return command == BIO_CTRL_FLUSH ? 1 : 0; }
};

TlsSession::TlsSession(const TlsContext& context) : TlsSession(context.new_ssl()) {
  SSL_set_accept_state(ssl_);
}

TlsSession::TlsSession(const TlsClientContext& context, const std::string& host)
    : TlsSession(context.new_ssl(host)) {
  SSL_set_connect_state(ssl_);
}

TlsSession::TlsSession(SSL* ssl) : ssl_(ssl) {
  BIO* bio = BIO_new(TlsBio::method());
  if (!bio) {
    SSL_free(ssl_);
    throw std::bad_alloc();
  }
  BIO_set_data(bio, this);
  SSL_set_bio(ssl_, bio, bio);  // one BIO both ways; the SSL owns it
}

void TlsSession::start() {
  if (SSL_do_handshake(ssl_) != 1 && SSL_get_error(ssl_, 0) != SSL_ERROR_WANT_READ) {
    failed_ = true;
  }
  ERR_clear_error();
}

std::string TlsSession::verify_error() const {
  const long result = SSL_get_verify_result(ssl_);
  return result == X509_V_OK ? std::string() : X509_verify_cert_error_string(result);
}

TlsSession::~TlsSession() { SSL_free(ssl_); }

std::string& TlsSession::output() {
  thread_local std::string ciphertext;
  return ciphertext;
}

bool TlsSession::established() const { return SSL_is_init_finished(ssl_); }

void TlsSession::feed(const std::uint8_t* data, std::size_t size) {
  input_ = data;
  input_size_ = size;
}

TlsSession::Decrypted TlsSession::decrypt(std::uint8_t* plain, std::size_t capacity) {
  std::size_t size = 0;
  while (size < capacity) {
    std::size_t n = 0;
    if (SSL_read_ex(ssl_, plain + size, capacity - size, &n) == 1) {
      size += n;
      continue;
    }
    switch (SSL_get_error(ssl_, 0)) {
      case SSL_ERROR_WANT_READ:
        return {size, Status::drained};
      case SSL_ERROR_ZERO_RETURN:
        return {size, Status::closed};
      default:
        failed_ = true;
        ERR_clear_error();  // the error queue is per thread: leave it clean for the next session
        return {size, Status::failed};
    }
  }
  return {size, Status::more};
}

bool TlsSession::encrypt(std::string_view plain) {
  std::size_t written = 0;
  if (plain.empty() || SSL_write_ex(ssl_, plain.data(), plain.size(), &written) == 1) return true;
  failed_ = true;
  ERR_clear_error();
  return false;
}

void TlsSession::close_notify() {
  if (failed_ || !established() || (SSL_get_shutdown(ssl_) & SSL_SENT_SHUTDOWN)) return;
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

}  // namespace wisp::net
