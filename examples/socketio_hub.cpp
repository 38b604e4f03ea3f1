// Socket.IO clients and wisp.js clients in the same rooms, on one node or on many sharing Redis
// (docs/socketio.md): an event hub at /ws (its builtin join/leave), Socket.IO at /socket.io/
// sharing the hub's rooms, with connection state recovery.
//
//   socketio_hub [PORT] [REDIS_URL]      e.g. two nodes: socketio_hub 3001 redis://127.0.0.1:6379
//
// A wisp.js client sends {"type":"say","data":{"room":"lobby","text":"hi"}}; a Socket.IO client
// emits "join" "lobby" and "say" {room, text}: everyone in the room, of either kind, on any node,
// gets `said` {room, text, from}.
#include <cstdlib>
#include <iostream>
#include <string>

#include "wisp/wisp.hpp"

using wisp::json;

namespace {

// The room named by an event's data, or "" (nothing is sent).
std::string room_of(const json& data) {
  return data.is_object() && data.value("room", json()).is_string()
             ? data["room"].get<std::string>()
             : std::string();
}

void add_hub_handlers(wisp::Hub& hub) {
  hub.on("say", [&hub](wisp::Event& ev) {
    const std::string room = room_of(ev.data());
    if (room.empty()) throw wisp::HubError("room_required", "say {room, text}");
    hub.room(room).emit("said", {{"room", room},
                                 {"text", ev.data().value("text", "")},
                                 {"from", "wisp.js " + std::string(ev.client_id())}});
    return json{{"sent", true}};
  });
}

void add_socketio_handlers(wisp::SocketIo& io) {
  io.on_connection([](wisp::IoSocket& socket) {
    // A recovered socket is back in its rooms, with the events it missed on their way.
    std::cout << (socket.recovered() ? "recovered " : "connected ") << socket.id() << std::endl;
  });
  io.on("join", [](wisp::IoEvent& ev) {
    if (!ev.arg(0).is_string()) return;
    ev.socket().join(ev.arg(0).get<std::string>());
    ev.ack(json::array({true}));
  });
  io.on("say", [&io](wisp::IoEvent& ev) {
    const std::string room = room_of(ev.arg(0));
    if (room.empty()) return;
    // To the Socket.IO sockets and the hub's clients in the room, on every node.
    io.to(room).emit("said", {{{"room", room},
                               {"text", ev.arg(0).value("text", "")},
                               {"from", "socket.io " + ev.socket().id()}}});
    ev.ack(json::array({true}));
  });
}

}  // namespace

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 3000);
  wisp::App app({.redis = {.url = argc > 2 ? argv[2] : ""}});
  wisp::Hub& hub = app.hub("/ws", {.builtin_rooms = true});
  add_hub_handlers(hub);
  wisp::SocketIo io(app, "/socket.io/",
                    {.max_disconnection_duration = std::chrono::minutes(2), .hub = &hub});
  add_socketio_handlers(io);
  app.listen("127.0.0.1", port);
  std::cout << "socketio_hub: listening on 127.0.0.1:" << app.port() << std::endl;
  app.stop_on_signals().run();
}
