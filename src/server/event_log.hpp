// The server's log events (docs/logs.md): each an inline level check, so that a hot path with
// its level off pays one predictable branch, then the out-of-line record (event_log.cpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "log/log.hpp"

namespace wisp::server {

struct ClientRecord;

// Who ended a WebSocket: the peer's close frame, the server (the app, a limit, a protocol
// error), or neither (the TCP connection ended without a close handshake).
enum class ClosedBy { peer, server, lost };

namespace event_log {

// Out of line: what each event records (event_log.cpp).
void write_open(std::string_view path, int fd, const ClientRecord* client, bool compressed);
void write_close(std::string_view route, int fd, const ClientRecord* client, int code,
                 std::string_view reason, ClosedBy by, std::chrono::milliseconds lasted);
void write_refused(bool upgrade, int status, std::string_view reason, std::string_view path,
                   int fd);
void write_access(std::string_view method, std::string_view path, int status, std::size_t bytes,
                  std::chrono::steady_clock::time_point started, int fd);
void count_dropped(std::string_view route);
void count_rate_limited(std::string_view route);

// "ws.open" (info): a WebSocket opened.
inline void opened(std::string_view path, int fd, const ClientRecord* client, bool compressed) {
  if (logs::enabled(LogLevel::info)) write_open(path, fd, client, compressed);
}

// "ws.close" (info): a WebSocket closed, with its code and reason, who closed it and how long it
// was open.
inline void closed(std::string_view route, int fd, const ClientRecord* client, int code,
                   std::string_view reason, ClosedBy by, std::chrono::milliseconds lasted) {
  if (logs::enabled(LogLevel::info)) write_close(route, fd, client, code, reason, by, lasted);
}

// "upgrade.refused" / "http.refused" (info): an error answer that ends the connection.
inline void refused(bool upgrade, int status, std::string_view reason, std::string_view path,
                    int fd) {
  if (logs::enabled(LogLevel::info)) write_refused(upgrade, status, reason, path, fd);
}

// Whether HTTP access lines are wanted (debug): only then is a request's start time read.
inline bool access_wanted() { return logs::enabled(LogLevel::debug); }

// "http.access" (debug: one per request would flood info).
inline void access(std::string_view method, std::string_view path, int status, std::size_t bytes,
                   std::chrono::steady_clock::time_point started, int fd) {
  if (access_wanted()) write_access(method, path, status, bytes, started, fd);
}

// "ws.dropped" / "ws.rate_limited" (warn): at most one line a second, with the count since the
// last line; the metrics count every message.
inline void dropped(std::string_view route) {
  if (logs::enabled(LogLevel::warn)) count_dropped(route);
}
inline void rate_limited(std::string_view route) {
  if (logs::enabled(LogLevel::warn)) count_rate_limited(route);
}

// The server's life, at info: "server.listen" (each listen call), "server.start" (run),
// "server.stop" (run returns); "tls.reload" (info) or "tls.reload_failed" (error, the old
// certificates stay).
void listening(std::string_view host, std::uint16_t port, bool tls);
void started(unsigned threads);
void stopped();
void tls_reloaded(std::size_t listeners);
void tls_reload_failed(std::string_view error);

}  // namespace event_log
}  // namespace wisp::server
