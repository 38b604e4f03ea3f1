// net::TlsContext and TLS net::Sockets against an OpenSSL client over loopback: certificates made
// at test time with the openssl command, an echo socket on a real event loop thread.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>

#include "net/event_loop.hpp"
#include "net/socket.hpp"
#include "net/tcp_listener.hpp"
#include "net/tls.hpp"
#include "tls_test_support.hpp"

namespace {

using namespace wisp;
using namespace wisp::test;
namespace fs = std::filesystem;

constexpr const char* passphrase = "wisp-pass";

// ---- certificates ------------------------------------------------------------------------------

// A CA and the certificates it signs, made once for the whole program in a temporary directory.
struct Pki {
  fs::path dir;
  std::string error;  // why the certificates could not be made

  std::string path(const std::string& name) const { return (dir / name).string(); }

  // <name>.crt for `cn` and `san`, signed by the CA; <name>.key, encrypted with `passphrase` when
  // `encrypted`.
  bool issue(const std::string& name, const std::string& cn, const std::string& san,
             const std::string& key_algorithm, bool encrypted) {
    std::string key =
        "openssl genpkey -algorithm " + key_algorithm + " -out " + path(name + ".key");
    if (encrypted) key.append(" -aes-256-cbc -pass pass:").append(passphrase);
    std::ofstream(path(name + ".ext")) << "subjectAltName=" << san << "\n";
    std::string request = "openssl req -new -key " + path(name + ".key") + " -passin pass:";
    request.append(passphrase).append(" -subj /CN=").append(cn).append(" -out ");
    request.append(path(name + ".csr"));
    std::string sign = "openssl x509 -req -days 2 -in " + path(name + ".csr") + " -CA ";
    sign.append(path("ca.crt")).append(" -CAkey ").append(path("ca.key"));
    sign.append(" -CAcreateserial -extfile ").append(path(name + ".ext"));
    sign.append(" -out ").append(path(name + ".crt"));
    return sh(key) && sh(request) && sh(sign);
  }

  void make() {
    if (!sh("command -v openssl")) {
      error = "the openssl command is not installed";
      return;
    }
    char pattern[] = "/tmp/wisp-tls-XXXXXX";
    if (!mkdtemp(pattern)) {
      error = "cannot make a temporary directory";
      return;
    }
    dir = pattern;
    std::string ca = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    ca.append(" -days 2 -subj /CN=wisp-test-ca -keyout ").append(path("ca.key"));
    ca.append(" -out ").append(path("ca.crt"));
    const std::string ec = "EC -pkeyopt ec_paramgen_curve:P-256";
    const bool made = sh(ca) &&
                      issue("localhost", "localhost", "DNS:localhost,IP:127.0.0.1", ec, true) &&
                      issue("other", "other.test", "DNS:other.test",
                            "RSA -pkeyopt rsa_keygen_bits:2048", false) &&
                      issue("v2", "localhost-v2", "DNS:localhost,IP:127.0.0.1", ec, false);
    if (!made) error = "the openssl command failed to make the test certificates";
  }

  ~Pki() {
    if (!dir.empty()) fs::remove_all(dir);
  }
};

const Pki& pki() {
  static Pki made = [] {
    Pki p;
    p.make();
    return p;
  }();
  return made;
}

net::TlsCertificate localhost_certificate() {
  return {pki().path("localhost.crt"), pki().path("localhost.key"), passphrase};
}
net::TlsCertificate other_certificate() {
  return {pki().path("other.crt"), pki().path("other.key"), ""};
}

// ---- the server: an echo socket on an event loop thread ----------------------------------------

class EchoServer;

// Echoes what it reads. "bye" half-closes (TLS close_notify, then FIN); "burst" answers with
// "start" from the read and then, outside any read, numbered lines and "end".
class EchoSocket final : public net::Socket {
 public:
  // `greeting` is written at once, before the TLS handshake (it has to wait for it).
  EchoSocket(int fd, const net::TlsContext* tls, EchoServer& server, const std::string& greeting)
      : net::Socket(fd, tls), server_(server) {
    if (!greeting.empty()) write(greeting);
  }

 private:
  void on_data(std::uint8_t* data, std::size_t size) override;
  void on_end() override;

  EchoServer& server_;
};

class EchoServer {
 public:
  explicit EchoServer(const net::TlsContext* tls, std::string greeting = {})
      : tls_(tls), greeting_(std::move(greeting)) {
    std::promise<std::uint16_t> port;
    auto ready = port.get_future();
    thread_ = std::thread([this, &port] { run(port); });
    port_ = ready.get();
  }
  ~EchoServer() {
    loop_->stop();
    thread_.join();
  }

  std::uint16_t port() const { return port_; }

  // Waits (bounded) until `count` connections in all have ended on the server.
  bool wait_ended(int count) {
    std::unique_lock lock(mutex_);
    return ended_changed_.wait_for(lock, std::chrono::seconds(10), [&] { return ended_ >= count; });
  }

  void ended(EchoSocket* socket) {
    sockets_.erase(socket);
    std::lock_guard lock(mutex_);
    ++ended_;
    ended_changed_.notify_all();
  }

 private:
  void run(std::promise<std::uint16_t>& port) {
    net::EventLoop loop;
    loop_ = &loop;
    const int listen_fd = net::listen_tcp("127.0.0.1", 0, false);
    net::Acceptor acceptor(
        listen_fd, [this](int fd) { sockets_.insert(new EchoSocket(fd, tls_, *this, greeting_)); });
    port.set_value(net::local_port(listen_fd));
    loop.run();
    for (EchoSocket* socket : sockets_) delete socket;
  }

  const net::TlsContext* tls_;
  const std::string greeting_;
  net::EventLoop* loop_ = nullptr;
  std::thread thread_;
  std::uint16_t port_ = 0;
  std::set<EchoSocket*> sockets_;  // loop thread only
  std::mutex mutex_;
  std::condition_variable ended_changed_;
  int ended_ = 0;
};

void EchoSocket::on_data(std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (text == "bye") return shutdown_write();
  if (text != "burst") return write(text);
  write("start\n");
  net::EventLoop::current()->post([this] {
    for (int i = 0; i < 1000; ++i) write(std::to_string(i).append("\n"));
    write("end\n");
  });
}

void EchoSocket::on_end() {
  close_fd();
  server_.ended(this);
  net::EventLoop::current()->retire(this);
}

// ---- the client: OpenSSL on a blocking socket --------------------------------------------------

struct ClientOptions {
  int min_version = TLS1_2_VERSION;
  int max_version = 0;  // the highest OpenSSL knows
  std::string server_name = "localhost";
  std::string alpn;  // wire format: length-prefixed names
  SSL_SESSION* resume = nullptr;
};

template <class Set>
ClientOptions options(Set set) {
  ClientOptions result;
  set(result);
  return result;
}

class TlsClient {
 public:
  TlsClient(std::uint16_t port, const ClientOptions& options = {}) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (options.min_version < TLS1_2_VERSION) {  // OpenSSL 3 only speaks TLS 1.1 at level 0
      SSL_CTX_set_security_level(ctx_, 0);
      SSL_CTX_set_cipher_list(ctx_, "DEFAULT:@SECLEVEL=0");
    }
    SSL_CTX_set_min_proto_version(ctx_, options.min_version);
    SSL_CTX_set_max_proto_version(ctx_, options.max_version);
    SSL_CTX_load_verify_locations(ctx_, pki().path("ca.crt").c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    ssl_ = SSL_new(ctx_);
    if (!options.server_name.empty()) SSL_set_tlsext_host_name(ssl_, options.server_name.c_str());
    if (!options.alpn.empty()) {
      SSL_set_alpn_protos(ssl_, reinterpret_cast<const unsigned char*>(options.alpn.data()),
                          static_cast<unsigned>(options.alpn.size()));
    }
    if (options.resume) SSL_set_session(ssl_, options.resume);
    fd_ = connect_tcp(port, 10);
    SSL_set_fd(ssl_, fd_);
    connected_ = fd_ >= 0 && SSL_connect(ssl_) == 1;
    if (!connected_) error_ = ssl_errors();
  }
  ~TlsClient() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
  }

  bool connected() const { return connected_; }
  const std::string& error() const { return error_; }
  SSL* ssl() { return ssl_; }

  bool send(std::string_view bytes) {
    std::size_t written = 0;
    return SSL_write_ex(ssl_, bytes.data(), bytes.size(), &written) == 1;
  }

  // Reads exactly `size` bytes; fewer if the connection ends or fails first.
  std::string receive(std::size_t size) {
    std::string bytes(size, '\0');
    std::size_t got = 0;
    while (got < size) {
      std::size_t n = 0;
      if (SSL_read_ex(ssl_, bytes.data() + got, size - got, &n) != 1) break;
      got += n;
    }
    bytes.resize(got);
    return bytes;
  }

  std::string echo(std::string_view bytes) {
    return send(bytes) ? receive(bytes.size()) : std::string("<send failed>");
  }

  std::string peer_common_name() {
    X509* peer = SSL_get1_peer_certificate(ssl_);
    if (!peer) return {};
    char name[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name, sizeof name);
    X509_free(peer);
    return name;
  }

  void close_abruptly() {
    ::close(fd_);
    fd_ = -1;
  }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool connected_ = false;
  std::string error_;
};

std::string random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 generator(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(generator());
  return bytes;
}

// ---- tests -------------------------------------------------------------------------------------

class Tls : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!pki().error.empty()) GTEST_SKIP() << "TLS tests skipped: " << pki().error;
    context_ = std::make_unique<net::TlsContext>(
        localhost_certificate(), net::TlsContext::ServerNames{{"Other.Test", other_certificate()}});
    server_ = std::make_unique<EchoServer>(context_.get());
  }

  std::uint16_t port() const { return server_->port(); }

  std::unique_ptr<net::TlsContext> context_;
  std::unique_ptr<EchoServer> server_;
};

TEST_F(Tls, Tls13HandshakeAndEcho) {
  TlsClient client(port());
  ASSERT_TRUE(client.connected()) << client.error();
  EXPECT_EQ(SSL_version(client.ssl()), TLS1_3_VERSION);
  EXPECT_EQ(client.echo("hello"), "hello");
}

TEST_F(Tls, Tls12HandshakeAndEcho) {
  TlsClient client(port(), options([](ClientOptions& o) { o.max_version = TLS1_2_VERSION; }));
  ASSERT_TRUE(client.connected()) << client.error();
  EXPECT_EQ(SSL_version(client.ssl()), TLS1_2_VERSION);
  EXPECT_EQ(client.echo("hello"), "hello");
}

TEST_F(Tls, Tls12WithRsaCertificate) {
  TlsClient client(port(), options([](ClientOptions& o) {
                     o.max_version = TLS1_2_VERSION;
                     o.server_name = "other.test";
                   }));
  ASSERT_TRUE(client.connected()) << client.error();
  EXPECT_EQ(client.peer_common_name(), "other.test");
  EXPECT_EQ(client.echo("hello"), "hello");
}

TEST_F(Tls, Tls11IsRefusedByTheServer) {
  TlsClient client(port(), options([](ClientOptions& o) {
                     o.min_version = TLS1_1_VERSION;
                     o.max_version = TLS1_1_VERSION;
                   }));
  EXPECT_FALSE(client.connected());
  // The client did offer TLS 1.1: the server answered with a protocol_version alert.
  EXPECT_NE(client.error().find("alert protocol version"), std::string::npos) << client.error();
  EXPECT_TRUE(server_->wait_ended(1));
}

TEST_F(Tls, AlpnSelectsHttp11) {
  TlsClient client(
      port(), options([](ClientOptions& o) { o.alpn = std::string("\x02h2\x08http/1.1", 12); }));
  ASSERT_TRUE(client.connected()) << client.error();
  const unsigned char* selected = nullptr;
  unsigned size = 0;
  SSL_get0_alpn_selected(client.ssl(), &selected, &size);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(selected), size), "http/1.1");
}

TEST_F(Tls, AlpnWithoutHttp11SelectsNothing) {
  TlsClient client(port(), options([](ClientOptions& o) { o.alpn = std::string("\x02h2", 3); }));
  ASSERT_TRUE(client.connected()) << client.error();
  const unsigned char* selected = nullptr;
  unsigned size = 0;
  SSL_get0_alpn_selected(client.ssl(), &selected, &size);
  EXPECT_EQ(size, 0u);
}

TEST_F(Tls, SniPicksTheCertificate) {
  const std::pair<std::string, std::string> cases[] = {
      {"localhost", "localhost"},
      {"other.test", "other.test"},
      {"OTHER.test", "other.test"},
      {"", "localhost"},             // no server name: the default certificate
      {"unknown.test", "localhost"}  // a name without a certificate: the default one too
  };
  for (const auto& [name, common_name] : cases) {
    TlsClient client(port(), options([&](ClientOptions& o) { o.server_name = name; }));
    ASSERT_TRUE(client.connected()) << name << ": " << client.error();
    EXPECT_EQ(client.peer_common_name(), common_name) << name;
    EXPECT_EQ(client.echo("x"), "x");
  }
}

TEST_F(Tls, EchoesFromOneByteToOneMebibyte) {
  TlsClient client(port());
  ASSERT_TRUE(client.connected()) << client.error();
  for (const std::size_t size : {1u, 100u, 16383u, 16384u, 16385u, 65536u, 300000u, 1u << 20}) {
    const std::string bytes = random_bytes(size, static_cast<unsigned>(size));
    EXPECT_TRUE(client.echo(bytes) == bytes) << size << " bytes";
  }
}

TEST_F(Tls, EchoesManySmallWrites) {
  TlsClient client(port());
  ASSERT_TRUE(client.connected()) << client.error();
  std::string sent;
  for (int i = 0; i < 5000; ++i) {
    const std::string piece = random_bytes(1 + i % 64, static_cast<unsigned>(i));
    ASSERT_TRUE(client.send(piece));
    sent.append(piece);
  }
  EXPECT_TRUE(client.receive(sent.size()) == sent);
}

TEST_F(Tls, WritesOutsideAReadKeepTheirOrder) {
  TlsClient client(port());
  ASSERT_TRUE(client.connected()) << client.error();
  std::string expected = "start\n";
  for (int i = 0; i < 1000; ++i) expected.append(std::to_string(i)).append("\n");
  expected.append("end\n");
  ASSERT_TRUE(client.send("burst"));
  EXPECT_EQ(client.receive(expected.size()), expected);
}

TEST_F(Tls, WritesBeforeTheHandshakeWaitForIt) {
  EchoServer greeter(context_.get(), "hello before the handshake\n");
  for (const int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    TlsClient client(greeter.port(), options([&](ClientOptions& o) { o.max_version = version; }));
    ASSERT_TRUE(client.connected()) << client.error();
    EXPECT_EQ(client.receive(27), "hello before the handshake\n");
    EXPECT_EQ(client.echo("x"), "x");
  }
}

TEST_F(Tls, PeerCloseNotifyEndsTheSocket) {
  TlsClient client(port());
  ASSERT_TRUE(client.connected()) << client.error();
  EXPECT_EQ(client.echo("x"), "x");
  EXPECT_EQ(SSL_shutdown(client.ssl()), 0);  // close_notify sent, the server's not yet received
  EXPECT_TRUE(server_->wait_ended(1));
  // The server answers with its own close_notify before it closes.
  char byte;
  EXPECT_EQ(SSL_read(client.ssl(), &byte, 1), 0);
  EXPECT_EQ(SSL_get_error(client.ssl(), 0), SSL_ERROR_ZERO_RETURN);
}

TEST_F(Tls, PeerVanishingEndsTheSocket) {
  TlsClient client(port());
  ASSERT_TRUE(client.connected()) << client.error();
  EXPECT_EQ(client.echo("x"), "x");
  client.close_abruptly();
  EXPECT_TRUE(server_->wait_ended(1));
}

TEST_F(Tls, ShutdownWriteSendsCloseNotify) {
  TlsClient client(port());
  ASSERT_TRUE(client.connected()) << client.error();
  ASSERT_TRUE(client.send("bye"));
  char byte;
  EXPECT_EQ(SSL_read(client.ssl(), &byte, 1), 0);
  EXPECT_EQ(SSL_get_error(client.ssl(), 0), SSL_ERROR_ZERO_RETURN);
  EXPECT_TRUE(client.send("still read"));    // half-close: the server still reads
  EXPECT_EQ(SSL_shutdown(client.ssl()), 1);  // both close_notify seen
  EXPECT_TRUE(server_->wait_ended(1));
}

// Sends `bytes` on a plain TCP connection and returns what comes back until the server closes;
// "<timeout>" if it does not.
std::string exchange_raw(std::uint16_t port, std::string_view bytes) {
  const int fd = connect_tcp(port, 10);
  if (fd < 0) return "<connect failed>";
  std::string reply;
  if (::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size())) {
    char buffer[256];
    ssize_t n;
    while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) reply.append(buffer, n);
    if (n < 0 && errno != ECONNRESET) reply = "<timeout>";
  }
  ::close(fd);
  return reply;
}

TEST_F(Tls, PlainHttpClientIsDropped) {
  // OpenSSL recognises an HTTP request and closes without an alert.
  EXPECT_EQ(exchange_raw(port(), "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"), "");
  EXPECT_TRUE(server_->wait_ended(1));
  TlsClient client(port());  // the server goes on
  ASSERT_TRUE(client.connected()) << client.error();
  EXPECT_EQ(client.echo("x"), "x");
}

TEST_F(Tls, GarbageHandshakeGetsAnAlert) {
  const std::string hello("\x16\x03\x01\x00\x08garbage!", 13);  // a record of no ClientHello
  const std::string reply = exchange_raw(port(), hello);
  ASSERT_GE(reply.size(), 7u) << reply;
  EXPECT_EQ(reply[0], '\x15');  // an alert record
  EXPECT_EQ(reply[5], '\x02');  // fatal
  EXPECT_TRUE(server_->wait_ended(1));
  TlsClient client(port());
  ASSERT_TRUE(client.connected()) << client.error();
  EXPECT_EQ(client.echo("x"), "x");
}

TEST_F(Tls, KeyUpdatesKeepTheConnectionGoing) {
  TlsClient client(port());
  ASSERT_TRUE(client.connected()) << client.error();
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(SSL_key_update(client.ssl(), SSL_KEY_UPDATE_REQUESTED), 1);
    const std::string bytes = random_bytes(40000, static_cast<unsigned>(i));
    EXPECT_TRUE(client.echo(bytes) == bytes) << i;
  }
}

// A session from a first connection resumes a second one (TLS 1.3 tickets, TLS 1.2 tickets).
void expect_resumption(std::uint16_t port, int version) {
  const auto versioned = options([&](ClientOptions& o) { o.max_version = version; });
  SSL_SESSION* session = nullptr;
  {
    TlsClient first(port, versioned);
    ASSERT_TRUE(first.connected()) << first.error();
    EXPECT_EQ(first.echo("x"), "x");  // the tickets came before the echo
    EXPECT_FALSE(SSL_session_reused(first.ssl()));
    session = SSL_get1_session(first.ssl());
    SSL_shutdown(first.ssl());  // else OpenSSL marks the session not resumable
  }
  ASSERT_NE(session, nullptr);
  auto resuming = versioned;
  resuming.resume = session;
  TlsClient second(port, resuming);
  SSL_SESSION_free(session);
  ASSERT_TRUE(second.connected()) << second.error();
  EXPECT_TRUE(SSL_session_reused(second.ssl()));
  EXPECT_EQ(second.echo("y"), "y");
}

TEST_F(Tls, Tls13SessionsResume) { expect_resumption(port(), TLS1_3_VERSION); }
TEST_F(Tls, Tls12SessionsResume) { expect_resumption(port(), TLS1_2_VERSION); }

class TlsReload : public Tls {
 protected:
  void SetUp() override {
    if (!pki().error.empty()) GTEST_SKIP() << "TLS tests skipped: " << pki().error;
    const auto copy = fs::copy_options::overwrite_existing;
    fs::copy_file(pki().path("localhost.crt"), pki().path("live.crt"), copy);
    fs::copy_file(pki().path("localhost.key"), pki().path("live.key"), copy);
    context_ = std::make_unique<net::TlsContext>(
        net::TlsCertificate{pki().path("live.crt"), pki().path("live.key"), passphrase});
    server_ = std::make_unique<EchoServer>(context_.get());
  }

  // Replaces the live files with the v2 certificate (its key has no passphrase: none is needed).
  void install_v2() {
    const auto copy = fs::copy_options::overwrite_existing;
    fs::copy_file(pki().path("v2.crt"), pki().path("live.crt"), copy);
    fs::copy_file(pki().path("v2.key"), pki().path("live.key"), copy);
  }
};

TEST_F(TlsReload, OpenConnectionsStayAndNewOnesGetTheNewCertificate) {
  TlsClient before(port());
  ASSERT_TRUE(before.connected()) << before.error();
  EXPECT_EQ(before.peer_common_name(), "localhost");
  install_v2();
  std::thread([this] { context_->reload(); }).join();  // from a thread that is not the loop's
  EXPECT_EQ(before.echo("still here"), "still here");
  TlsClient after(port());
  ASSERT_TRUE(after.connected()) << after.error();
  EXPECT_EQ(after.peer_common_name(), "localhost-v2");
  EXPECT_EQ(after.echo("new"), "new");
  EXPECT_EQ(before.echo("old"), "old");
}

TEST_F(TlsReload, AFailedReloadKeepsTheCertificates) {
  std::ofstream(pki().path("live.key")) << "not a key\n";
  try {
    context_->reload();
    FAIL() << "reload() accepted a broken key";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(pki().path("live.key")), std::string::npos)
        << error.what();
  }
  TlsClient client(port());
  ASSERT_TRUE(client.connected()) << client.error();
  EXPECT_EQ(client.peer_common_name(), "localhost");
}

// Constructing a context with bad files throws a message naming the file.
void expect_rejected(const net::TlsCertificate& certificate, const std::string& named,
                     const std::string& server_name = {}) {
  try {
    net::TlsContext::ServerNames names;
    if (!server_name.empty()) names.emplace_back(server_name, certificate);
    net::TlsContext context(names.empty() ? certificate : localhost_certificate(), names);
    ADD_FAILURE() << "accepted " << certificate.chain_file << " + " << certificate.key_file;
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(named), std::string::npos) << error.what();
  }
}

TEST(TlsContext, RejectsBadFiles) {
  if (!pki().error.empty()) GTEST_SKIP() << "TLS tests skipped: " << pki().error;
  const std::string crt = pki().path("localhost.crt");
  const std::string key = pki().path("localhost.key");
  const std::string missing = pki().path("missing.pem");
  expect_rejected({missing, key, passphrase}, missing);
  expect_rejected({crt, missing, passphrase}, missing);
  expect_rejected({crt, key, "wrong"}, key);
  expect_rejected({crt, key, ""}, key);  // encrypted, and no passphrase: no prompt either
  expect_rejected({crt, pki().path("other.key"), ""}, crt);    // the key of another certificate
  expect_rejected({crt, missing, ""}, missing, "other.test");  // for a server name
}

TEST(TlsContext, AcceptsAnEncryptedKeyWithItsPassphrase) {
  if (!pki().error.empty()) GTEST_SKIP() << "TLS tests skipped: " << pki().error;
  EXPECT_NO_THROW(net::TlsContext context(localhost_certificate()));
}

}  // namespace
