// WebSocket routes: which behaviour and settings serve a request path. Paths are matched by the
// HTTP routes' RouteTable (exact, {params}, "/prefix/*"), so both kinds of route read alike.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/deflate_negotiation.hpp"
#include "protocol/reader.hpp"
#include "server/http_router.hpp"
#include "wisp/app.hpp"
#include "wisp/metrics.hpp"

namespace wisp::server {

struct Route {
  std::string pattern;
  WebSocketBehavior behavior;
  detail::UserDataType user_data;
  protocol::ReaderConfig reader;          // the settings, as the frame reader wants them
  protocol::ReaderConfig deflate_reader;  // the same, for sockets that agreed permessage-deflate
  protocol::ServerDeflatePolicy deflate;  // what clients may agree to, if compression is on
  // Messages the backpressure policy dropped for this route's sockets, from every loop (a rare
  // event: one shared counter is cheap enough).
  mutable std::atomic<std::uint64_t> dropped{0};
};

// A route's per-socket user data: allocated and constructed / destroyed and freed.
void* make_user_data(const detail::UserDataType& type);
void destroy_user_data(const detail::UserDataType& type, void* data);

class Router {
 public:
  // Throws std::invalid_argument as RouteTable::add does (a bad pattern, or one already routed).
  void add(std::string pattern, WebSocketBehavior behavior, detail::UserDataType user_data);

  struct Match {
    RouteStatus status;  // Found, NotFound, or BadRequest (a parameter's bad percent-encoding)
    const Route* route;  // when Found
  };
  // The route for `path` by the RouteTable's precedence; `params` as RouteTable::match.
  Match match(std::string_view path, RouteParams& params) const;
  // Adds each route's drops to `total.dropped_by_route`, by pattern.
  void add_drops_to(Metrics& total) const;

 private:
  RouteTable table_;
  std::vector<std::unique_ptr<Route>> routes_;  // by the table's index; sockets point to theirs
};

}  // namespace wisp::server
