// Which clients a hub has and which rooms each is in: the hub's answer to "who is where" from
// any thread. Delivery itself goes through the loops' topic tables; this table is the truth that
// joins, counts and listings read, under one lock (never held while user code runs).
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace wisp::events {

class Membership {
 public:
  void add_client(std::string_view id);
  // False if the client was not there (never admitted, or already removed).
  bool remove_client(std::string_view id);
  bool has_client(std::string_view id) const;
  std::size_t client_count() const;
  std::vector<std::string> client_ids() const;
  // Of `ids`, those that are clients here; the others go to `unknown` if given.
  std::vector<std::string> known(const std::vector<std::string>& ids,
                                 std::vector<std::string>* unknown = nullptr) const;

  // False if `id` is not a client here, or already in the room.
  bool join(std::string_view id, std::string_view room);
  // False if `id` was not in the room.
  bool leave(std::string_view id, std::string_view room);
  // A room's members, leaving out `except` (empty: nobody).
  std::vector<std::string> members(std::string_view room, std::string_view except) const;
  std::size_t size(std::string_view room, std::string_view except) const;
  std::vector<std::string> rooms() const;  // those with members
  std::vector<std::string> rooms_of(std::string_view id) const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Index =
      std::unordered_map<std::string, std::set<std::string, std::less<>>, Hash, std::equal_to<>>;
  static void erase_from(Index& index, std::string_view key, std::string_view value);

  mutable std::mutex mutex_;
  Index rooms_of_client_;  // every client, with its rooms (often none)
  Index clients_of_room_;  // rooms with members only
};

}  // namespace wisp::events
