// What a connection keeps while it reads HTTP requests (see connection_http.cpp).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "protocol/http_body.hpp"
#include "protocol/http_request.hpp"
#include "server/app_state.hpp"
#include "server/connection.hpp"
#include "server/http_router.hpp"
#include "server/later.hpp"
#include "server/upgrade_flow.hpp"

namespace wisp::server {

struct Connection::HttpExchange {
  explicit HttpExchange(const AppOptions& options)
      : parser({.max_header_bytes = options.max_header_size, .max_headers = options.max_headers}) {}
  // A decision still to come finds the connection gone.
  ~HttpExchange() {
    if (waiting) waiting->abandon();
  }

  protocol::HttpRequestParser parser;
  protocol::HttpBodyReader body;
  std::string body_bytes;  // a body that spans reads, or a chunked one
  std::string head_copy;   // the head, when it must outlive the read it came in
  RouteParams params;
  const HttpHandler* handler = nullptr;           // the request's route, while its body arrives
  bool admitted = false;                          // the per-IP connection rate was checked
  std::chrono::steady_clock::time_point started;  // the head came (read for access lines only)
  // How the request being answered is framed, for an answer that comes later.
  bool keep_alive = true;
  bool head_method = false;
  // A deferred answer or upgrade decision, while one is awaited; bytes that arrive meanwhile
  // (pipelined requests, frames right behind an upgrade request) wait in `held`, as do
  // requests pipelined behind a file being sent.
  std::shared_ptr<Later> waiting;
  std::string held;
  std::unique_ptr<UpgradeFlow> upgrade;  // an upgrade going through middleware and its hook
};

}  // namespace wisp::server
