// A chat room on raw callbacks (seed 002's "Simple Chat Room"): typed per-socket data, sends to
// other sockets, close codes, and the remote address.
//
//   example_chat_room [port]        then connect to ws://127.0.0.1:PORT/chat
//   Messages: "/name NEW" renames you, "/quit" closes with 1000 "bye", anything else is said
//   to everyone else in the room as "NAME: TEXT".
#include <cstdlib>
#include <iostream>
#include <string>
#include <unordered_set>

#include "wisp/wisp.hpp"

// What the server keeps for each member: created when the socket opens, gone when it closes.
struct Member {
  std::string name;
  int said = 0;
};

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 9001);
  std::unordered_set<wisp::WebSocket*> room;  // one loop thread: no lock needed
  int joined = 0;

  auto say_to_others = [&](wisp::WebSocket& from, const std::string& line) {
    for (wisp::WebSocket* member : room) {
      if (member != &from) member->send_text(line);
    }
  };

  wisp::App app;
  app.ws<Member>(
      "/chat", {
                   .settings = {.max_message_size = 4096},
                   .open =
                       [&](wisp::WebSocket& ws) {
                         ws.data<Member>().name = "guest-" + std::to_string(++joined);
                         room.insert(&ws);
                         ws.send_text("Welcome to chat room, " + ws.data<Member>().name + "!");
                         std::cout << ws.data<Member>().name << " joined from "
                                   << ws.remote_address() << std::endl;
                       },
                   .message =
                       [&](wisp::WebSocket& ws, std::string_view text, wisp::OpCode op) {
                         Member& me = ws.data<Member>();
                         if (op != wisp::OpCode::Text)
                           return ws.close(wisp::close_code::unsupported_data, "text only");
                         if (text == "/quit") return ws.close(wisp::close_code::normal, "bye");
                         if (text.starts_with("/name ")) {
                           me.name = text.substr(6);
                           return (void)ws.send_text("You are now " + me.name);
                         }
                         ++me.said;
                         say_to_others(ws, me.name + ": " + std::string(text));
                       },
                   .close =
                       [&](wisp::WebSocket& ws, int code, std::string_view) {
                         room.erase(&ws);
                         const Member& me = ws.data<Member>();
                         say_to_others(
                             ws, me.name + " left after " + std::to_string(me.said) + " messages");
                         std::cout << me.name << " left with code " << code << std::endl;
                       },
               });
  app.listen("127.0.0.1", port);
  std::cout << "listening on 127.0.0.1:" << app.port() << std::endl;
  app.stop_on_signals().run();
}
