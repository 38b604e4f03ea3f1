// The main namespace's rooms shared with an event hub's (SocketIoSettings::hub): a hub room emit
// {type, data} reaches the Socket.IO sockets in that room as event `type` with the one argument
// `data`; a Socket.IO emit to rooms reaches the hub's clients in each room as {type: event,
// data}, data being the one argument (none: null; several: their array). Each side carries its
// own part across nodes: the hub on its room topics, Socket.IO with its emit command
// (cluster.hpp), so every emit is sent across once per side, from the node it was made on.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace wisp {
class Hub;
}

namespace wisp::detail {

struct SocketIoServer;

// What the hub tells of its room emits (events::HubImpl::RoomTap), for the sockets of `server`.
std::function<void(std::string_view room, std::string_view except, std::string_view type,
                   const nlohmann::json& data)>
hub_room_tap(std::weak_ptr<SocketIoServer> server);
// A Socket.IO emit made here, to the hub's clients in `rooms` (main namespace, shared hub only;
// binary arguments: counted in IoStats::not_shared and not sent to the hub).
void emit_to_hub(SocketIoServer& server, const std::string& nsp,
                 const std::vector<std::string>& rooms, std::string_view event,
                 const nlohmann::json& args);

}  // namespace wisp::detail
