// Limits and options. Every limit has a safe default; change it per App or per route.
#pragma once

#include <chrono>
#include <cstddef>

namespace wisp {

// What happens to a message for a socket already holding max_backpressure unsent bytes.
enum class BackpressurePolicy {
  Drop,   // the message is dropped and reported to the route's `dropped` handler
  Close,  // the slow socket is closed with 1008 "backpressure limit"
};

// Per WebSocket route (app.ws(pattern, {.settings = {...}})). Zero durations turn a timer off.
struct WebSocketSettings {
  // A message (all fragments together) larger than this closes the connection with 1009.
  std::size_t max_message_size = 1024 * 1024;
  // Bytes a socket may hold unsent (a client that stops reading holds no more than this plus
  // one message); past it, the policy decides. send() then returns SendStatus::Dropped.
  std::size_t max_backpressure = 1024 * 1024;
  BackpressurePolicy backpressure_policy = BackpressurePolicy::Drop;
  // Heartbeat: a socket that sent nothing for ping_interval gets a ping; one that then sends
  // nothing (no pong, no data) for pong_timeout is closed with 1011 "keepalive ping timeout".
  std::chrono::milliseconds ping_interval = std::chrono::seconds(25);
  std::chrono::milliseconds pong_timeout = std::chrono::seconds(20);
  // A socket that sends no message for this long is closed with 1001 "idle timeout" (pings and
  // pongs do not count). Off by default: the heartbeat already finds dead peers.
  std::chrono::milliseconds idle_timeout{0};
  // A socket open this long is closed with 1001 "max lifetime reached"; the route's `expiring`
  // handler runs lifetime_warning before, so the app can ask the client to re-authenticate.
  std::chrono::milliseconds max_lifetime{0};
  std::chrono::milliseconds lifetime_warning = std::chrono::seconds(30);
  // After a close frame was sent, how long to wait for the peer's reply before dropping TCP.
  std::chrono::milliseconds close_timeout = std::chrono::seconds(5);
};

// Per App.
struct AppOptions {
  // Event-loop threads, each with its own listening socket (SO_REUSEPORT) and its own sockets.
  unsigned threads = 1;
  // The request line and headers of an HTTP request together; more: 431.
  std::size_t max_header_size = 16 * 1024;
  // Header fields in one HTTP request; more: 431.
  std::size_t max_headers = 64;
  // A connection that has not completed its HTTP request head in this time is dropped.
  std::chrono::milliseconds handshake_timeout = std::chrono::seconds(10);
};

}  // namespace wisp
