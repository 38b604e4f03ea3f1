// wisp::testing: a blocking client for users' tests of their handlers (library wisp::testing).
//
//   wisp::App app;
//   app.ws("/echo", {.message = [](wisp::WebSocket& ws, std::string_view m, wisp::OpCode op) {
//     ws.send(m, op);
//   }});
//   wisp::testing::TestClient client(app);          // runs the app on port 0, in the background
//   auto ws = client.websocket_connect("/echo");
//   ws.send_text("hi");
//   EXPECT_EQ(ws.receive_text(), "hi");             // waits at most client.timeout, then throws
//
// Every wait is bounded (TestClient::timeout, 5 s by default): a handler that never answers
// fails the test with a TestError instead of hanging it.
#pragma once

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "wisp/app.hpp"
#include "wisp/client.hpp"

#pragma GCC visibility push(default)  // the public API: exported from a shared libwisp

namespace wisp::testing {

// A wait that timed out, a refused handshake, a message of the other type, a closed session.
class TestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ConnectOptions {
  std::vector<std::pair<std::string, std::string>> headers{};
  std::vector<std::string> subprotocols{};
  std::string query{};  // without the '?': "room=1&name=ada"
  bool compression = true;
};

struct HttpResult {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers{};
  std::string body{};
  // The first header of that name (case-insensitive), or empty.
  std::string header(std::string_view name) const;
  nlohmann::json json() const { return nlohmann::json::parse(body); }
};

// One WebSocket connection, driven from the test's thread. Movable; closes at destruction.
class WebSocketSession {
 public:
  WebSocketSession(WebSocketSession&&) noexcept;
  WebSocketSession& operator=(WebSocketSession&&) noexcept;
  ~WebSocketSession();

  void send_text(std::string_view text);
  void send_bytes(std::string_view bytes);
  void send_json(const nlohmann::json& value);
  // The next message, which must be text (binary); TestError on timeout, on the other type, or
  // when the server closed first.
  std::string receive_text();
  std::string receive_bytes();
  nlohmann::json receive_json();  // receive_text(), parsed (nlohmann::json::parse_error if not)
  // Sends a close frame with `code` (the session is closed from then on) and waits until it went
  // out (TestError on timeout). Throws std::invalid_argument where ClientSocket::close would.
  void close(int code = close_code::normal, std::string_view reason = {});
  // Waits for the session to be closed, by either side, and returns the code: the server's, or
  // the one this side sent, or 1006 when TCP ended first.
  int close_code();
  std::string close_reason();  // after close_code(): the reason that came with it
  std::string subprotocol() const;
  bool compression_agreed() const;

 private:
  friend class TestClient;
  struct State;
  explicit WebSocketSession(std::shared_ptr<State> state);
  std::string receive(OpCode wanted);
  std::shared_ptr<State> state_;
};

class TestClient {
 public:
  // Listens on 127.0.0.1, port 0, and runs `app` on a thread of its own until destruction (a
  // graceful stop). The app must not be running yet; its routes are all added.
  explicit TestClient(App& app);
  // Attaches to a server already running on host:port; it is left running.
  explicit TestClient(std::uint16_t port, std::string host = "127.0.0.1");
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  std::uint16_t port() const { return port_; }

  // Connects to ws://host:port`path`. Throws TestError when the handshake is refused (its
  // message holds the status and body) or does not complete within `timeout`.
  WebSocketSession websocket_connect(std::string_view path, ConnectOptions options = {});
  // HTTP/1.1 requests (Connection: close), each bounded by `timeout`.
  HttpResult get(std::string_view path,
                 const std::vector<std::pair<std::string, std::string>>& headers = {});
  HttpResult post(std::string_view path, std::string_view body,
                  std::string_view content_type = "application/json",
                  const std::vector<std::pair<std::string, std::string>>& headers = {});

  std::chrono::milliseconds timeout = std::chrono::seconds(5);  // for every wait

 private:
  HttpResult request(std::string_view method, std::string_view path, std::string_view body,
                     std::string_view content_type,
                     const std::vector<std::pair<std::string, std::string>>& headers);

  App* app_ = nullptr;  // when the client runs it
  std::future<void> app_stopped_;
  std::string host_;
  std::uint16_t port_ = 0;
  std::unique_ptr<Client> client_;
};

}  // namespace wisp::testing

#pragma GCC visibility pop
