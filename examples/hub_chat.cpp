// Chat rooms on the event hub: seed 000's "Complete Example" in C++. Clients connect to /ws,
// register a username, join rooms (getting the last 20 messages), chat to the other members, and
// hear when members join or leave; GET /api/rooms lists the rooms.
//
//   example_hub_chat [port]   then connect to ws://127.0.0.1:PORT/ws and send, for instance,
//     {"type":"register","data":{"username":"ada"},"id":1}
//     {"type":"join_room","data":{"room":"lobby"},"id":2}
//     {"type":"chat_message","data":{"room":"lobby","message":"hello"},"id":3}
//
// Membership and delivery are the hub's rooms (on topics, across the loop threads); the app keeps
// what the seed keeps beside them: usernames, and each room's creation and message history.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "wisp/wisp.hpp"

using wisp::json;

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

json error(std::string_view message) { return {{"error", message}, {"status", "error"}}; }

struct RoomState {
  double created_at = now_seconds();
  std::string created_by;
  std::deque<json> messages;  // the last 100
};

struct User {
  std::string username;
  double registered_at = 0;
  std::vector<std::string> rooms;
};

// What the handlers share. They run on the loop thread of their client, and there are two loops,
// hence the lock (the seed's rooms_lock and users_lock in one).
class Chat {
 public:
  explicit Chat(wisp::Hub& hub) : hub_(hub) {}

  json connected(wisp::ConnectEvent& ev) {
    std::cout << "client connected: " << ev.client_id << std::endl;
    return {{"status", "connected"}};  // merged into the welcome, which carries the client id
  }

  void disconnected(wisp::DisconnectEvent& ev) {
    std::lock_guard lock(mutex_);
    const auto user = users_.find(ev.client_id);
    if (user == users_.end()) return;
    for (const std::string& room : user->second.rooms) {
      // The hub takes the client out of its rooms itself; the others hear who left.
      hub_.room(room)
          .except(ev.client_id)
          .emit("room_update",
                {{"user", user->second.username}, {"action", "left"}, {"room", room}});
    }
    users_.erase(user);
    std::cout << "client disconnected: " << ev.client_id << std::endl;
  }

  json register_user(wisp::Event& ev) {
    const std::string username = ev.data().value("username", "");
    if (username.empty()) return error("Username is required");
    std::lock_guard lock(mutex_);
    users_[std::string(ev.client_id())] = {username, now_seconds(), {}};
    json available = json::array();
    for (const auto& [name, room] : rooms_) available.push_back(name);
    return {{"status", "registered"}, {"username", username}, {"available_rooms", available}};
  }

  json join_room(wisp::Event& ev) {
    const std::string room_name = ev.data().value("room", "");
    if (room_name.empty()) return error("Room name is required");
    std::lock_guard lock(mutex_);
    const std::string username = username_of(ev.client_id());
    auto [room, created] = rooms_.try_emplace(room_name);
    if (created) room->second.created_by = ev.client_id();
    ev.join(room_name);
    if (User* user = find_user(ev.client_id())) {
      if (std::find(user->rooms.begin(), user->rooms.end(), room_name) == user->rooms.end()) {
        user->rooms.push_back(room_name);
      }
    }
    hub_.room(room_name)
        .except(ev.client_id())
        .emit("room_update", {{"user", username}, {"action", "joined"}, {"room", room_name}});
    const std::deque<json>& messages = room->second.messages;
    const auto last = messages.size() > 20 ? messages.end() - 20 : messages.begin();
    return {{"status", "joined"},
            {"room", room_name},
            {"members", hub_.room(room_name).size()},
            {"history", json(std::vector<json>(last, messages.end()))}};
  }

  json chat_message(wisp::Event& ev) {
    const std::string room_name = ev.data().value("room", "");
    const std::string text = trimmed(ev.data().value("message", ""));
    if (room_name.empty() || text.empty()) return error("Room and message are required");
    std::lock_guard lock(mutex_);
    const auto room = rooms_.find(room_name);
    if (room == rooms_.end()) return error("Room does not exist");
    const std::vector<std::string> in = hub_.rooms_of(ev.client_id());
    if (std::find(in.begin(), in.end(), room_name) == in.end()) {
      return error("Not a member of this room");
    }
    const double timestamp = now_seconds();
    const json message = {
        {"id", "msg_" + std::to_string(timestamp) + "_" + std::string(ev.client_id().substr(0, 8))},
        {"room", room_name},
        {"sender", username_of(ev.client_id())},
        {"text", text},
        {"timestamp", timestamp}};
    room->second.messages.push_back(message);
    if (room->second.messages.size() > 100) room->second.messages.pop_front();
    hub_.room(room_name).except(ev.client_id()).emit("new_message", message);
    return {{"status", "sent"}, {"message_id", message["id"]}, {"timestamp", timestamp}};
  }

  // GET /api/rooms
  json rooms() {
    std::lock_guard lock(mutex_);
    json list = json::array();
    for (const auto& [name, room] : rooms_) {
      list.push_back({{"name", name},
                      {"members", hub_.room(name).size()},
                      {"message_count", room.messages.size()},
                      {"created_at", room.created_at}});
    }
    return {{"count", list.size()}, {"rooms", list}};
  }

 private:
  static std::string trimmed(std::string text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return {};
    return text.substr(first, text.find_last_not_of(" \t\r\n") + 1 - first);
  }
  User* find_user(std::string_view client_id) {
    const auto user = users_.find(client_id);
    return user == users_.end() ? nullptr : &user->second;
  }
  std::string username_of(std::string_view client_id) {
    const User* user = find_user(client_id);
    return user ? user->username : "Anonymous";
  }

  wisp::Hub& hub_;
  std::mutex mutex_;
  std::map<std::string, RoomState> rooms_;
  std::map<std::string, User, std::less<>> users_;
};

}  // namespace

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 9001);
  wisp::App app({.threads = 2});
  wisp::Hub& hub = app.hub("/ws");
  Chat chat(hub);

  hub.on_connect([&](wisp::ConnectEvent& ev) { return chat.connected(ev); });
  hub.on_disconnect([&](wisp::DisconnectEvent& ev) { chat.disconnected(ev); });
  hub.on_register([&](wisp::Event& ev) { return chat.register_user(ev); });
  hub.on("join_room", [&](wisp::Event& ev) { return chat.join_room(ev); });
  hub.on("chat_message", [&](wisp::Event& ev) { return chat.chat_message(ev); });
  app.get("/api/rooms",
          [&](wisp::Request&, wisp::Response& res) { res.json(chat.rooms().dump()); });

  app.listen("127.0.0.1", port);
  std::cout << "listening on 127.0.0.1:" << app.port() << std::endl;
  app.stop_on_signals().run();
}
