// What `wisp serve` answers Socket.IO clients at /socket.io/: `echo` acknowledged with its
// arguments (the event `wisp bench hub --protocol socketio` requests), `broadcast` sent to every
// other Socket.IO client, and rooms: `join` / `leave` a room, `to` {room, event, args} emits there.
#pragma once

#include <memory>

#include "wisp/app.hpp"
#include "wisp/socketio.hpp"

namespace wisp::tool {

std::unique_ptr<SocketIo> add_socketio_echo(App& app);

}  // namespace wisp::tool
