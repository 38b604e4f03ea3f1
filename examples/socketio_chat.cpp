// Seed 004's Socket.IO server on wisp, for the official socket.io-client unchanged: auth
// middleware (`io.use`: no token -> "Authentication required", a bad one -> "Invalid token"),
// join/leave rooms, message:send to a room, typing indicators, and a notice to the rooms of a
// client that leaves. Two more things the seed's clients may use: `whoami` (acked with the user)
// and `quiz` (the server asks the client a question with an ack and a timeout, and tells it what
// came back), and an /admin namespace only ada may enter.
//
//   example_socketio_chat [port] [ping_interval_ms ping_timeout_ms]
//   io("http://127.0.0.1:PORT", {auth: {token: "t-ada"}})        tokens: t-ada, t-bob
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>

#include "wisp/wisp.hpp"

namespace {

using wisp::IoEvent;
using wisp::IoSocket;
using wisp::json;

// A stand-in for verifyToken(): the user a token names.
const std::map<std::string, std::string, std::less<>> kUsers = {{"t-ada", "ada"}, {"t-bob", "bob"}};

// io.use((socket, next) => ...): refuses with the messages the seed's clients show.
void authenticate(IoSocket& socket) {
  const json& token = socket.auth().contains("token") ? socket.auth()["token"] : json();
  if (!token.is_string() || token.get<std::string>().empty()) {
    throw wisp::IoError("Authentication required");
  }
  auto user = kUsers.find(token.get<std::string>());
  if (user == kUsers.end()) throw wisp::IoError("Invalid token", {{"token", token}});
  socket.data()["user"] = {{"id", user->second}};
}

json user_id(IoSocket& socket) { return socket.data()["user"]["id"]; }

// generateId(): unique within this process.
std::string generate_id() {
  static std::atomic<unsigned long> next{0};
  return "m" + std::to_string(++next);
}

std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  return std::to_string(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
}

void add_rooms(wisp::SocketIo& io) {
  io.on("join:room", [](IoEvent& ev) {
    if (!ev.arg(0).is_string()) return;
    const std::string room = ev.arg(0);
    ev.socket().join(room);
    ev.socket().to(room).emit("user:joined",
                              {{{"userId", user_id(ev.socket())}, {"roomId", room}}});
    ev.ack(json::array({room}));
  });
  io.on("leave:room", [](IoEvent& ev) {
    if (!ev.arg(0).is_string()) return;
    const std::string room = ev.arg(0);
    ev.socket().leave(room);
    ev.socket().to(room).emit("user:left", {{{"userId", user_id(ev.socket())}, {"roomId", room}}});
  });
}

void add_messages(wisp::SocketIo& io) {
  io.on("message:send", [&io](IoEvent& ev) {
    const json& data = ev.arg(0);
    if (!data.is_object() || !data.value("roomId", json()).is_string()) return;
    const json message = {{"id", generate_id()},
                          {"content", data.value("content", json())},
                          {"userId", user_id(ev.socket())},
                          {"timestamp", timestamp()}};
    io.to(data["roomId"].get<std::string>()).emit("message:received", {message});
  });
  for (const bool typing : {true, false}) {
    io.on(typing ? "typing:start" : "typing:stop", [typing](IoEvent& ev) {
      if (!ev.arg(0).is_string()) return;
      ev.socket()
          .to(ev.arg(0).get<std::string>())
          .emit("user:typing", {{{"userId", user_id(ev.socket())}, {"isTyping", typing}}});
    });
  }
}

// The seed's disconnect handler: every room of the socket hears that it left, and why.
void on_disconnect(IoSocket& socket, std::string_view reason) {
  std::cout << "user disconnected: " << user_id(socket).get<std::string>() << ", reason: " << reason
            << std::endl;
  for (const auto& room : socket.rooms()) {
    if (room == socket.id()) continue;
    socket.to(room).emit("user:left",
                         {{{"userId", user_id(socket)}, {"roomId", room}, {"reason", reason}}});
  }
}

// quiz(timeout_ms): the server emits `question` asking for an ack, then reports the answer.
void add_quiz(wisp::SocketIo& io) {
  io.on("whoami", [](IoEvent& ev) { ev.ack(json::array({ev.socket().data()["user"]})); });
  io.on("quiz", [](IoEvent& ev) {
    const auto timeout =
        std::chrono::milliseconds(ev.arg(0).is_number() ? ev.arg(0).get<long>() : 1000);
    const std::string id = ev.socket().id();
    IoSocket& socket = ev.socket();
    socket.emit_with_ack("question", {"6 x 7?"}, timeout,
                         [&socket](std::optional<std::string> error, json args) {
                           if (error)
                             return socket.emit("quiz:result", {{{"error", *error}}}), void();
                           socket.emit("quiz:result", {{{"answer", args}}});
                         });
  });
}

}  // namespace

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 3000);
  wisp::SocketIoSettings settings;  // the seed's pingInterval 25 s and pingTimeout 60 s
  settings.ping_timeout = std::chrono::seconds(60);
  if (argc > 3) {
    settings.ping_interval = std::chrono::milliseconds(std::atol(argv[2]));
    settings.ping_timeout = std::chrono::milliseconds(std::atol(argv[3]));
  }
  settings.cors_origin = "*";

  wisp::App app;
  wisp::SocketIo io(app, "/socket.io/", settings);
  io.use(authenticate);
  io.on_connection([](IoSocket& socket) {
    std::cout << "user connected: " << user_id(socket).get<std::string>() << std::endl;
  });
  add_rooms(io);
  add_messages(io);
  add_quiz(io);
  io.on_disconnect(on_disconnect);
  io.of("/admin")
      .use([](IoSocket& socket) {
        authenticate(socket);
        if (user_id(socket) != "ada") throw wisp::IoError("Admins only");
      })
      .on("stats", [&io](IoEvent& ev) {
        ev.ack(json::array({{{"sessions", io.stats().sessions}, {"sockets", io.stats().sockets}}}));
      });

  app.listen("127.0.0.1", port);
  std::cout << "listening on 127.0.0.1:" << app.port() << std::endl;
  app.stop_on_signals().run();
}
