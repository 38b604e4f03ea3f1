// Rooms and broadcasts of one namespace: IoBroadcast's targets, on this node and (cluster.cpp)
// the others.
#include "socketio/hub_rooms.hpp"
#include "socketio/server.hpp"

namespace wisp::detail {

NamespaceState* SocketIoServer::space(std::string_view nsp) {
  auto it = namespaces.find(nsp);
  return it == namespaces.end() ? nullptr : &it->second;
}

std::vector<NspSocket*> SocketIoServer::targets(const std::string& nsp,
                                                const std::vector<std::string>& rooms,
                                                const std::vector<std::string>& except) {
  NamespaceState* ns = space(nsp);
  if (!ns) return {};
  std::set<NspSocket*> chosen;
  if (rooms.empty()) {
    for (const auto& [id, socket] : ns->sockets) chosen.insert(socket);
  }
  for (const auto& room : rooms) {
    auto it = ns->rooms.find(room);
    if (it != ns->rooms.end()) chosen.insert(it->second.begin(), it->second.end());
  }
  for (const auto& room : except) {
    auto it = ns->rooms.find(room);
    if (it == ns->rooms.end()) continue;
    for (NspSocket* socket : it->second) chosen.erase(socket);
  }
  std::vector<NspSocket*> out;
  for (NspSocket* socket : chosen) {
    if (!socket->leaving) out.push_back(socket);
  }
  return out;
}

socketio::EncodedSio SocketIoServer::event_packet(const std::string& nsp, json data,
                                                  std::string& offset) {
  if (recovery_on(*this)) {
    Guard guard(*this);
    offset = next_offset(*this);
    data.push_back(offset);
  }
  return socketio::encode_sio(socketio::SioType::Event, nsp, std::nullopt, data);
}

std::size_t SocketIoServer::broadcast(const std::string& nsp, const std::vector<std::string>& rooms,
                                      const std::vector<std::string>& except, json data) {
  std::string offset;
  const auto packet = event_packet(nsp, std::move(data), offset);
  forward_emit(*this, nsp, rooms, except, offset, packet);
  return emit_here(nsp, rooms, except, offset, packet);
}

std::size_t SocketIoServer::emit_here(const std::string& nsp, const std::vector<std::string>& rooms,
                                      const std::vector<std::string>& except,
                                      const std::string& offset,
                                      const socketio::EncodedSio& packet) {
  Guard guard(*this);
  NamespaceState* ns = space(nsp);
  if (!ns) return 0;
  if (!offset.empty() && recovery_on(*this)) keep_packet(*this, *ns, offset, rooms, except, packet);
  const auto chosen = targets(nsp, rooms, except);
  for (NspSocket* socket : chosen) send_sio(socket->session, packet);
  return chosen.size();
}

}  // namespace wisp::detail

namespace wisp {

IoBroadcast IoBroadcast::to(std::string_view room) const {
  IoBroadcast next = *this;
  next.rooms_.emplace_back(room);
  return next;
}

IoBroadcast IoBroadcast::except(std::string_view room_or_socket_id) const {
  IoBroadcast next = *this;
  next.except_.emplace_back(room_or_socket_id);
  return next;
}

std::size_t IoBroadcast::emit(std::string_view event, const json& args) const {
  detail::emit_to_hub(*server_, nsp_, rooms_, event, args);
  return server_->broadcast(nsp_, rooms_, except_, detail::event_data(event, args));
}

std::vector<std::string> IoBroadcast::socket_ids() const {
  detail::SocketIoServer::Guard guard(*server_);
  std::vector<std::string> ids;
  for (detail::NspSocket* socket : server_->targets(nsp_, rooms_, except_)) {
    ids.push_back(socket->id());
  }
  return ids;
}

}  // namespace wisp
