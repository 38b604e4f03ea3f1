// What the HTTP tests share: a GET request's bytes, and one request answered on a new connection.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "raw_client.hpp"

namespace wisp::test {

// "GET target HTTP/1.1" with a Host and the `extra` header lines (each ending in CRLF).
inline std::string get(std::string_view target, std::string_view extra = {}) {
  return std::string("GET ")
      .append(target)
      .append(" HTTP/1.1\r\nHost: t\r\n")
      .append(extra)
      .append("\r\n");
}

// Sends `request` on a new connection to 127.0.0.1:port and reads one response.
inline HttpResponse ask(std::uint16_t port, const std::string& request) {
  RawClient client(port);
  client.send(request);
  return client.read_http_response();
}

}  // namespace wisp::test
