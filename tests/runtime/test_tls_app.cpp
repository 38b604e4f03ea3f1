// An App over TLS: plain and TLS listeners at once, wss and https with an OpenSSL client, and
// certificate reload while a connection stays open. Certificates are made at test time with the
// openssl command (as tests/unit/test_tls.cpp does).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <stdexcept>
#include <string>

#include "raw_client.hpp"
#include "test_pki.hpp"
#include "tls_test_support.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

namespace fs = std::filesystem;

constexpr std::uint8_t kText = 0x1, kBinary = 0x2;

// ---- certificates ------------------------------------------------------------------------------

const Pki& pki() {
  static Pki made = [] {
    Pki p;
    p.make("wisp-tls-app");
    return p;
  }();
  return made;
}

// Points live.crt and live.key, which the App reads, at the v1 or v2 certificate.
void install(const std::string& name) {
  const auto copy = fs::copy_options::overwrite_existing;
  fs::copy_file(pki().path(name + ".crt"), pki().path("live.crt"), copy);
  fs::copy_file(pki().path(name + ".key"), pki().path("live.key"), copy);
}

TlsOptions live_tls() {
  return {.cert_file = pki().path("live.crt"), .key_file = pki().path("live.key")};
}

// ---- the client: OpenSSL on a blocking socket, trusting the test CA ----------------------------

class TlsClient : public TlsConnection {
 public:
  explicit TlsClient(std::uint16_t port) : TlsConnection(port, pki().path("ca.crt"), 5) {}

  // An HTTP response head, up to and including the blank line.
  std::string receive_head() {
    std::string head;
    while (!head.ends_with("\r\n\r\n")) {
      const std::string byte = receive(1);
      if (byte.empty()) throw std::runtime_error("the connection ended in the response head");
      head += byte;
    }
    return head;
  }

  void websocket_handshake() {
    send(RawClient::upgrade_request("/echo"));
    const std::string head = receive_head();
    if (!head.starts_with("HTTP/1.1 101")) throw std::runtime_error("upgrade refused: " + head);
  }

  // Sends a message and reads the server's frame (an unmasked frame under 64 KiB).
  Frame echo(std::uint8_t opcode, std::string_view payload) {
    send(client_frame(opcode, payload));
    const std::string header = receive(2);
    if (header.size() != 2) throw std::runtime_error("the connection ended before a frame");
    Frame frame;
    frame.fin = header[0] & 0x80;
    frame.opcode = header[0] & 0x0f;
    std::size_t size = header[1] & 0x7f;
    if (size == 126) {
      const std::string extended = receive(2);
      size = static_cast<std::uint8_t>(extended[0]) << 8 | static_cast<std::uint8_t>(extended[1]);
    }
    frame.payload = receive(size);
    return frame;
  }

  std::string peer_common_name() {
    X509* peer = SSL_get1_peer_certificate(ssl());
    if (!peer) return {};
    char name[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, name, sizeof name);
    X509_free(peer);
    return name;
  }
};

// ---- the server --------------------------------------------------------------------------------

// Runs an App that already listens on a thread of its own; stops it at destruction.
class Running {
 public:
  explicit Running(App& app)
      : app_(app), stopped_(std::async(std::launch::async, [&app] { app.run(); })) {}
  ~Running() {
    app_.stop();
    stopped_.wait();
  }

 private:
  App& app_;
  std::future<void> stopped_;
};

// /echo sends every message back; GET /hello answers a text.
void add_routes(App& app) {
  app.ws("/echo",
         {.message = [](WebSocket& ws, std::string_view m, OpCode op) { ws.send(m, op); }});
  app.get("/hello", [](Request&, Response& res) { res.text("hello over tls"); });
}

class TlsApp : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!pki().error.empty()) GTEST_SKIP() << "TLS tests skipped: " << pki().error;
    install("v1");
  }
};

TEST_F(TlsApp, ListensPlainAndTlsAtOnce) {
  App app({.threads = 2});
  add_routes(app);
  app.listen("127.0.0.1", 0).listen("127.0.0.1", 0, live_tls());
  const std::vector<std::uint16_t> ports = app.ports();
  ASSERT_EQ(ports.size(), 2u);
  EXPECT_EQ(app.port(), ports[0]);
  EXPECT_NE(ports[0], ports[1]);
  Running running(app);
  for (int i = 0; i < 4; ++i) {  // both loops accept on both ports: spread over them
    RawClient plain(ports[0]);
    plain.handshake();
    plain.send_frame(kText, "plain");
    EXPECT_EQ(plain.read_frame()->payload, "plain");
    TlsClient tls(ports[1]);
    tls.websocket_handshake();
    EXPECT_EQ(tls.echo(kText, "secure").payload, "secure");
  }
}

TEST_F(TlsApp, EchoesTextAndBinaryOverWss) {
  App app;
  add_routes(app);
  app.listen("127.0.0.1", 0, live_tls());
  Running running(app);
  TlsClient client(app.port());
  client.websocket_handshake();
  const Frame text = client.echo(kText, "héllo");
  EXPECT_EQ(text.opcode, kText);
  EXPECT_EQ(text.payload, "héllo");
  const std::string bytes(1000, '\xff');
  const Frame binary = client.echo(kBinary, bytes);
  EXPECT_EQ(binary.opcode, kBinary);
  EXPECT_EQ(binary.payload, bytes);
}

TEST_F(TlsApp, AnswersHttpsGet) {
  App app;
  add_routes(app);
  app.listen("127.0.0.1", 0, live_tls());
  Running running(app);
  TlsClient client(app.port());
  client.send("GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  const std::string response = client.receive_all();
  EXPECT_TRUE(response.starts_with("HTTP/1.1 200")) << response;
  EXPECT_TRUE(response.ends_with("\r\n\r\nhello over tls")) << response;
}

TEST_F(TlsApp, ReloadKeepsOpenConnectionsAndServesTheNewCertificate) {
  App app;
  add_routes(app);
  app.listen("127.0.0.1", 0, live_tls());
  Running running(app);
  TlsClient before(app.port());
  before.websocket_handshake();
  EXPECT_EQ(before.peer_common_name(), "v1");
  install("v2");
  app.reload_certificates();
  EXPECT_EQ(before.echo(kText, "still here").payload, "still here");
  TlsClient after(app.port());
  after.websocket_handshake();
  EXPECT_EQ(after.peer_common_name(), "v2");
  EXPECT_EQ(after.echo(kText, "new").payload, "new");
  EXPECT_EQ(before.echo(kText, "old").payload, "old");
}

TEST_F(TlsApp, AFailedReloadThrowsAndKeepsTheCertificate) {
  App app;
  add_routes(app);
  app.listen("127.0.0.1", 0, live_tls());
  Running running(app);
  std::ofstream(pki().path("live.key")) << "not a key\n";
  EXPECT_THROW(app.reload_certificates(), std::runtime_error);
  TlsClient client(app.port());
  EXPECT_EQ(client.peer_common_name(), "v1");
}

TEST_F(TlsApp, ListenWithABadKeyThrowsAndBindsNothing) {
  App app;
  TlsOptions tls = live_tls();
  tls.key_file = pki().path("missing.key");
  EXPECT_THROW(app.listen("127.0.0.1", 0, tls), std::runtime_error);
  tls.key_file = pki().path("v2.key");  // the key of another certificate
  EXPECT_THROW(app.listen("127.0.0.1", 0, tls), std::runtime_error);
  EXPECT_TRUE(app.ports().empty());
}

}  // namespace
}  // namespace wisp::test
