#include "cluster_rooms.hpp"

#include <algorithm>
#include <atomic>
#include <memory>

namespace wisp::tool {
namespace {

// One room-size question per room, asked at once; the last answer sends them all. The answers
// may come on different threads (a node's own, the broker's): each writes its own slot, and the
// counter's acquire-release order makes every slot visible to the last one.
struct Gathering {
  std::vector<RoomCount> rooms;
  std::atomic<std::size_t> left;
  std::function<void(std::vector<RoomCount>)> done;

  // A constructor, not aggregate initialisation: make_shared's parentheses need it with clang 14.
  Gathering(std::vector<RoomCount> counted, std::size_t answers,
            std::function<void(std::vector<RoomCount>)> then)
      : rooms(std::move(counted)), left(answers), done(std::move(then)) {}

  void answered(std::size_t index, std::size_t members) {
    rooms[index].members = members;
    if (left.fetch_sub(1, std::memory_order_acq_rel) == 1) done(std::move(rooms));
  }
};

std::vector<RoomCount> chat_rooms(std::vector<std::string> names) {
  std::vector<RoomCount> rooms;
  for (std::string& name : names) {
    if (!name.empty() && name.front() != '$') rooms.push_back({.name = std::move(name)});
  }
  std::sort(rooms.begin(), rooms.end(),
            [](const RoomCount& a, const RoomCount& b) { return a.name < b.name; });
  return rooms;
}

}  // namespace

void count_rooms(Hub& hub, std::function<void(std::vector<RoomCount>)> done) {
  hub.rooms([&hub, done = std::move(done)](std::vector<std::string> names) mutable {
    std::vector<RoomCount> rooms = chat_rooms(std::move(names));
    if (rooms.empty()) return done({});
    const std::size_t count = rooms.size();
    auto gathering = std::make_shared<Gathering>(std::move(rooms), count, std::move(done));
    for (std::size_t i = 0; i < gathering->rooms.size(); ++i) {
      hub.room(gathering->rooms[i].name).size([gathering, i](std::size_t members) {
        gathering->answered(i, members);
      });
    }
  });
}

}  // namespace wisp::tool
