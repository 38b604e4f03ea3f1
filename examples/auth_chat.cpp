// An auth-gated chat with rooms: who gets in is decided at the upgrade. Upgrade middleware
// refuses other sites' pages (Origin allowlist, 403), too many sockets from one address (429) and
// clients without a valid token (401); the route's hook picks the subprotocol, refuses unknown
// rooms (404) and asks a directory service on a worker thread (app.offload) whether the user may
// enter a private room (a deferred decision). An HTTP route is answered later the same way.
//
//   example_auth_chat [port]
//   ws://127.0.0.1:PORT/chat/{room}?token=TOKEN   (or "Authorization: Bearer TOKEN")
//   rooms: lobby, games, staff (ada only); tokens: t-ada, t-bob; subprotocol: chat.v1
//   GET /api/rooms/{room}: {"room": ..., "members": N}, counted on a worker thread
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <string>

#include "wisp/wisp.hpp"

// What the server keeps for each member, from the upgrade on.
struct Member {
  std::string name;
  std::string room;
};

// A stand-in for a slow service (a database, an auth server): called through app.offload, on
// the app's worker threads, so that it never blocks an event loop.
bool may_enter(const std::string& user, const std::string& room) {
  return room != "staff" || user == "ada";
}

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 9001);
  const std::map<std::string, std::string, std::less<>> users = {{"t-ada", "ada"},
                                                                 {"t-bob", "bob"}};
  const std::set<std::string, std::less<>> rooms = {"lobby", "games", "staff"};

  wisp::App app;
  app.use_ws(wisp::middleware::allowed_origins({"https://chat.example.com"}))
      .use_ws(wisp::middleware::max_connections_per_ip(100))
      .use_ws(
          wisp::middleware::token_auth({.validate = [&](std::string_view token, wisp::Upgrade& up) {
            const auto user = users.find(token);
            if (user == users.end()) return false;
            up.data<Member>().name = user->second;
            return true;
          }}));

  app.ws<Member>("/chat/{room}",
                 {.settings = {.max_message_size = 4096},
                  .upgrade =
                      [&](wisp::Upgrade& up) {
                        Member& me = up.data<Member>();
                        me.room = up.param("room");
                        if (!rooms.contains(me.room))
                          return up.reject(404, "no such room: " + me.room);
                        wisp::AcceptOptions accept{.headers = {{"X-Chat-User", me.name}}};
                        for (std::string_view offered : up.protocols()) {
                          if (offered == "chat.v1") accept.subprotocol = offered;
                        }
                        app.offload(
                            [user = me.name, room = me.room] { return may_enter(user, room); },
                            [later = up.defer(), accept, user = me.name,
                             room = me.room](bool allowed) mutable {
                              if (allowed) return later.accept(accept);
                              later.reject(403, user + " may not enter " + room);
                            });
                      },
                  .open =
                      [](wisp::WebSocket& ws) {
                        const Member& me = ws.data<Member>();
                        ws.subscribe(me.room);
                        ws.send_text("welcome to " + me.room + ", " + me.name);
                        ws.publish(me.room, me.name + " joined");
                      },
                  .message =
                      [](wisp::WebSocket& ws, std::string_view text, wisp::OpCode op) {
                        const Member& me = ws.data<Member>();
                        if (op != wisp::OpCode::Text) return ws.close(1003, "text only");
                        ws.publish(me.room, me.name + ": " + std::string(text));
                      },
                  .close =
                      [](wisp::WebSocket& ws, int, std::string_view) {
                        const Member& me = ws.data<Member>();
                        ws.publish(me.room, me.name + " left");
                      }});

  app.get("/api/rooms/{room}", [&](wisp::Request& req, wisp::Response& res) {
    const std::string room(req.param("room"));
    app.offload(
        [&app, room] { return app.subscriber_count(room); },
        [later = res.defer(), room](std::size_t members) mutable {
          later.json(R"({"room":")" + room + R"(","members":)" + std::to_string(members) + "}");
        });
  });

  app.listen("127.0.0.1", port);
  std::cout << "listening on 127.0.0.1:" << app.port() << std::endl;
  app.stop_on_signals().run();
}
