// The WebSocket client: ws:// and wss:// connections to any RFC 6455 server, with the server's
// callback style (open, message, close, drain).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "wisp/opcode.hpp"
#include "wisp/websocket.hpp"  // SendStatus

#pragma GCC visibility push(default)  // the public API: exported from a shared libwisp

namespace wisp {

// Reconnection, with web/wisp.js's policy and names: after a connection drops or cannot be made,
// wait initial_delay * factor^attempt (at most max_delay), shortened at random by up to `jitter`
// of itself (1: "full jitter", so that clients dropped together do not return together), then
// connect again. It stops after `attempts` failures in a row (0: no limit), when the server closes
// with a code in final_close_codes, and when this side closes.
struct ReconnectSettings {
  bool enabled = false;
  std::chrono::milliseconds initial_delay{500};
  std::chrono::milliseconds max_delay{10'000};
  double factor = 2;
  double jitter = 0.5;
  std::size_t attempts = 0;
  std::vector<int> final_close_codes{close_code::normal, close_code::policy_violation};
};

struct ClientSettings {
  std::vector<std::string> subprotocols{};  // offered in order of preference (tokens)
  std::vector<std::pair<std::string, std::string>> headers{};  // more request header fields
  bool compression = true;  // offer permessage-deflate (RFC 7692); used if the server agrees
  std::size_t compression_threshold = 64;  // shorter messages are sent uncompressed
  // A message over this (after inflating) fails the connection with 1009.
  std::size_t max_message_size = 16 * 1024 * 1024;
  // Sends are refused (SendStatus::Dropped, counted in dropped()) while more than this is unsent.
  std::size_t max_backpressure = 16 * 1024 * 1024;
  // TCP connect, TLS and the upgrade must be done within this, else the connection fails.
  std::chrono::milliseconds open_timeout = std::chrono::seconds(10);
  // After a close frame, how long to wait for the server's answer and its end of TCP.
  std::chrono::milliseconds close_timeout = std::chrono::seconds(5);
  // Keepalive: after ping_interval with nothing received a ping goes out; nothing for
  // pong_timeout after it closes the connection with 1011. 0: no keepalive pings.
  std::chrono::milliseconds ping_interval{0};
  std::chrono::milliseconds pong_timeout = std::chrono::seconds(20);
  // wss://: the server's certificate is verified against the system's CAs, or against
  // `ca_file` (PEM) if set, and must name the URL's host. `insecure` skips both checks.
  std::string ca_file{};
  bool insecure = false;
  ReconnectSettings reconnect{};
};

// Why a connection never opened.
struct ConnectError {
  std::string message{};  // one line: "connection refused", "handshake refused: 403 Forbidden", ...
  int status = 0;         // the HTTP status when the server answered the upgrade without 101
  std::string body{};     // that response's body (up to 64 KiB)
};

// One client connection, as the handlers see it: valid from the open handler until the close
// handler returns. Its calls are for its loop thread (the handlers run there; from elsewhere use
// Client::post).
class ClientSocket {
 public:
  ClientSocket(const ClientSocket&) = delete;
  ClientSocket& operator=(const ClientSocket&) = delete;

  // Sends one message (masked, as RFC 6455 wants of clients). `op` is Text (valid UTF-8 is the
  // caller's to guarantee), Binary, Ping or Pong. Backpressure: written, but some bytes wait for
  // the socket (the drain handler runs once they are out). Dropped: closed, or over
  // max_backpressure. Throws std::invalid_argument for Continuation, Close, or a Ping/Pong
  // payload over 125 bytes.
  SendStatus send(std::string_view message, OpCode op = OpCode::Text, bool compress = true);
  SendStatus send_text(std::string_view text) { return send(text, OpCode::Text); }
  SendStatus send_binary(std::string_view bytes) { return send(bytes, OpCode::Binary); }
  // Starts the closing handshake; the close handler runs at once with `code`. Throws
  // std::invalid_argument for a code that may not be sent or a reason over 123 bytes or not
  // UTF-8. Does nothing if already closed.
  void close(int code = close_code::normal, std::string_view reason = {});
  // Drops TCP at once; the close handler sees 1006.
  void terminate();
  bool closed() const;

  std::string_view subprotocol() const;  // the one the server chose, or empty
  bool compression_agreed() const;
  std::size_t buffered_amount() const;  // bytes sent but not yet taken by the kernel
  std::uint64_t dropped() const;        // sends refused over max_backpressure

 protected:
  ClientSocket() = default;
  ~ClientSocket() = default;
};

struct ClientHandlers {
  std::function<void(ClientSocket&)> open{};
  std::function<void(ClientSocket&, std::string_view message, OpCode op)> message{};
  // Once per opened connection, whoever closed it: the code and reason received (1005 for a
  // close frame without a code), the code sent when this side closed or failed it (1002, 1007,
  // 1009, 1011), or 1006 when TCP ended without a close frame.
  std::function<void(ClientSocket&, int code, std::string_view reason)> close{};
  std::function<void(ClientSocket&)> drain{};  // everything that waited was written
  std::function<void(ClientSocket&, std::string_view payload)> ping{};  // after the pong went
  std::function<void(ClientSocket&, std::string_view payload)> pong{};
  // Instead of open, when the connection could not be made (then no other handler runs). With
  // reconnection on, only once it gives up (the error is the last attempt's).
  std::function<void(const ConnectError&)> fail{};
  // Reconnection: attempt `attempt` (1, 2, ...) starts after `delay`; `code` and `reason` are
  // the lost connection's close code and reason, or 1006 and why it could not be made (as a
  // ConnectError's message). open runs again when it opens.
  std::function<void(int attempt, std::chrono::milliseconds delay, int code,
                     std::string_view reason)>
      reconnecting{};
};

// Makes connections and runs them on one event loop. Constructed on a loop thread (in an App's
// handler, hook or task), it uses that loop: a server that is also a client of another service;
// destroy it on that thread, before the App stops. Constructed anywhere else, it runs a loop
// thread of its own until it is destroyed.
class Client {
 public:
  Client();
  ~Client();  // ends the connections still open, without a closing handshake or handlers
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Connects to `url` (ws://host[:port]/path?query or wss://...); the outcome is reported through
  // `handlers` on the client's loop. Safe from any thread. A host name is looked up for each
  // attempt on a thread of its own (no loop waits for DNS); one that does not resolve fails the
  // attempt as a refused connect does ("cannot resolve 'host': ..."). Throws
  // std::invalid_argument for a URL that is not ws:// or wss://, a bad header or subprotocol,
  // std::runtime_error for an unusable ca_file.
  void connect(std::string_view url, ClientHandlers handlers, ClientSettings settings = {});
  // Runs `task` on the client's loop (at once when called there). Safe from any thread.
  void post(std::function<void()> task);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace wisp

#pragma GCC visibility pop
