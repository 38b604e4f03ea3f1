// Connection state recovery (recovery.hpp).
#include "socketio/recovery.hpp"

#include <algorithm>

#include "socketio/server.hpp"

namespace wisp::detail {
namespace {

// socket.io's RECOVERABLE_DISCONNECT_REASONS: the connection was lost, nobody asked to leave.
bool recoverable(std::string_view reason) {
  return reason == "transport error" || reason == "transport close" || reason == "forced close" ||
         reason == "ping timeout" || reason == "server shutting down";
}

bool contains(const std::vector<std::string>& rooms, const std::string& room) {
  return std::find(rooms.begin(), rooms.end(), room) != rooms.end();
}

// Whether a socket in `rooms` was addressed by `packet` (socket.io's shouldIncludePacket).
bool addressed(const std::vector<std::string>& rooms, const KeptPacket& packet) {
  const bool included =
      packet.rooms.empty() || std::any_of(rooms.begin(), rooms.end(), [&](const std::string& room) {
        return contains(packet.rooms, room);
      });
  return included && std::none_of(rooms.begin(), rooms.end(), [&](const std::string& room) {
           return contains(packet.except, room);
         });
}

const std::string* text_of(const json& auth, const char* key) {
  auto it = auth.find(key);
  return it != auth.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

}  // namespace

bool recovery_on(const SocketIoServer& server) {
  return server.settings.max_disconnection_duration.count() > 0;
}

std::string next_offset(SocketIoServer& server) {
  if (server.offset_prefix.empty()) server.offset_prefix = server.new_id() + "-";
  return server.offset_prefix + std::to_string(++server.offsets);
}

void keep_packet(SocketIoServer& server, NamespaceState& ns, const std::string& offset,
                 const std::vector<std::string>& rooms, const std::vector<std::string>& except,
                 const socketio::EncodedSio& packet) {
  auto& kept = ns.recovery.kept;
  kept.push_back({offset, rooms, except, packet, RecoveryClock::now()});
  if (kept.size() <= server.settings.recovery_packets) return;
  kept.pop_front();
  ++server.stats.recovery_dropped;
}

void park_socket(SocketIoServer& server, NamespaceState& ns, const NspSocket& socket,
                 std::string_view reason) {
  if (!recovery_on(server) || socket.pid.empty() || !recoverable(reason)) return;
  if (ns.recovery.parked.size() >= server.settings.max_sessions) {
    ++server.stats.recovery_dropped;
    return;
  }
  ns.recovery.parked[socket.pid] = {socket.id(),
                                    {socket.rooms_.begin(), socket.rooms_.end()},
                                    socket.data_,
                                    RecoveryClock::now()};
}

std::optional<Restored> restore_socket(SocketIoServer& server, NamespaceState& ns,
                                       const json& auth) {
  const std::string* pid = text_of(auth, "pid");
  const std::string* offset = text_of(auth, "offset");
  if (!recovery_on(server) || !pid || !offset) return std::nullopt;
  auto parked = ns.recovery.parked.find(*pid);
  const auto& kept = ns.recovery.kept;
  auto last = std::find_if(kept.begin(), kept.end(),
                           [&](const KeptPacket& packet) { return packet.offset == *offset; });
  const auto now = RecoveryClock::now();
  if (parked == ns.recovery.parked.end() || last == kept.end() ||
      now - parked->second.at > server.settings.max_disconnection_duration ||
      ns.sockets.contains(parked->second.id)) {
    ++server.stats.not_recovered;
    return std::nullopt;
  }
  Restored restored{*pid, std::move(parked->second), {}};
  ns.recovery.parked.erase(parked);
  for (auto it = std::next(last); it != kept.end(); ++it) {
    if (addressed(restored.socket.rooms, *it)) restored.missed.push_back(it->packet);
  }
  ++server.stats.recovered;
  return restored;
}

void expire_recovery(SocketIoServer& server, RecoveryClock::time_point now) {
  const auto limit = server.settings.max_disconnection_duration;
  for (auto& [name, ns] : server.namespaces) {
    auto& kept = ns.recovery.kept;
    while (!kept.empty() && now - kept.front().at > limit) kept.pop_front();
    std::erase_if(ns.recovery.parked,
                  [&](const auto& entry) { return now - entry.second.at > limit; });
  }
}

}  // namespace wisp::detail
