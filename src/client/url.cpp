#include "client/url.hpp"

#include <charconv>
#include <stdexcept>

namespace wisp::client {
namespace {

[[noreturn]] void bad(std::string_view url, std::string_view why) {
  throw std::invalid_argument("wisp: bad WebSocket URL '" + std::string(url) +
                              "': " + std::string(why));
}

std::uint16_t parse_port(std::string_view url, std::string_view text) {
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value == 0 ||
      value > 65535) {
    bad(url, "port is not 1-65535");
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

WebSocketUrl parse_websocket_url(std::string_view url) {
  WebSocketUrl parsed;
  std::string_view rest = url;
  if (rest.starts_with("wss://")) {
    parsed.tls = true;
    rest.remove_prefix(6);
  } else if (rest.starts_with("ws://")) {
    rest.remove_prefix(5);
  } else {
    bad(url, "the scheme must be ws:// or wss://");
  }
  rest = rest.substr(0, rest.find('#'));
  const std::size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  const std::string_view target = slash == std::string_view::npos ? "" : rest.substr(slash);
  parsed.target =
      target.empty() || target.front() == '?' ? "/" + std::string(target) : std::string(target);
  if (authority.find('@') != std::string_view::npos) bad(url, "user info is not supported");
  parsed.port = parsed.tls ? 443 : 80;
  std::string_view port_text;
  if (authority.starts_with('[')) {  // [IPv6]:port
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) bad(url, "unclosed '[' in the host");
    parsed.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') bad(url, "junk after the IPv6 address");
    if (!after.empty()) port_text = after.substr(1);
    if (after.size() == 1) bad(url, "empty port");
  } else {
    const std::size_t colon = authority.find(':');
    parsed.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) bad(url, "empty port");
    }
  }
  if (parsed.host.empty()) bad(url, "no host");
  if (!port_text.empty()) parsed.port = parse_port(url, port_text);
  const bool ipv6 = parsed.host.find(':') != std::string::npos;
  parsed.host_header = ipv6 ? "[" + parsed.host + "]" : parsed.host;
  if (parsed.port != (parsed.tls ? 443 : 80)) {
    parsed.host_header.append(":").append(std::to_string(parsed.port));
  }
  return parsed;
}

}  // namespace wisp::client
