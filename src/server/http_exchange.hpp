// What a connection keeps while it reads HTTP requests (see connection_http.cpp).
#pragma once

#include <string>

#include "protocol/http_body.hpp"
#include "protocol/http_request.hpp"
#include "server/app_state.hpp"
#include "server/connection.hpp"
#include "server/http_router.hpp"

namespace wisp::server {

struct Connection::HttpExchange {
  explicit HttpExchange(const AppOptions& options)
      : parser({.max_header_bytes = options.max_header_size, .max_headers = options.max_headers}) {}

  protocol::HttpRequestParser parser;
  protocol::HttpBodyReader body;
  std::string body_bytes;  // a body that spans reads, or a chunked one
  std::string head_copy;   // the head, when its body comes in later reads
  std::string held;        // requests that came while a file went out (pipelined)
  RouteParams params;
  const HttpHandler* handler = nullptr;  // the request's route, while its body arrives
  bool admitted = false;                 // the per-IP connection rate was checked
};

}  // namespace wisp::server
