// A ws:// or wss:// URL taken apart for connecting (RFC 6455 §3).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace wisp::client {

struct WebSocketUrl {
  bool tls = false;  // wss://
  std::string host;  // a name or an address; IPv6 without its brackets
  std::uint16_t port = 0;
  std::string target;       // path and query, "/" at least; a #fragment is not sent
  std::string host_header;  // "host" or "host:port" when the port is not the scheme's default
};

// Throws std::invalid_argument naming what is wrong: another scheme, no host, a bad port.
WebSocketUrl parse_websocket_url(std::string_view url);

}  // namespace wisp::client
