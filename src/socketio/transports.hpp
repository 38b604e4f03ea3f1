// The routes that carry Engine.IO: HTTP long-polling (GET, POST, and OPTIONS for CORS) and the
// WebSocket transport, all at the server's path.
#pragma once

#include <memory>

namespace wisp::detail {

struct SocketIoServer;

void add_polling_routes(const std::shared_ptr<SocketIoServer>& server);
void add_websocket_route(const std::shared_ptr<SocketIoServer>& server);

}  // namespace wisp::detail
