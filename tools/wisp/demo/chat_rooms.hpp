// Seed 000's chat-rooms application on an event hub: register with a username, join or create a
// room (answered with the last 20 messages), chat in it, leave it; the other members hear of each
// message (new_message) and of each arrival and departure (room_update).
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "cluster_rooms.hpp"
#include "wisp/hub.hpp"

namespace wisp::tool {

class ChatRooms : public std::enable_shared_from_this<ChatRooms> {
 public:
  static constexpr std::size_t history_kept = 100;  // messages stored per room
  static constexpr std::size_t history_sent = 20;   // messages a join answers with

  explicit ChatRooms(Hub& hub) : hub_(hub) {}

  // Handlers: register, join_room, leave_room, chat_message; a disconnect hook. Bad input is
  // answered with error envelopes (codes username_required, room_required, message_required,
  // no_such_room, not_a_member).
  Blueprint blueprint();
  // GET /api/rooms: {"count": N, "rooms": [{name, members, message_count, created_at}]}, sorted
  // by name: the rooms of `cluster` (count_rooms) and the rooms this node knows (0 members if none
  // elsewhere), `members` the cluster's; message_count and created_at are this node's (null
  // created_at: a room only other nodes know).
  json rooms_summary(const std::vector<RoomCount>& cluster) const;

 private:
  struct Room {
    double created_at = 0;
    std::string created_by;
    std::set<std::string> members;  // client ids
    std::deque<json> messages;      // the last history_kept
  };

  json register_user(Event& ev);
  json join_room(Event& ev);
  json leave_room(Event& ev);
  json chat_message(Event& ev);
  void disconnected(const DisconnectEvent& ev);

  std::string username_of(std::string_view client_id) const;  // under mutex_
  void tell_others(const std::string& room, std::string_view client_id, std::string_view username,
                   std::string_view action);

  Hub& hub_;
  mutable std::mutex mutex_;  // handlers run on every loop thread
  std::map<std::string, Room, std::less<>> rooms_;
  std::unordered_map<std::string, std::string> usernames_;  // by client id
};

}  // namespace wisp::tool
