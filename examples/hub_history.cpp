// Chat rooms that keep their history (README "Delivery guarantees"): seed 000's join_room answer
// with the room's last 20 messages comes from the hub itself (hub.room(r).history(20)), and a
// client that comes back after a dropped connection with the last offset and epoch it saw (as
// wisp.js does by itself) first gets exactly the messages it missed, then the answer says
// "recovered": true, or false with a reason (the app then reloads from "history").
//
//   example_hub_history [port]   then connect to ws://127.0.0.1:PORT/ws and send, for instance,
//     {"type":"join_room","data":{"room":"lobby"},"id":1}
//     {"type":"chat_message","data":{"room":"lobby","message":"hello"},"id":2}
//     {"type":"join_room","data":{"room":"lobby","since":{"offset":1,"epoch":"..."}},"id":3}
#include <cstdlib>
#include <iostream>
#include <string>

#include "wisp/wisp.hpp"

using wisp::json;

namespace {

const std::string& room_of(wisp::Event& ev) {
  const json& room = ev.data().is_object() ? ev.data().value("room", json()) : json();
  if (!room.is_string()) throw wisp::HubError("room_required", "a room name is required");
  return ev.data()["room"].get_ref<const std::string&>();
}

json messages_of(const wisp::RoomHistory& history) {
  json messages = json::array();
  for (const wisp::HistoryMessage& kept : history.messages)
    messages.push_back({{"offset", kept.offset}, {"type", kept.type}, {"data", kept.data}});
  return messages;
}

}  // namespace

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 9001);
  wisp::App app;
  // Every room keeps its last 100 messages for 10 minutes; a client may recover up to 500.
  wisp::Hub& hub = app.hub(
      "/ws", {.history = {.rooms = {{.prefix = "", .size = 100, .ttl = std::chrono::minutes(10)}},
                          .max_recover = 500}});

  hub.on("join_room", [&hub](wisp::Event& ev) {
    const std::string& room = room_of(ev);
    // With "since", the missed messages are sent before this answer (and "recovered" says so).
    json answer = ev.join(room, ev.data().value("since", json()));
    answer["room"] = room;
    answer["history"] = messages_of(hub.room(room).history(20));
    return answer;
  });
  hub.on("chat_message", [&hub](wisp::Event& ev) -> json {
    const std::string& room = room_of(ev);
    hub.room(room).emit("new_message",
                        {{"sender", ev.client_id()}, {"text", ev.data().value("message", "")}});
    return {{"status", "sent"}};
  });
  hub.on("history_stats", [&hub](wisp::Event&) -> json {
    const wisp::HistoryStats stats = hub.history_stats();
    return {{"streams", stats.streams},
            {"messages", stats.messages},
            {"trimmed_by_size", stats.trimmed_by_size},
            {"recovered", stats.recovered},
            {"recovery_refused", stats.recovery_refused}};
  });

  app.listen("127.0.0.1", port);
  std::cout << "listening on 127.0.0.1:" << app.port() << std::endl;
  app.stop_on_signals().run();
}
