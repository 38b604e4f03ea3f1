#include "socketio/engineio_packet.hpp"

#include <nlohmann/json.hpp>

#include "protocol/base64.hpp"

namespace wisp::socketio {
namespace {

constexpr char kSeparator = '\x1e';

bool known_type(char c) { return c >= '0' && c <= '6'; }

// One packet of a polling payload: text, or 'b' + base64 for a binary message.
std::optional<EioPacket> decode_payload_packet(std::string_view text) {
  if (text.empty() || text[0] != 'b') return decode_packet(text);
  text.remove_prefix(1);
  const auto size = protocol::base64_decoded_size(text);
  if (!size) return std::nullopt;
  EioPacket packet{EioType::Message, std::string(*size, '\0'), true};
  protocol::base64_decode(text, packet.data.data());
  return packet;
}

}  // namespace

std::optional<EioPacket> decode_packet(std::string_view frame) {
  if (frame.empty() || !known_type(frame[0])) return std::nullopt;
  return EioPacket{static_cast<EioType>(frame[0]), std::string(frame.substr(1)), false};
}

std::optional<std::vector<EioPacket>> decode_payload(std::string_view body) {
  std::vector<EioPacket> packets;
  while (true) {
    const std::size_t end = body.find(kSeparator);
    auto packet = decode_payload_packet(body.substr(0, end));
    if (!packet) return std::nullopt;
    packets.push_back(std::move(*packet));
    if (end == std::string_view::npos) return packets;
    body.remove_prefix(end + 1);
  }
}

std::string encode_packet(EioType type, std::string_view data) {
  std::string frame;
  frame.reserve(1 + data.size());
  frame.push_back(static_cast<char>(type));
  frame.append(data);
  return frame;
}

void append_to_payload(std::string& out, const EioPacket& packet) {
  if (!out.empty()) out.push_back(kSeparator);
  if (!packet.binary) {
    out.push_back(static_cast<char>(packet.type));
    out.append(packet.data);
    return;
  }
  out.push_back('b');
  const std::size_t at = out.size();
  out.resize(at + protocol::base64_encoded_size(packet.data.size()));
  protocol::base64_encode(packet.data.data(), packet.data.size(), out.data() + at);
}

std::string open_json(std::string_view sid, bool upgrade_to_websocket, long ping_interval_ms,
                      long ping_timeout_ms, std::size_t max_payload) {
  nlohmann::json open = {{"sid", sid},
                         {"upgrades", nlohmann::json::array()},
                         {"pingInterval", ping_interval_ms},
                         {"pingTimeout", ping_timeout_ms},
                         {"maxPayload", max_payload}};
  if (upgrade_to_websocket) open["upgrades"].push_back("websocket");
  return open.dump();
}

std::string error_json(EioError error) {
  static constexpr std::string_view kMessages[] = {
      "Transport unknown", "Session ID unknown", "Bad handshake method",
      "Bad request",       "Forbidden",          "Unsupported protocol version"};
  const int code = static_cast<int>(error);
  return nlohmann::json{{"code", code}, {"message", kMessages[code]}}.dump();
}

}  // namespace wisp::socketio
