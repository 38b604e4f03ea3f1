// What one Client::connect() call asked for, worked out once on the calling thread: the address,
// the upgrade request, the deflate offer, the TLS context.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "client/url.hpp"
#include "net/tls.hpp"
#include "protocol/deflate_negotiation.hpp"
#include "wisp/client.hpp"

namespace wisp::client {

struct Plan {
  WebSocketUrl url;
  ClientSettings settings;
  ClientHandlers handlers;
  std::string key;                                       // Sec-WebSocket-Key
  std::string request;                                   // the upgrade request, as sent
  std::optional<protocol::ClientDeflatePolicy> deflate;  // the offer, if compression is on
  std::unique_ptr<net::TlsClientContext> tls;            // wss:// only
  sockaddr_storage address{};
  socklen_t address_size = 0;
  // Reconnection attempts since the last open. Loop thread only: the one thing that changes, as
  // successive connections of one connect() share their plan.
  mutable std::uint32_t failures = 0;
};

// Throws std::invalid_argument (URL, header, subprotocol), std::runtime_error (ca_file, a host
// name that does not resolve).
std::shared_ptr<const Plan> make_plan(std::string_view url, ClientHandlers handlers,
                                      ClientSettings settings);

}  // namespace wisp::client
