// What one Client::connect() call asked for, worked out once on the calling thread: the upgrade
// request, the deflate offer, the TLS context; the address is each attempt's (resolver.hpp).
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
  // Loop thread only: what changes from one attempt to the next (they share their plan). The
  // address the attempt connects to, and the reconnection attempts since the last open.
  mutable sockaddr_storage address{};
  mutable socklen_t address_size = 0;
  mutable std::uint32_t failures = 0;
};

// Throws std::invalid_argument (URL, header, subprotocol), std::runtime_error (ca_file).
std::shared_ptr<const Plan> make_plan(std::string_view url, ClientHandlers handlers,
                                      ClientSettings settings);

}  // namespace wisp::client
