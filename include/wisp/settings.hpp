// Limits and options. Every limit has a safe default; change it per App or per route.
#pragma once

#include <chrono>
#include <cstddef>

namespace wisp {

// Per WebSocket route (app.ws(pattern, {.settings = {...}})).
struct WebSocketSettings {
  // A message (all fragments together) larger than this closes the connection with 1009.
  std::size_t max_message_size = 1024 * 1024;
  // Bytes a socket may hold unsent; a send past it is dropped (SendStatus::Dropped).
  std::size_t max_backpressure = 1024 * 1024;
  // A socket that receives nothing for this long is closed with 1001. Zero: never.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(120);
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
