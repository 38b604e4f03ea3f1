// WebSocket routes: which behaviour and settings serve a request path.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/deflate_negotiation.hpp"
#include "protocol/reader.hpp"
#include "wisp/app.hpp"

namespace wisp::server {

struct Route {
  std::string pattern;
  WebSocketBehavior behavior;
  detail::UserDataType user_data;
  protocol::ReaderConfig reader;          // the settings, as the frame reader wants them
  protocol::ReaderConfig deflate_reader;  // the same, for sockets that agreed permessage-deflate
  protocol::ServerDeflatePolicy deflate;  // what clients may agree to, if compression is on
};

class Router {
 public:
  // Throws std::invalid_argument for a pattern that does not start with '/' or is already routed.
  void add(std::string pattern, WebSocketBehavior behavior, detail::UserDataType user_data);
  // The route for `path`: an exact pattern first, then the longest "/prefix/*" that matches.
  const Route* match(std::string_view path) const;

 private:
  std::vector<std::unique_ptr<Route>> routes_;  // stable addresses: sockets point to their route
};

}  // namespace wisp::server
