// What `wisp serve` answers Socket.IO clients at /socket.io/: `echo` acknowledged with its
// arguments (the event `wisp bench hub --protocol socketio` requests), `broadcast` sent to every
// other Socket.IO client, and rooms: `join` / `leave` a room, `to` {room, event, args, except}
// emits there (but to `except`, a room or socket id). With settings.hub, the rooms are the demo
// hub's (at /ws): its chat rooms' messages reach Socket.IO clients in them, and a `to` reaches its
// wisp.js clients, on every node.
#pragma once

#include <memory>

#include "wisp/app.hpp"

#include "wisp/socketio.hpp"

namespace wisp::tool {

std::unique_ptr<SocketIo> add_socketio_echo(App& app, SocketIoSettings settings);

}  // namespace wisp::tool
