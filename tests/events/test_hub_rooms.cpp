// Rooms on the real server with two loops: joins and leaves from handlers and other threads,
// emits (and except the sender) from handlers and plain threads, counts, automatic leave.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>

#include "hub_client.hpp"

namespace wisp::test {
namespace {

// Built-in join/leave; "say" emits to a room but the sender; "marker" answers, so that a
// client's next message shows whether anything came before it.
void add_room_handlers(App&, Hub& hub) {
  hub.on("say", [&hub](Event& ev) -> json {
    hub.room(ev.data()["room"]).except(ev.client_id()).emit("new_message", ev.data());
    return {{"status", "sent"}};
  });
  hub.on("marker", [](Event&) -> json { return "marker"; });
}

HubSettings with_builtin_rooms() { return {.builtin_rooms = true}; }

class RoomsTest : public ::testing::Test {
 protected:
  RoomsTest() : server_(add_room_handlers, with_builtin_rooms(), {.threads = 2}) {
    for (int i = 0; i < 4; ++i) clients_.push_back(server_.connect());
  }
  HubClient& client(int i) { return *clients_[i]; }
  Hub& hub() { return server_.hub(); }
  // Nothing arrived for the client before its marker's answer.
  static void expect_nothing_pending(HubClient& c) {
    EXPECT_EQ(c.request("marker", {}, "m")["data"], "marker");
  }

  HubServer server_;
  std::vector<std::unique_ptr<HubClient>> clients_;
};

TEST_F(RoomsTest, BuiltinJoinAndLeaveAnswerWithTheRoomAndItsCount) {
  EXPECT_EQ(client(0).request("join", {{"room", "lobby"}})["data"],
            json({{"room", "lobby"}, {"members", 1}}));
  EXPECT_EQ(client(1).request("join", {{"room", "lobby"}})["data"],
            json({{"room", "lobby"}, {"members", 2}}));
  EXPECT_EQ(client(1).request("leave", {{"room", "lobby"}})["data"],
            json({{"room", "lobby"}, {"members", 1}}));
  const json bad = client(2).request("join", {{"name", "lobby"}}, 4);
  EXPECT_EQ(bad["type"], "error");
  EXPECT_EQ(bad["data"]["code"], hub_error::invalid_data);
  EXPECT_EQ(bad["id"], 4);
}

TEST_F(RoomsTest, AnEmitFromAPlainThreadReachesMembersOnEveryLoopOnly) {
  for (int i = 0; i < 3; ++i) client(i).request("join", {{"room", "blue"}});
  std::thread([&] { hub().room("blue").emit("news", {{"n", 1}}); }).join();
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(client(i).next(), json({{"type", "news"}, {"data", {{"n", 1}}}}));
  expect_nothing_pending(client(3));
}

TEST_F(RoomsTest, ExceptLeavesOutTheSender) {
  for (int i = 0; i < 3; ++i) client(i).request("join", {{"room", "chat"}});
  EXPECT_EQ(client(0).request("say", {{"room", "chat"}, {"text", "hi"}})["data"],
            json({{"status", "sent"}}));
  for (int i = 1; i < 3; ++i) {
    EXPECT_EQ(client(i).next(),
              json({{"type", "new_message"}, {"data", {{"room", "chat"}, {"text", "hi"}}}}));
  }
  expect_nothing_pending(client(0));
  // The same from a plain thread, leaving out a client on whichever loop it is.
  std::thread([&] { hub().room("chat").except(client(2).id()).emit("news", 2); }).join();
  EXPECT_EQ(client(0).next()["data"], 2);
  EXPECT_EQ(client(1).next()["data"], 2);
  expect_nothing_pending(client(2));
}

TEST_F(RoomsTest, MembersCountsAndListsFromAnyThread) {
  client(0).request("join", {{"room", "a"}});
  client(1).request("join", {{"room", "a"}});
  client(1).request("join", {{"room", "b"}});
  std::thread([&] {
    const auto members = hub().room("a").members();
    EXPECT_EQ(std::set<std::string>(members.begin(), members.end()),
              std::set<std::string>({client(0).id(), client(1).id()}));
    EXPECT_EQ(hub().room("a").size(), 2u);
    EXPECT_EQ(hub().room("a").except(client(0).id()).size(), 1u);
    EXPECT_EQ(hub().room("a").except(client(0).id()).members(),
              std::vector<std::string>{client(1).id()});
    auto rooms = hub().rooms();
    std::sort(rooms.begin(), rooms.end());
    EXPECT_EQ(rooms, std::vector<std::string>({"a", "b"}));
    EXPECT_EQ(hub().rooms_of(client(1).id()), std::vector<std::string>({"a", "b"}));
    EXPECT_EQ(hub().room("empty").size(), 0u);
  }).join();
}

TEST_F(RoomsTest, JoinAndLeaveFromAPlainThread) {
  std::thread([&] {
    EXPECT_TRUE(hub().join(client(3).id(), "ops"));
    EXPECT_FALSE(hub().join(client(3).id(), "ops"));  // already in
    EXPECT_FALSE(hub().join("no-such-client", "ops"));
    hub().room("ops").emit("alert", "one");  // posted after the join: the member gets it
  }).join();
  EXPECT_EQ(client(3).next()["data"], "one");
  std::thread([&] {
    EXPECT_TRUE(hub().leave(client(3).id(), "ops"));
    EXPECT_FALSE(hub().leave(client(3).id(), "ops"));
    hub().room("ops").emit("alert", "two");
  }).join();
  expect_nothing_pending(client(3));
  EXPECT_TRUE(hub().rooms().empty());
}

TEST_F(RoomsTest, ADisconnectedClientLeavesItsRooms) {
  client(0).request("join", {{"room", "r"}});
  client(1).request("join", {{"room", "r"}});
  const std::string gone = client(0).id();
  client(0).raw().send_frame(0x8, close_body(1000));
  client(0).raw().read_until_close_frame();  // its hooks and leaving ran before this reply
  EXPECT_EQ(hub().room("r").members(), std::vector<std::string>{client(1).id()});
  EXPECT_TRUE(hub().rooms_of(gone).empty());
  hub().room("r").emit("after", 1);
  EXPECT_EQ(client(1).next()["type"], "after");
}

}  // namespace
}  // namespace wisp::test
