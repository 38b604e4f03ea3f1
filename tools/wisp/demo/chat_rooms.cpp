#include "chat_rooms.hpp"

#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

namespace wisp::tool {
namespace {

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

// data[key] when it is a string, else "" (a missing field and a wrong type are the same mistake).
std::string text_field(const json& data, const char* key) {
  if (!data.is_object()) return {};
  const auto it = data.find(key);
  return it != data.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

// A room's name from the message: required, and not one of the server's own rooms ("$...", like
// the dashboard's), which chat must not reach.
std::string room_field(const json& data) {
  std::string room = trimmed(text_field(data, "room"));
  if (room.empty()) throw HubError("room_required", "Room name is required");
  if (room.front() == '$') throw HubError("room_required", "Room names may not start with $");
  return room;
}

}  // namespace

Blueprint ChatRooms::blueprint() {
  auto self = shared_from_this();
  Blueprint chat("chat_rooms");
  chat.on("register", [self](Event& ev) { return self->register_user(ev); })
      .on("join_room", [self](Event& ev) { return self->join_room(ev); })
      .on("leave_room", [self](Event& ev) { return self->leave_room(ev); })
      .on("chat_message", [self](Event& ev) { return self->chat_message(ev); })
      .on_disconnect([self](DisconnectEvent& ev) { self->disconnected(ev); });
  return chat;
}

// Answered once the cluster said which rooms have members (a deferred reply: no loop waits).
json ChatRooms::register_user(Event& ev) {
  const std::string username = trimmed(text_field(ev.data(), "username"));
  if (username.empty()) throw HubError("username_required", "Username is required");
  {
    std::lock_guard lock(mutex_);
    usernames_[std::string(ev.client_id())] = username;
  }
  // std::function copies its callable: the move-only Reply is shared.
  count_rooms(hub_, [self = shared_from_this(), reply = std::make_shared<Reply>(ev.defer()),
                     username](std::vector<RoomCount> cluster) {
    const json summary = self->rooms_summary(cluster);
    json available = json::array();
    for (const json& room : summary["rooms"]) available.push_back(room["name"]);
    reply->resolve(
        {{"status", "registered"}, {"username", username}, {"available_rooms", available}});
  });
  return nullptr;
}

json ChatRooms::join_room(Event& ev) {
  const std::string name = room_field(ev.data());
  const std::string client(ev.client_id());
  std::string username;
  json reply = {{"status", "joined"}, {"room", name}};
  {
    std::lock_guard lock(mutex_);
    auto [it, created] = rooms_.try_emplace(name);
    Room& room = it->second;
    if (created) {
      room.created_at = now_seconds();
      room.created_by = client;
    }
    room.members.insert(client);
    username = username_of(client);
    const std::size_t skip = room.messages.size() - std::min(room.messages.size(), history_sent);
    reply["history"] = json(
        std::vector<json>(room.messages.begin() + static_cast<long>(skip), room.messages.end()));
  }
  auto later = std::make_shared<Reply>(ev.defer());
  try {  // recovery (--room-history): the missed messages come first, then this reply
    ev.join(name, ev.data().value("since", json()),
            [this, name, reply = std::move(reply), later](json position) mutable {
              reply.update(position);
              // The member count is the cluster's: the reply waits for the other nodes' counts.
              hub_.room(name).size([reply = std::move(reply), later](std::size_t n) mutable {
                reply["members"] = n;
                later->resolve(reply);
              });
            });
  } catch (const HubError& error) {
    later->reject(error.code(), error.what());
    return nullptr;
  }
  tell_others(name, client, username, "joined");
  return nullptr;
}

json ChatRooms::leave_room(Event& ev) {
  const std::string name = room_field(ev.data());
  const std::string client(ev.client_id());
  std::string username;
  {
    std::lock_guard lock(mutex_);
    const auto room = rooms_.find(name);
    if (room == rooms_.end() || !room->second.members.erase(client)) {
      throw HubError("not_a_member", "Not a member of this room");
    }
    username = username_of(client);
  }
  ev.leave(name);
  tell_others(name, client, username, "left");
  return {{"status", "left"}, {"room", name}};
}

json ChatRooms::chat_message(Event& ev) {
  const std::string name = room_field(ev.data());
  const std::string text = trimmed(text_field(ev.data(), "message"));
  if (text.empty()) throw HubError("message_required", "Room and message are required");
  const std::string client(ev.client_id());
  const double timestamp = now_seconds();
  char id[96];
  std::snprintf(id, sizeof id, "msg_%.6f_%s", timestamp, client.substr(0, 8).c_str());
  json message;
  {
    std::lock_guard lock(mutex_);
    const auto room = rooms_.find(name);
    if (room == rooms_.end()) throw HubError("no_such_room", "Room does not exist");
    if (!room->second.members.contains(client)) {
      throw HubError("not_a_member", "Not a member of this room");
    }
    message = {{"id", id},
               {"room", name},
               {"sender", username_of(client)},
               {"text", text},
               {"timestamp", timestamp}};
    room->second.messages.push_back(message);
    if (room->second.messages.size() > history_kept) room->second.messages.pop_front();
  }
  hub_.room(name).except(client).emit("new_message", message);
  return {{"status", "sent"}, {"message_id", id}, {"timestamp", timestamp}};
}

void ChatRooms::disconnected(const DisconnectEvent& ev) {
  const std::string client(ev.client_id);
  std::string username;
  std::set<std::string> left;
  {
    std::lock_guard lock(mutex_);
    username = username_of(client);
    for (auto& [name, room] : rooms_) {
      if (room.members.erase(client)) left.insert(name);
    }
    usernames_.erase(client);
  }
  for (const std::string& room : left) tell_others(room, client, username, "left");
}

json ChatRooms::rooms_summary(const std::vector<RoomCount>& cluster) const {
  std::map<std::string, std::size_t, std::less<>> members;  // the cluster's rooms and this node's
  for (const RoomCount& room : cluster) members[room.name] = room.members;
  json rooms = json::array();
  std::lock_guard lock(mutex_);
  for (const auto& [name, room] : rooms_) members.try_emplace(name, 0);
  for (const auto& [name, count] : members) {
    const auto here = rooms_.find(name);
    const bool known = here != rooms_.end();
    rooms.push_back({{"name", name},
                     {"members", count},
                     {"message_count", known ? here->second.messages.size() : 0},
                     {"created_at", known ? json(here->second.created_at) : json(nullptr)}});
  }
  return {{"count", rooms.size()}, {"rooms", rooms}};
}

std::string ChatRooms::username_of(std::string_view client_id) const {
  const auto user = usernames_.find(std::string(client_id));
  return user != usernames_.end() ? user->second : "Anonymous";
}

void ChatRooms::tell_others(const std::string& room, std::string_view client_id,
                            std::string_view username, std::string_view action) {
  hub_.room(room).except(client_id).emit("room_update",
                                         {{"user", username}, {"action", action}, {"room", room}});
}

}  // namespace wisp::tool
