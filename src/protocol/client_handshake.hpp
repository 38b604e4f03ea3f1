// The WebSocket opening handshake, client side (RFC 6455 §4.1), sans-I/O: the upgrade request,
// the response head as it arrives, and the checks the client must fail the connection over.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "protocol/deflate_negotiation.hpp"
#include "protocol/http_request.hpp"

namespace wisp::protocol {

struct UpgradeRequest {
  std::string_view host{};    // the Host header's value: "example.com" or "example.com:8080"
  std::string_view target{};  // path and query: "/chat?room=1"
  std::string_view key{};     // Sec-WebSocket-Key: base64 of 16 random bytes
  std::span<const std::string> subprotocols{};  // offered in order of preference
  std::string_view extensions{};                // Sec-WebSocket-Extensions offer; empty: none
  std::span<const std::pair<std::string, std::string>> headers{};  // more fields, as given
};

// The GET with Upgrade, ending in the blank line. Throws std::invalid_argument for a header
// name that is not a token, or a value holding CR, LF or another control byte (a header that
// would end its line early and smuggle in others).
std::string upgrade_request(const UpgradeRequest& request);

// A fresh Sec-WebSocket-Key: 16 random bytes in base64 (RFC 6455 4.1).
std::string random_handshake_key();

struct ResponseHead : HttpFields {
  int status = 0;
  std::string_view reason;  // the reason phrase, as sent
};

struct ResponseScan {
  enum class Status { Incomplete, Complete, Error };
  Status status = Status::Incomplete;
  std::size_t size = 0;  // Complete: bytes of the head, blank line included
  ResponseHead head;     // Complete: views into the scanned bytes
  std::string_view error;
};

// Scans the bytes received so far (the head may come split anywhere) for a complete response
// head. Error: malformed, or no blank line within `max_size` bytes.
ResponseScan scan_response_head(std::string_view bytes, std::size_t max_size = 16 * 1024);

struct HandshakeResult {
  std::string error{};                     // empty: the connection is open
  std::string subprotocol{};               // chosen by the server, empty if none
  std::optional<DeflateParams> deflate{};  // permessage-deflate in force, if agreed
  bool ok() const { return error.empty(); }
};

// Checks a 101 answer against what was asked (§4.1, "the client MUST fail the WebSocket
// Connection" items): Upgrade and Connection, Sec-WebSocket-Accept for `key`, no extension that
// was not offered (`deflate` is the offer made, if any), a subprotocol only from the offered ones.
HandshakeResult check_upgrade_response(const ResponseHead& head, std::string_view key,
                                       std::span<const std::string> subprotocols,
                                       const std::optional<ClientDeflatePolicy>& deflate);

}  // namespace wisp::protocol
