// Blueprints (seed 000 "Organizing with Blueprints"): handlers and hooks grouped by feature, each
// group made where it belongs (here, two functions standing for two files) and mounted on the hub.
// A message type handled twice, in two blueprints or a blueprint and the hub, is refused when it
// is mounted (std::logic_error), not found out when a message arrives.
//
//   example_hub_blueprints [port]   then connect to ws://127.0.0.1:PORT/ws and send
//     {"type":"join_room","data":{"room":"lobby"},"id":1}
//     {"type":"send_message","data":{"room":"lobby","text":"hi"},"id":2}
#include <cstdlib>
#include <iostream>

#include "wisp/wisp.hpp"

using wisp::json;

// The chat feature: joining rooms and saying things in them.
wisp::Blueprint chat_blueprint(wisp::Hub& hub) {
  wisp::Blueprint chat("chat");
  chat.on("join_room", [](wisp::Event& ev) {
    const std::string room = ev.data().value("room", "");
    return json{{"joined", ev.join(room)}, {"room", room}};
  });
  chat.on("send_message", [&hub](wisp::Event& ev) {
    const json& data = ev.data();
    hub.room(data.value("room", "")).except(ev.client_id()).emit("message", data);
    return json{{"received", true}};
  });
  return chat;
}

// The user feature: greeting on connect, saying goodbye on disconnect.
wisp::Blueprint user_blueprint() {
  wisp::Blueprint users("users");
  users.on_connect([](wisp::ConnectEvent&) { return json{{"welcome", true}}; });
  users.on_disconnect([](wisp::DisconnectEvent& ev) {
    std::cout << "users: " << ev.client_id << " left (" << ev.code << ")" << std::endl;
  });
  return users;
}

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 9001);
  wisp::App app;
  wisp::Hub& hub = app.hub("/ws");
  hub.mount(chat_blueprint(hub)).mount(user_blueprint());

  app.listen("127.0.0.1", port);
  std::cout << "listening on 127.0.0.1:" << app.port() << std::endl;
  app.stop_on_signals().run();
}
