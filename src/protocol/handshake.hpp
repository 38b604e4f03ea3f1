// The WebSocket opening handshake, server side (RFC 6455 §4.2.1, §4.2.2).
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "protocol/http_request.hpp"

namespace wisp::protocol {

// True if the request asks for a WebSocket upgrade at all (an `Upgrade` header naming
// "websocket"); such requests are then checked by check_upgrade(), others are plain HTTP.
bool wants_websocket(const HttpRequest& request);

struct UpgradeCheck {
  int status = 101;         // 101 when the handshake is valid; else 400, or 426 for the version
  std::string_view reason;  // why it was refused, one line of plain text; empty when valid
  // Views into the request. Sec-WebSocket-Protocol and -Extensions may each be sent in several
  // header fields (RFC 6455 §11.3.2, §11.3.4); only the first field's value is returned here, so
  // offers in later fields are declined (always allowed). Read request.headers for all of them.
  std::string_view key;         // Sec-WebSocket-Key
  std::string_view protocols;   // first Sec-WebSocket-Protocol as sent (comma list), may be empty
  std::string_view extensions;  // first Sec-WebSocket-Extensions as sent, may be empty
  std::string_view origin;      // Origin, may be empty
  bool ok() const { return status == 101; }
};

// Checks every requirement of §4.2.1: GET, HTTP/1.1 or later, one Host, Upgrade: websocket and
// Connection: upgrade (case-insensitive token lists, possibly several headers), one
// Sec-WebSocket-Key that is base64 for exactly 16 bytes, Sec-WebSocket-Version 13 (else 426).
UpgradeCheck check_upgrade(const HttpRequest& request);

// Sec-WebSocket-Accept for a key: base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
std::array<char, 28> accept_key(std::string_view key);

// Appends "HTTP/1.1 101 Switching Protocols" with Upgrade, Connection, Sec-WebSocket-Accept and,
// when not empty, Sec-WebSocket-Protocol, Sec-WebSocket-Extensions and `extra_headers` (each
// line ending in \r\n).
void append_switching_protocols(std::string& out, std::string_view key,
                                std::string_view subprotocol = {}, std::string_view extensions = {},
                                std::string_view extra_headers = {});

// Appends a complete error response: status line, Content-Type: text/plain, Content-Length,
// Connection: close, `extra_headers` (each line ending in \r\n) and `body`. For 426 callers pass
// "Sec-WebSocket-Version: 13\r\n".
void append_error_response(std::string& out, int status, std::string_view body,
                           std::string_view extra_headers = {});

// Standard reason phrase for a status code ("Bad Request"), or "Error" if unknown.
std::string_view reason_phrase(int status);

}  // namespace wisp::protocol
