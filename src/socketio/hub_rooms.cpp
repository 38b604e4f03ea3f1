// Rooms shared with an event hub (hub_rooms.hpp).
#include "socketio/hub_rooms.hpp"

#include "socketio/server.hpp"
#include "wisp/hub.hpp"

namespace wisp::detail {
namespace {

// Set while this thread hands a Socket.IO emit to the hub: the hub's tap sees that emit too,
// and its Socket.IO sockets already have it.
thread_local bool handing_to_hub = false;

bool has_binary(const json& value) {
  if (value.is_binary()) return true;
  if (!value.is_structured()) return false;
  for (const json& item : value) {
    if (has_binary(item)) return true;
  }
  return false;
}

// The hub envelope's data for Socket.IO arguments (an array spread, anything else one).
json hub_data(const json& args) {
  if (!args.is_array()) return args;
  if (args.empty()) return nullptr;
  return args.size() == 1 ? args[0] : args;
}

}  // namespace

std::function<void(std::string_view, std::string_view, std::string_view, const json&)> hub_room_tap(
    std::weak_ptr<SocketIoServer> weak) {
  return [weak = std::move(weak)](std::string_view room, std::string_view except,
                                  std::string_view type, const json& data) {
    auto server = weak.lock();
    if (!server || handing_to_hub) return;
    const std::string nsp = "/";
    const std::vector<std::string> rooms{std::string(room)};
    std::vector<std::string> excepted;
    if (!except.empty()) excepted.emplace_back(except);
    server->broadcast(nsp, rooms, excepted, event_data(type, json::array({data})));
  };
}

void emit_to_hub(SocketIoServer& server, const std::string& nsp,
                 const std::vector<std::string>& rooms, std::string_view event, const json& args) {
  Hub* hub = server.settings.hub;
  if (!hub || nsp != "/" || rooms.empty()) return;
  if (has_binary(args)) {
    SocketIoServer::Guard guard(server);
    ++server.stats.not_shared;
    return;
  }
  const json data = hub_data(args);
  handing_to_hub = true;
  try {
    for (const std::string& room : rooms) hub->room(room).emit(event, data);
  } catch (...) {
    handing_to_hub = false;
    throw;
  }
  handing_to_hub = false;
}

}  // namespace wisp::detail
