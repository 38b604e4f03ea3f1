// Ready-made upgrade middleware for App::use_ws: origin allowlist, token auth, connection limits.
//
//   app.use_ws(wisp::middleware::allowed_origins({"https://chat.example.com"}))
//      .use_ws(wisp::middleware::max_connections(10000))
//      .use_ws(wisp::middleware::max_connections_per_ip(20))
//      .use_ws(wisp::middleware::token_auth({.validate = [](std::string_view token, wisp::Upgrade&)
//      {
//        return token == "secret";
//      }}));
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "wisp/upgrade.hpp"

#pragma GCC visibility push(default)  // the public API: exported from a shared libwisp

namespace wisp::middleware {

// 403 for an upgrade whose Origin header is not one of `origins` (compared exactly, e.g.
// "https://app.example.com"): a page of another site cannot open sockets with its visitors'
// cookies (cross-site WebSocket hijacking). Browsers always send Origin; other clients usually
// do not, and pass unless `require_origin`.
UpgradeMiddleware allowed_origins(std::vector<std::string> origins, bool require_origin = false);

struct TokenAuthOptions {
  // Where the token is looked for, in this order; an empty name is not read. The header's
  // value may start with "Bearer ".
  std::string header = "Authorization";
  std::string query = "token";
  // Whether `token` lets the client in; it may also use `up` (up.data<T>() to keep the user,
  // up.keep_header). Runs on the loop thread: it must not block. A validate that throws
  // rejects with 500.
  std::function<bool(std::string_view token, Upgrade& up)> validate{};
};

// 401 (with WWW-Authenticate: Bearer) for an upgrade without a token, or whose token
// options.validate refuses. Throws std::invalid_argument if validate is empty.
UpgradeMiddleware token_auth(TokenAuthOptions options);

// 503 with Retry-After for an upgrade while `limit` sockets admitted by this middleware are open
// (across all threads); a socket's slot is free again when it closes.
UpgradeMiddleware max_connections(std::size_t limit,
                                  std::chrono::seconds retry_after = std::chrono::seconds(5));

// 429 with Retry-After for an upgrade from an IP address that has `limit` sockets admitted by
// this middleware open already.
UpgradeMiddleware max_connections_per_ip(
    std::size_t limit, std::chrono::seconds retry_after = std::chrono::seconds(5));

}  // namespace wisp::middleware

#pragma GCC visibility pop
