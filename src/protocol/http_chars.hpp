// Character classes of HTTP syntax (RFC 9110 §5.6), shared by the body reader, the response
// writer and the router so that each rule is written once.
#pragma once

#include <string_view>

namespace wisp::protocol {

// tchar (RFC 9110 §5.6.2): the characters of a token such as a method or a field name.
constexpr bool is_tchar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (c != '\0' && std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos);
}

constexpr bool is_token(std::string_view s) {
  for (char c : s) {
    if (!is_tchar(c)) return false;
  }
  return !s.empty();
}

// A byte allowed inside a field value (RFC 9110 §5.5): VCHAR, SP, HTAB or obs-text. CR, LF and
// NUL are not, which is what keeps a value from ending its line early.
constexpr bool is_field_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return c == '\t' || (u >= 0x20 && u != 0x7f);
}

constexpr bool is_ows(char c) { return c == ' ' || c == '\t'; }

constexpr std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

// The value of a hexadecimal digit, either case; -1 for any other character.
constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace wisp::protocol
