// wisp::Client and wisp::testing::TestClient against real servers in this process: wisp's App
// (plain and TLS), and raw-socket servers that break the protocol in one way each.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/unique_fd.hpp"
#include "protocol/frame.hpp"
#include "protocol/handshake.hpp"
#include "protocol/http_request.hpp"
#include "protocol/mask.hpp"
#include "server_thread.hpp"
#include "test_pki.hpp"
#include "wisp/testing.hpp"
#include "wisp/wisp.hpp"

namespace wisp {
namespace {

using namespace std::chrono_literals;
using testing::TestClient;
using testing::TestError;

constexpr auto kWait = 5s;  // every wait of these tests: a regression fails, never hangs

WebSocketBehavior echo() {
  return {.message = [](WebSocket& ws, std::string_view m, OpCode op) { ws.send(m, op); }};
}

// What a Client's handlers report, for a test thread to wait on.
struct Outcome {
  std::promise<void> opened;
  std::promise<std::string> message;
  std::promise<std::pair<int, std::string>> closed;
  std::promise<ConnectError> failed;
  bool message_set = false;

  ClientHandlers handlers(std::function<void(ClientSocket&)> on_open = {}) {
    return {.open =
                [this, on_open](ClientSocket& s) {
                  opened.set_value();
                  if (on_open) on_open(s);
                },
            .message =
                [this](ClientSocket&, std::string_view m, OpCode) {
                  if (!std::exchange(message_set, true)) message.set_value(std::string(m));
                },
            .close =
                [this](ClientSocket&, int code, std::string_view reason) {
                  closed.set_value({code, std::string(reason)});
                },
            .fail = [this](const ConnectError& e) { failed.set_value(e); }};
  }
};

template <class T>
T await(std::promise<T>& promise) {
  auto future = promise.get_future();
  if (future.wait_for(kWait) != std::future_status::ready) throw TestError("timed out");
  return future.get();
}

// ---- against wisp's App ------------------------------------------------------------------------

TEST(TestClient, EchoesTextBinaryAndJson) {
  App app;
  app.ws("/echo", echo());
  TestClient client(app);
  auto ws = client.websocket_connect("/echo");
  ws.send_text("hello");
  EXPECT_EQ(ws.receive_text(), "hello");
  ws.send_bytes(std::string("\0\1\2", 3));
  EXPECT_EQ(ws.receive_bytes(), std::string("\0\1\2", 3));
  ws.send_json({{"n", 1}});
  EXPECT_EQ(ws.receive_json()["n"], 1);
  ws.send_text("text");
  EXPECT_THROW(ws.receive_bytes(), TestError);  // the other type fails the test
}

TEST(TestClient, ReceiveTimesOutInsteadOfHanging) {
  App app;
  app.ws("/silent", {});
  TestClient client(app);
  client.timeout = 100ms;
  auto ws = client.websocket_connect("/silent");
  EXPECT_THROW(ws.receive_text(), TestError);
}

TEST(TestClient, CarriesOneMebibyteWithAndWithoutCompression) {
  App app;
  app.ws("/shared", {.settings = {.compression = Compression::Shared}, .message = echo().message});
  app.ws("/dedicated",
         {.settings = {.compression = Compression::Dedicated}, .message = echo().message});
  TestClient client(app);
  std::string big(1024 * 1024, 'x');
  for (std::size_t i = 0; i < big.size(); i += 7) big[i] = static_cast<char>('a' + i % 26);
  for (const char* path : {"/shared", "/dedicated"}) {
    for (const bool compression : {true, false}) {
      auto ws = client.websocket_connect(path, {.compression = compression});
      EXPECT_EQ(ws.compression_agreed(), compression) << path;
      for (int round = 0; round < 2; ++round) {  // the second message runs on kept context
        ws.send_text(big);
        EXPECT_EQ(ws.receive_text(), big) << path;
      }
    }
  }
}

TEST(TestClient, OffersSubprotocolsHeadersAndQuery) {
  App app;
  app.ws("/chat", {.upgrade =
                       [](Upgrade& up) {
                         if (up.header("authorization") != "Bearer t") {
                           return up.reject(401, "who are you?");
                         }
                         up.accept({.subprotocol = "chat.v2"});
                       },
                   .open = [](WebSocket& ws) { ws.send(ws.query("name").value_or("?")); }});
  TestClient client(app);
  auto ws = client.websocket_connect("/chat", {.headers = {{"Authorization", "Bearer t"}},
                                               .subprotocols = {"chat.v1", "chat.v2"},
                                               .query = "name=ada"});
  EXPECT_EQ(ws.subprotocol(), "chat.v2");
  EXPECT_EQ(ws.receive_text(), "ada");
  try {
    client.websocket_connect("/chat");
    ADD_FAILURE() << "a refused upgrade must throw";
  } catch (const TestError& e) {
    EXPECT_NE(std::string(e.what()).find("401"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("who are you?"), std::string::npos) << e.what();
  }
}

TEST(TestClient, SeesTheServersCloseCodeAndReason) {
  App app;
  app.ws("/bye",
         {.message = [](WebSocket& ws, std::string_view, OpCode) { ws.close(4001, "done"); }});
  TestClient client(app);
  auto ws = client.websocket_connect("/bye");
  ws.send_text("go");
  EXPECT_EQ(ws.close_code(), 4001);
  EXPECT_EQ(ws.close_reason(), "done");
  EXPECT_THROW(ws.receive_text(), TestError);  // closed: nothing more comes
}

TEST(TestClient, SendsItsCloseCodeToTheServer) {
  std::promise<std::pair<int, std::string>> seen;
  App app;
  app.ws("/ws", {.close = [&](WebSocket&, int code, std::string_view reason) {
           seen.set_value({code, std::string(reason)});
         }});
  TestClient client(app);
  auto ws = client.websocket_connect("/ws");
  ws.close(4002, "later");
  EXPECT_EQ(await(seen), std::make_pair(4002, std::string("later")));
  EXPECT_THROW(ws.close(1005), std::invalid_argument);  // may not be sent
}

TEST(TestClient, MakesHttpRequests) {
  App app;
  app.get("/hello", [](Request&, Response& res) { res.text("hi there"); });
  app.post("/echo", [](Request& req, Response& res) { res.text(req.body()); });
  TestClient client(app);
  const auto got = client.get("/hello");
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, "hi there");
  EXPECT_EQ(client.post("/echo", R"({"a":1})").json()["a"], 1);
  EXPECT_EQ(client.get("/missing").status, 404);
}

TEST(Client, AnswersPingsAndKeepsAlive) {
  std::promise<std::string> server_got_pong;
  App app;
  app.ws("/ws", {.open = [](WebSocket& ws) { ws.send("are you there", OpCode::Ping); },
                 .pong = [&](WebSocket&,
                             std::string_view p) { server_got_pong.set_value(std::string(p)); }});
  test::ServerThread server(app);
  std::promise<void> client_got_pong;
  Outcome outcome;
  ClientHandlers handlers = outcome.handlers();
  handlers.pong = [&](ClientSocket&, std::string_view) { client_got_pong.set_value(); };
  Client client;
  client.connect("ws://127.0.0.1:" + std::to_string(server.port()) + "/ws", handlers,
                 {.ping_interval = 20ms});
  EXPECT_EQ(await(server_got_pong), "are you there");
  await(client_got_pong);  // the keepalive ping went out and the server answered it
}

TEST(Client, RunsOnAnAppsLoop) {
  App upstream;
  upstream.ws("/echo", echo());
  test::ServerThread up(upstream);
  const std::string upstream_url = "ws://127.0.0.1:" + std::to_string(up.port()) + "/echo";
  // A server that is a client too: each message is relayed to upstream and the answer back.
  struct Relay {
    std::unique_ptr<Client> client;
    ClientSocket* upstream = nullptr;
    std::string waiting;
  };
  auto relay = std::make_shared<Relay>();
  App app;
  app.ws("/relay",
         {.open =
              [&, relay](WebSocket& ws) {
                relay->client = std::make_unique<Client>();  // on this loop
                relay->client->connect(
                    upstream_url,
                    {.open =
                         [relay](ClientSocket& s) {
                           relay->upstream = &s;
                           if (!relay->waiting.empty()) s.send(relay->waiting);
                         },
                     .message = [&ws](ClientSocket&, std::string_view m,
                                      OpCode) { ws.send(std::string("via relay: ") += m); },
                     .close = [relay](ClientSocket&, int,
                                      std::string_view) { relay->upstream = nullptr; }});
              },
          .message =
              [relay](WebSocket&, std::string_view m, OpCode) {
                if (relay->upstream) return void(relay->upstream->send(m));
                relay->waiting = m;
              },
          .close = [relay](WebSocket&, int, std::string_view) { relay->client.reset(); }});
  TestClient client(app);
  auto ws = client.websocket_connect("/relay");
  ws.send_text("hello");
  EXPECT_EQ(ws.receive_text(), "via relay: hello");
}

// A loopback port that was free a moment ago (bound to port 0, then released).
std::uint16_t free_port() {
  net::UniqueFd probe(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in address{
      .sin_family = AF_INET, .sin_port = 0, .sin_addr = {htonl(INADDR_LOOPBACK)}, .sin_zero = {}};
  bind(probe.get(), reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t size = sizeof address;
  getsockname(probe.get(), reinterpret_cast<sockaddr*>(&address), &size);
  return ntohs(address.sin_port);
}

TEST(Client, ReportsARefusedConnection) {
  Outcome outcome;
  Client client;
  client.connect("ws://127.0.0.1:" + std::to_string(free_port()) + "/", outcome.handlers());
  EXPECT_NE(await(outcome.failed).message.find("refused"), std::string::npos);
  EXPECT_THROW(client.connect("http://127.0.0.1/", {}), std::invalid_argument);
}

// Host names are looked up off the loop, for each attempt: "localhost" connects; a name that
// cannot resolve fails like a refused connect, through reconnection first.
TEST(Client, ResolvesHostNamesOffTheLoopAndReportsOnesThatDoNotResolve) {
  App app;
  app.ws("/echo", echo());
  test::ServerThread server(app);
  Outcome named;
  Client client;
  client.connect("ws://localhost:" + std::to_string(server.port()) + "/echo",
                 named.handlers([](ClientSocket& s) { s.send_text("by name"); }));
  await(named.opened);
  EXPECT_EQ(await(named.message), "by name");

  Outcome nowhere;
  std::promise<std::string> retried;  // the first attempt's failure, reported as reconnecting
  ClientHandlers handlers = nowhere.handlers();
  handlers.reconnecting = [&retried](int attempt, std::chrono::milliseconds, int code,
                                     std::string_view reason) {
    EXPECT_EQ(code, close_code::abnormal);
    if (attempt == 1) retried.set_value(std::string(reason));
  };
  client.connect("ws://no-such-host.invalid/", std::move(handlers),
                 {.reconnect = {.enabled = true, .initial_delay = 1ms, .attempts = 1}});
  EXPECT_EQ(await(retried).rfind("cannot resolve 'no-such-host.invalid'", 0), 0u);
  EXPECT_EQ(await(nowhere.failed).message.rfind("cannot resolve 'no-such-host.invalid'", 0), 0u);
}

// What a reconnecting client went through, for the test thread to wait on.
struct Reconnections {
  std::mutex mutex;
  std::condition_variable changed;
  int opens = 0;
  std::vector<int> codes;  // of each reconnecting report

  template <class Predicate>
  bool wait(Predicate done) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, kWait, [&] { return done(*this); });
  }
  void update(const std::function<void(Reconnections&)>& change) {
    std::lock_guard lock(mutex);
    change(*this);
    changed.notify_all();
  }
};

// An echo App on `port` until destroyed.
struct EchoOnPort {
  explicit EchoOnPort(std::uint16_t port) {
    app.ws("/echo", echo());
    app.listen("127.0.0.1", port);
    running = std::async(std::launch::async, [this] { app.run(); });
  }
  ~EchoOnPort() {
    app.stop();
    running.wait();
  }
  App app;
  std::future<void> running;
};

TEST(Client, ReconnectsWithBackoffWhenTheServerRestarts) {
  const std::uint16_t port = free_port();
  Reconnections seen;
  auto first = std::make_unique<EchoOnPort>(port);
  Client client;
  client.connect("ws://127.0.0.1:" + std::to_string(port) + "/echo",
                 {.open = [&](ClientSocket&) { seen.update([](Reconnections& r) { ++r.opens; }); },
                  .reconnecting =
                      [&](int, std::chrono::milliseconds delay, int code, std::string_view) {
                        EXPECT_LE(delay, 40ms);  // max_delay caps every wait
                        seen.update([code](Reconnections& r) { r.codes.push_back(code); });
                      }},
                 {.reconnect = {.enabled = true, .initial_delay = 5ms, .max_delay = 40ms}});
  ASSERT_TRUE(seen.wait([](Reconnections& r) { return r.opens == 1; }));
  first.reset();  // the server stops: its close (1001), then refused attempts while it is down
  ASSERT_TRUE(seen.wait([](Reconnections& r) { return r.codes.size() >= 3; }));
  {
    std::lock_guard lock(seen.mutex);
    EXPECT_EQ(seen.codes[0], close_code::going_away);
    EXPECT_EQ(seen.codes[1], close_code::abnormal);  // connection refused
  }
  EchoOnPort second(port);
  EXPECT_TRUE(seen.wait([](Reconnections& r) { return r.opens == 2; }));
}

TEST(Client, DoesNotReconnectAfterItsOwnClose) {
  App app;
  app.ws("/echo", echo());
  test::ServerThread server(app);
  const std::string url = "ws://127.0.0.1:" + std::to_string(server.port()) + "/echo";
  Outcome first;
  ClientHandlers handlers = first.handlers([](ClientSocket& s) { s.close(4000, "done here"); });
  handlers.reconnecting = [](int, std::chrono::milliseconds, int, std::string_view) {
    ADD_FAILURE() << "reconnected after its own close";
  };
  Client client;
  client.connect(url, handlers, {.reconnect = {.enabled = true, .initial_delay = 1ms}});
  EXPECT_EQ(await(first.closed).first, 4000);
  // A retry would be reported when that connection ends (the server's answer and hang-up, which
  // come before a second connection on the same loop can have opened and closed).
  Outcome later;
  client.connect(url, later.handlers([](ClientSocket& s) { s.close(); }));
  await(later.closed);
}

// ---- over TLS ----------------------------------------------------------------------------------

const test::Pki& pki() {
  static test::Pki made = [] {
    test::Pki p;
    p.make("wisp-client");
    if (p.error.empty() && !p.issue("elsewhere", "DNS:elsewhere.example")) p.error = "issue failed";
    return p;
  }();
  return made;
}

class ClientTls : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!pki().error.empty()) GTEST_SKIP() << "TLS tests skipped: " << pki().error;
  }
  // Runs the echo App on TLS with certificate `name`; returns its wss:// URL.
  std::string serve(const std::string& name, std::string host = "127.0.0.1") {
    app_.ws("/echo", echo());
    app_.listen("127.0.0.1", 0,
                {.cert_file = pki().path(name + ".crt"), .key_file = pki().path(name + ".key")});
    server_ = std::async(std::launch::async, [this] { app_.run(); });
    return "wss://" + host + ":" + std::to_string(app_.port()) + "/echo";
  }
  void TearDown() override {
    if (!server_.valid()) return;
    app_.stop();
    server_.wait();
  }
  App app_;
  std::future<void> server_;
};

TEST_F(ClientTls, VerifiesTheCertificateAgainstTheCaFile) {
  const std::string url = serve("v1", "localhost");
  Outcome outcome;
  Client client;
  client.connect(url, outcome.handlers([](ClientSocket& s) { s.send("secure"); }),
                 {.ca_file = pki().path("ca.crt")});
  EXPECT_EQ(await(outcome.message), "secure");
}

TEST_F(ClientTls, RefusesAnUnknownCaUnlessInsecure) {
  const std::string url = serve("v1");
  Outcome refused;
  Client client;
  client.connect(url, refused.handlers());  // the system's CAs do not know the test CA
  EXPECT_NE(await(refused.failed).message.find("certificate"), std::string::npos);
  Outcome insecure;
  client.connect(url, insecure.handlers([](ClientSocket& s) { s.send("anyway"); }),
                 {.insecure = true});
  EXPECT_EQ(await(insecure.message), "anyway");
}

TEST_F(ClientTls, RefusesACertificateForAnotherHost) {
  const std::string url = serve("elsewhere");
  Outcome outcome;
  Client client;
  client.connect(url, outcome.handlers(), {.ca_file = pki().path("ca.crt")});
  const ConnectError error = await(outcome.failed);
  EXPECT_NE(error.message.find("certificate"), std::string::npos) << error.message;
}

// ---- servers that break the protocol -----------------------------------------------------------

// A real server on a loopback port, for one connection: it reads the upgrade request, answers
// with what `answer` makes of the request's key, then records what the client sends until it
// hangs up (bounded by kWait).
class RawServer {
 public:
  explicit RawServer(std::function<std::string(std::string_view key)> answer)
      : listener_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{
        .sin_family = AF_INET, .sin_port = 0, .sin_addr = {htonl(INADDR_LOOPBACK)}, .sin_zero = {}};
    bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address);
    listen(listener_.get(), 1);
    socklen_t size = sizeof address;
    getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
    received_ = std::async(std::launch::async, [this, answer] { return serve(answer); });
  }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/"; }
  // The bytes the client sent after the handshake (its frames, masked).
  std::string received() {
    if (received_.wait_for(kWait + 1s) != std::future_status::ready) return "(timed out)";
    return received_.get();
  }

 private:
  std::string serve(const std::function<std::string(std::string_view)>& answer) {
    net::UniqueFd fd(::accept(listener_.get(), nullptr, nullptr));
    const timeval limit{.tv_sec = 5, .tv_usec = 0};
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    std::string bytes;
    char buffer[4096];
    protocol::HttpRequestParser parser;
    std::size_t head = 0;
    while (head == 0) {
      const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
      if (n <= 0) return "(no request)";
      bytes.append(buffer, n);
      parser.reset();
      const auto result = parser.feed(bytes);
      if (result.status == protocol::HttpRequestParser::Status::Complete) head = result.consumed;
    }
    const std::string reply = answer(parser.request().header("sec-websocket-key"));
    ::send(fd.get(), reply.data(), reply.size(), MSG_NOSIGNAL);
    bytes.erase(0, head);
    while (!has_close_frame(bytes)) {  // then hangs up, as a server does after the close
      const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
      if (n <= 0) return bytes;
      bytes.append(buffer, n);
    }
    return bytes;
  }

  // A whole masked close frame with a short payload at the front of `bytes`.
  static bool has_close_frame(std::string_view bytes) {
    return bytes.size() >= 6 && static_cast<std::uint8_t>(bytes[0]) == 0x88 &&
           bytes.size() >= 6u + (static_cast<std::uint8_t>(bytes[1]) & 0x7Fu);
  }

  net::UniqueFd listener_;
  std::uint16_t port_ = 0;
  std::future<std::string> received_;
};

std::string switching(std::string_view key, std::string_view extra = {}) {
  const auto accept = protocol::accept_key(key);
  return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Accept: " +
         std::string(accept.data(), accept.size()) + "\r\n" + std::string(extra) + "\r\n";
}

// The close code in the client's first frame, which must be a masked close frame.
int close_code_sent(std::string frame) {
  if (frame.size() < 8 || static_cast<std::uint8_t>(frame[0]) != 0x88 ||
      !(static_cast<std::uint8_t>(frame[1]) & 0x80)) {
    return -1;
  }
  std::uint32_t key;
  std::memcpy(&key, frame.data() + 2, 4);
  protocol::apply_mask(reinterpret_cast<std::uint8_t*>(frame.data() + 6), 2, key, 0);
  return (static_cast<std::uint8_t>(frame[6]) << 8) | static_cast<std::uint8_t>(frame[7]);
}

ConnectError refused_by(std::function<std::string(std::string_view)> answer) {
  RawServer server(std::move(answer));
  Outcome outcome;
  Client client;
  client.connect(server.url(), outcome.handlers());
  return await(outcome.failed);
}

TEST(ClientAgainstBadServers, ReportsAStatusOtherThan101WithItsBody) {
  const ConnectError error = refused_by(
      [](std::string_view) { return "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nnot a socket"; });
  EXPECT_EQ(error.status, 200);
  EXPECT_EQ(error.body, "not a socket");
  EXPECT_NE(error.message.find("200 OK"), std::string::npos) << error.message;
}

TEST(ClientAgainstBadServers, FailsAWrongAccept) {
  const ConnectError error =
      refused_by([](std::string_view) { return switching("not the key that was sent"); });
  EXPECT_NE(error.message.find("Sec-WebSocket-Accept"), std::string::npos) << error.message;
}

TEST(ClientAgainstBadServers, FailsAnExtensionNotOffered) {
  const ConnectError error = refused_by([](std::string_view key) {
    return switching(key, "Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n");
  });
  EXPECT_NE(error.message.find("extension"), std::string::npos) << error.message;
}

// After a valid 101, the server sends `frame`: the client must close with `expected`.
void expect_closed_with(std::string frame, int expected) {
  RawServer server([&](std::string_view key) { return switching(key) + frame; });
  Outcome outcome;
  Client client;
  client.connect(server.url(), outcome.handlers());
  EXPECT_EQ(await(outcome.closed).first, expected);
  EXPECT_EQ(close_code_sent(server.received()), expected);  // and told the server so
}

TEST(ClientAgainstBadServers, ClosesWith1002OnAMaskedFrame) {
  expect_closed_with(std::string("\x81\x82\x01\x02\x03\x04", 6) + "\x69\x6b", 1002);
}

TEST(ClientAgainstBadServers, ClosesWith1002OnAnInvalidCloseCode) {
  expect_closed_with(std::string("\x88\x02\x03\xe7", 4), 1002);  // 999
}

TEST(ClientAgainstBadServers, ClosesWith1007OnInvalidUtf8) {
  expect_closed_with(std::string("\x81\x02\xc3\x28", 4), 1007);
}

}  // namespace
}  // namespace wisp
