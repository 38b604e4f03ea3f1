#include "socketio/handshake.hpp"

namespace wisp::detail {
namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 &&
               hex(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

}  // namespace

Pairs parse_query(std::string_view query) {
  Pairs pairs;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view part = query.substr(0, amp);
    query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    if (part.empty()) continue;
    const std::size_t eq = part.find('=');
    pairs.emplace_back(decode(part.substr(0, eq)),
                       eq == std::string_view::npos ? std::string() : decode(part.substr(eq + 1)));
  }
  return pairs;
}

std::optional<socketio::EioError> check_request(std::optional<std::string> eio,
                                                std::optional<std::string> transport,
                                                std::string_view expected, bool allowed) {
  if (eio != "4") return socketio::EioError::UnsupportedProtocolVersion;
  if (!transport || (*transport != "polling" && *transport != "websocket")) {
    return socketio::EioError::UnknownTransport;
  }
  if (!allowed) return socketio::EioError::UnknownTransport;
  if (*transport != expected) return socketio::EioError::BadRequest;
  return std::nullopt;
}

}  // namespace wisp::detail
