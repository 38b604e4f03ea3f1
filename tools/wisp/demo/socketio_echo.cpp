#include "socketio_echo.hpp"

namespace wisp::tool {
namespace {

// The room a `join`/`leave` names, or nothing (an ack of false).
const json* room_arg(IoEvent& ev) { return ev.arg(0).is_string() ? &ev.arg(0) : nullptr; }

}  // namespace

std::unique_ptr<SocketIo> add_socketio_echo(App& app, SocketIoSettings settings) {
  auto io = std::make_unique<SocketIo>(app, "/socket.io/", std::move(settings));
  io->on("echo", [](IoEvent& ev) { ev.ack(ev.args()); });
  io->on("broadcast", [](IoEvent& ev) { ev.socket().broadcast().emit("broadcast", ev.args()); });
  io->on("join", [](IoEvent& ev) {
    const json* room = room_arg(ev);
    ev.ack(json::array({room && ev.socket().join(room->get<std::string>())}));
  });
  io->on("leave", [](IoEvent& ev) {
    const json* room = room_arg(ev);
    ev.ack(json::array({room && ev.socket().leave(room->get<std::string>())}));
  });
  io->on("to", [](IoEvent& ev) {
    const json& m = ev.arg(0);
    if (!m.is_object() || !m.value("room", json()).is_string() ||
        !m.value("event", json()).is_string())
      return;
    IoBroadcast to = ev.socket().to(m["room"].get<std::string>());
    if (m.value("except", json()).is_string()) to = to.except(m["except"].get<std::string>());
    ev.ack(json::array({to.emit(m["event"].get<std::string>(), m.value("args", json::array()))}));
  });
  return io;
}

}  // namespace wisp::tool
