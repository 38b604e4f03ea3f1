// What the server does with the public Request and Response types beyond their accessors.
#pragma once

#include <string>
#include <string_view>

#include "protocol/http_response.hpp"
#include "wisp/http.hpp"

namespace wisp::detail {

// Request's constructor is the server's alone (not in the public API).
struct RequestAccess {
  static Request make(const protocol::HttpRequest& head, const server::RouteParams& params,
                      std::string_view body, int socket = -1) {
    return Request(head, params, body, socket);
  }
};

}  // namespace wisp::detail

namespace wisp::server {

// Appends an ended `response` as HTTP/1.1 onto `out`, framed by `framing` (Date, HEAD,
// Connection: close).
void append_response(std::string& out, const Response& response,
                     const protocol::ResponseFraming& framing);

}  // namespace wisp::server
