// What the server does with the public Request and Response types beyond their accessors.
#pragma once

#include <string>

#include "protocol/http_response.hpp"
#include "wisp/http.hpp"

namespace wisp::server {

// Appends an ended `response` as HTTP/1.1 onto `out`, framed by `framing` (Date, HEAD,
// Connection: close).
void append_response(std::string& out, const Response& response,
                     const protocol::ResponseFraming& framing);

}  // namespace wisp::server
