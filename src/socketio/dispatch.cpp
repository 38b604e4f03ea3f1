// Socket.IO packets from a client: namespace connections (middlewares decide), events to their
// handlers, acks of the server's emits, disconnections.

#include "log/log.hpp"
#include "socketio/ack_state.hpp"
#include "socketio/server.hpp"

namespace wisp::detail {

using socketio::SioDecoder;
using socketio::SioPacket;
using socketio::SioType;

namespace {

// A user's hook that throws must not take the session down with it.
template <class F>
void run_hook(const char* what, F&& hook) {
  try {
    hook();
  } catch (const std::exception& error) {
    logs::exception(std::string("socketio ") += what, error.what());
  }
}

}  // namespace

socketio::EncodedSio encode_ack(std::string_view nsp, std::uint64_t id, const json& args) {
  if (args.is_array()) return socketio::encode_sio(SioType::Ack, nsp, id, args);  // no copy
  return socketio::encode_sio(SioType::Ack, nsp, id, json::array({args}));
}

json event_data(std::string_view event, const json& args) {
  json data = json::array({event});
  if (!args.is_array()) {
    data.push_back(args);
    return data;
  }
  for (const auto& arg : args) data.push_back(arg);
  return data;
}

void SocketIoServer::on_message(Session& session, const socketio::EioPacket& packet) {
  const auto status =
      packet.binary ? session.decoder.binary(packet.data) : session.decoder.text(packet.data);
  if (status == SioDecoder::Status::Waiting) return;
  if (status == SioDecoder::Status::Error) {
    ++stats.parse_errors;
    return close_session(session, "parse error");
  }
  on_sio(session, session.decoder.take());
}

void SocketIoServer::on_sio(Session& session, SioPacket packet) {
  if (packet.type == SioType::Connect) return connect(session, packet);
  auto it = session.sockets.find(packet.nsp);
  if (packet.type == SioType::ConnectError) {
    ++stats.parse_errors;
    return close_session(session, "parse error");
  }
  if (it == session.sockets.end()) return;  // not connected there (any more): as socket.io does
  switch (packet.type) {
    case SioType::Disconnect:
      return remove_socket(session, packet.nsp, "client namespace disconnect");
    case SioType::Event:
      return dispatch_event(*it->second, packet);
    case SioType::Ack:
      return receive_ack(*it->second, packet);
    default:
      return;
  }
}

void SocketIoServer::connect(Session& session, SioPacket& packet) {
  NamespaceState* ns = space(packet.nsp);
  if (!ns) return connect_error(session, packet.nsp, "Invalid namespace", nullptr);
  if (session.sockets.contains(packet.nsp)) return;
  json auth = packet.data.is_object() ? std::move(packet.data) : json::object();
  std::optional<Restored> restored = restore_socket(*this, *ns, auth);
  auto socket = std::make_unique<NspSocket>(
      *this, session, restored ? restored->socket.id : new_id(), packet.nsp, std::move(auth));
  if (restored) socket->data_ = std::move(restored->socket.data);
  for (const auto& middleware : ns->middlewares) {
    try {
      middleware(*socket);
    } catch (const IoError& error) {
      return connect_error(session, packet.nsp, error.what(), error.data());
    } catch (const std::exception& error) {
      logs::exception("socketio middleware", error.what());
      return connect_error(session, packet.nsp, "internal error", nullptr);
    }
    if (session.closed) return;
  }
  NspSocket& connected = *socket;
  session.sockets.emplace(packet.nsp, std::move(socket));
  ns->sockets.emplace(connected.id(), &connected);
  connected.join(connected.id());
  session.ever_connected = true;
  json answer = {{"sid", connected.id()}};
  if (recovery_on(*this)) {
    connected.pid = restored ? std::move(restored->pid) : new_id();
    answer["pid"] = connected.pid;
  }
  send_sio(session, socketio::encode_sio(SioType::Connect, packet.nsp, std::nullopt, answer));
  if (restored) {
    connected.recovered_ = true;
    for (const auto& room : restored->socket.rooms) connected.join(room);
    for (const auto& missed : restored->missed) send_sio(session, missed);
  }
  for (const auto& hook : ns->connect) {
    if (connected.leaving) break;
    run_hook("connection hook", [&] { hook(connected); });
  }
}

void SocketIoServer::connect_error(Session& session, std::string_view nsp,
                                   const std::string& message, const json& data) {
  json body = {{"message", message}};
  if (!data.is_null()) body["data"] = data;
  send_sio(session, socketio::encode_sio(SioType::ConnectError, nsp, std::nullopt, body));
}

void SocketIoServer::dispatch_event(NspSocket& socket, SioPacket& packet) {
  NamespaceState& ns = *space(socket.nsp());
  const std::string name = std::move(packet.data[0].get_ref<std::string&>());
  json& args = packet.data;
  args.erase(args.begin());  // the arguments, in place
  IoAck ack;
  if (packet.id) {
    ack = IoAck(std::make_shared<IoAck::State>(
        IoAck::State{weak_from_this(), socket.session.sid, socket.nsp(), socket.id(), *packet.id}));
  }
  auto it = ns.handlers.find(name);
  const IoHandler* handler = it != ns.handlers.end() ? &it->second : ns.any ? &ns.any : nullptr;
  if (!handler) {
    ++stats.unhandled;
    return;
  }
  IoEvent event(socket, name, args, std::move(ack));
  run_hook("handler", [&] { (*handler)(event); });
}

void SocketIoServer::receive_ack(NspSocket& socket, SioPacket& packet) {
  auto it = socket.acks.find(*packet.id);
  if (it == socket.acks.end()) return;  // timed out already, or never asked
  NspSocket::PendingAck pending = std::move(it->second);
  socket.acks.erase(it);
  pending.timer.cancel();
  run_hook("ack callback", [&] { pending.callback(std::nullopt, std::move(packet.data)); });
}

void SocketIoServer::remove_socket(Session& session, std::string_view nsp,
                                   std::string_view reason) {
  auto it = session.sockets.find(nsp);
  if (it == session.sockets.end()) return;
  std::shared_ptr<NspSocket> socket(std::move(it->second));
  session.sockets.erase(it);
  socket->leaving = true;
  NamespaceState& ns = *space(socket->nsp());
  park_socket(*this, ns, *socket, reason);
  for (const auto& hook : ns.disconnect) {
    run_hook("disconnect hook", [&] { hook(*socket, reason); });
  }
  auto acks = std::move(socket->acks);
  for (auto& entry : acks) {
    NspSocket::PendingAck& pending = entry.second;
    pending.timer.cancel();
    run_hook("ack callback", [&] { pending.callback("disconnected", nullptr); });
  }
  for (const auto& room : socket->rooms()) socket->leave(room);
  ns.sockets.erase(socket->id());
  after_unlock([socket] {});  // a handler may still hold it (it called disconnect())
}

}  // namespace wisp::detail
