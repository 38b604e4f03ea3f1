// Engine.IO v4 packets (sans-I/O): one packet per WebSocket frame, or several in one HTTP
// long-polling payload separated by '\x1e', binary ones there as 'b' + base64.
// https://github.com/socketio/engine.io-protocol (v4)
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wisp::socketio {

enum class EioType : char {
  Open = '0',
  Close = '1',
  Ping = '2',
  Pong = '3',
  Message = '4',
  Upgrade = '5',
  Noop = '6',
};

struct EioPacket {
  EioType type = EioType::Message;
  std::string data{};   // after the type character (a binary message: its bytes)
  bool binary = false;  // only messages are binary
};

// A WebSocket text frame: the type character and its data; nullopt for an empty frame or an
// unknown type. A binary frame is always a binary message (decode it as {Message, bytes, true}).
std::optional<EioPacket> decode_packet(std::string_view frame);

// A polling payload (a POST body): every packet, in order; nullopt if any is malformed (then
// the whole body is refused, as engine.io does).
std::optional<std::vector<EioPacket>> decode_payload(std::string_view body);

// The WebSocket text frame of a text packet: type character + data.
std::string encode_packet(EioType type, std::string_view data = {});

// Appends `packet` to a polling payload (with the separator when `out` is not empty).
void append_to_payload(std::string& out, const EioPacket& packet);

// The open packet's JSON (without the leading '0').
std::string open_json(std::string_view sid, bool upgrade_to_websocket, long ping_interval_ms,
                      long ping_timeout_ms, std::size_t max_payload);

// Engine.IO's HTTP error bodies, as the official server answers them with status 400:
// {"code":N,"message":"..."}.
enum class EioError {
  UnknownTransport = 0,
  UnknownSid = 1,
  BadHandshakeMethod = 2,
  BadRequest = 3,
  Forbidden = 4,
  UnsupportedProtocolVersion = 5,
};
std::string error_json(EioError error);

}  // namespace wisp::socketio
