#include "broker/redis_url.hpp"

#include <charconv>
#include <stdexcept>

namespace wisp::broker {
namespace {

[[noreturn]] void reject(std::string_view url, std::string_view why) {
  throw std::invalid_argument("redis url \"" + std::string(url) + "\": " + std::string(why));
}

unsigned long parse_number(std::string_view url, std::string_view text, unsigned long max,
                           std::string_view what) {
  unsigned long value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value > max)
    reject(url, std::string("bad ") + std::string(what));
  return value;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view url, std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    int high = i + 2 < text.size() ? hex_digit(text[i + 1]) : -1;
    int low = i + 2 < text.size() ? hex_digit(text[i + 2]) : -1;
    if (high < 0 || low < 0) reject(url, "bad percent-encoding in the credentials");
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

void parse_credentials(std::string_view url, std::string_view text, RedisEndpoint& endpoint) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) {  // "redis://secret@host": a password alone, as redis-cli
    endpoint.password = percent_decode(url, text);
    return;
  }
  endpoint.user = percent_decode(url, text.substr(0, colon));
  endpoint.password = percent_decode(url, text.substr(colon + 1));
}

void parse_host_port(std::string_view url, std::string_view text, RedisEndpoint& endpoint) {
  std::string_view port;
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos) reject(url, "unclosed [ in the host");
    endpoint.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) reject(url, "junk after the host");
    if (!rest.empty()) port = rest.substr(1);
    if (rest == ":") reject(url, "bad port");
  } else {
    auto colon = text.find(':');
    endpoint.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = text.substr(colon + 1);
      if (port.empty()) reject(url, "bad port");
    }
  }
  if (endpoint.host.empty()) reject(url, "no host");
  if (!port.empty()) {
    endpoint.port = static_cast<std::uint16_t>(parse_number(url, port, 65535, "port"));
    if (endpoint.port == 0) reject(url, "bad port");
  }
}

RedisEndpoint parse_tcp(std::string_view url, std::string_view rest) {
  RedisEndpoint endpoint;
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) endpoint.db = static_cast<unsigned>(parse_number(url, db, 1u << 30, "db"));
  }
  auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    parse_credentials(url, authority.substr(0, at), endpoint);
    authority = authority.substr(at + 1);
  }
  parse_host_port(url, authority, endpoint);
  return endpoint;
}

RedisEndpoint parse_unix(std::string_view url, std::string_view rest) {
  RedisEndpoint endpoint;
  auto query = rest.find('?');
  endpoint.unix_path = std::string(rest.substr(0, query));
  if (!endpoint.unix_path.starts_with('/')) reject(url, "a unix socket needs an absolute path");
  if (query != std::string_view::npos) {
    std::string_view param = rest.substr(query + 1);
    if (!param.starts_with("db=")) reject(url, "the only parameter is db=N");
    endpoint.db = static_cast<unsigned>(parse_number(url, param.substr(3), 1u << 30, "db"));
  }
  return endpoint;
}

}  // namespace

RedisEndpoint parse_redis_url(std::string_view url) {
  constexpr std::string_view tcp = "redis://";
  constexpr std::string_view unix_scheme = "unix://";
  if (url.starts_with(tcp)) return parse_tcp(url, url.substr(tcp.size()));
  if (url.starts_with(unix_scheme)) return parse_unix(url, url.substr(unix_scheme.size()));
  reject(url, "the scheme must be redis:// or unix://");
}

}  // namespace wisp::broker
