// A namespace connection as handlers see it (IoSocket): its handshake, emits, rooms.
#include "socketio/server.hpp"

namespace wisp::detail {

using socketio::SioType;

std::optional<std::string> NspSocket::query(std::string_view name) const {
  for (const auto& [key, value] : session.query) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::string_view NspSocket::header(std::string_view name) const {
  for (const auto& [key, value] : session.headers) {
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) {
          return a == static_cast<char>(std::tolower(static_cast<unsigned char>(b)));
        })) {
      return value;
    }
  }
  return {};
}

std::string_view NspSocket::transport() const {
  return session.transport == Transport::WebSocket ? "websocket" : "polling";
}

bool NspSocket::emit(std::string_view event, const json& args) {
  SocketIoServer::Guard guard(server);
  if (leaving || session.closed) return false;
  std::string offset;  // with recovery, kept as an emit to its own room
  const auto packet = server.event_packet(nsp_, event_data(event, args), offset);
  if (!offset.empty()) keep_packet(server, *server.space(nsp_), offset, {id_}, {}, packet);
  server.send_sio(session, packet);
  return true;
}

bool NspSocket::emit_with_ack(std::string_view event, const json& args,
                              std::chrono::milliseconds timeout, IoAckCallback callback) {
  SocketIoServer::Guard guard(server);
  if (leaving || session.closed) return false;
  const std::uint64_t ack_id = next_ack_id++;
  auto expire = [weak = server.weak_from_this(), sid = session.sid, nsp = nsp_, socket_id = id_,
                 ack_id] {
    auto owner = weak.lock();
    if (!owner) return;
    SocketIoServer::Guard guard(*owner);
    NspSocket* socket = owner->socket_of(sid, nsp, socket_id);
    if (!socket) return;
    auto pending = socket->acks.find(ack_id);
    if (pending == socket->acks.end()) return;  // answered before the timeout
    auto done = std::move(pending->second.callback);
    socket->acks.erase(pending);
    done("timeout", nullptr);
  };
  acks.emplace(ack_id, PendingAck{std::move(callback), server.app.after(timeout, expire)});
  server.send_sio(session,
                  socketio::encode_sio(SioType::Event, nsp_, ack_id, event_data(event, args)));
  return true;
}

bool NspSocket::join(std::string_view room) {
  SocketIoServer::Guard guard(server);
  if (!rooms_.emplace(room).second) return false;
  server.space(nsp_)->rooms[std::string(room)].insert(this);
  return true;
}

bool NspSocket::leave(std::string_view room) {
  SocketIoServer::Guard guard(server);
  auto it = rooms_.find(std::string(room));
  if (it == rooms_.end()) return false;
  auto& rooms = server.space(nsp_)->rooms;
  auto members = rooms.find(*it);
  members->second.erase(this);
  if (members->second.empty()) rooms.erase(members);
  rooms_.erase(it);
  return true;
}

std::vector<std::string> NspSocket::rooms() const {
  SocketIoServer::Guard guard(server);
  return {rooms_.begin(), rooms_.end()};
}

IoBroadcast NspSocket::to(std::string_view room) {
  return IoBroadcast(server.shared_from_this(), nsp_).to(room).except(id_);
}

IoBroadcast NspSocket::broadcast() {
  return IoBroadcast(server.shared_from_this(), nsp_).except(id_);
}

void NspSocket::disconnect(bool close_session) {
  SocketIoServer::Guard guard(server);
  if (leaving || session.closed) return;
  server.send_sio(session, socketio::encode_sio(SioType::Disconnect, nsp_, std::nullopt,
                                                json(json::value_t::discarded)));
  if (close_session) return server.close_session(session, "server namespace disconnect");
  server.remove_socket(session, nsp_, "server namespace disconnect");
}

}  // namespace wisp::detail
