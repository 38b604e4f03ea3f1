// The hub's calls by id and its cluster-wide questions on one node with two loops (the local
// broker): a join or leave by id for a client on another loop subscribes or unsubscribes it
// there; the asynchronous counts and lists answer as the node-local ones, on the calling loop
// thread from a handler and at once from a plain thread.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <future>
#include <thread>

#include "hub_client.hpp"

namespace wisp::test {
namespace {

std::size_t this_thread_tag() { return std::hash<std::thread::id>{}(std::this_thread::get_id()); }

// Each client is told its loop in its welcome. "pull"/"push" {"id","room"} join / leave another
// client by id; "say" {"room"} emits to the room but the sender; "ask" {"room"} runs every
// asynchronous question, each callback sending "answer" {"what","value","same"} to the asker.
void setup(App&, Hub& hub) {
  hub.on_connect([](ConnectEvent&) -> json { return {{"loop", this_thread_tag()}}; });
  hub.on("pull", [&hub](Event& ev) -> json {
    return {{"joined",
             hub.join(ev.data()["id"].get<std::string>(), ev.data()["room"].get<std::string>())}};
  });
  hub.on("push", [&hub](Event& ev) -> json {
    return {{"left",
             hub.leave(ev.data()["id"].get<std::string>(), ev.data()["room"].get<std::string>())}};
  });
  hub.on("say", [&hub](Event& ev) -> json {
    hub.room(ev.data()["room"]).except(ev.client_id()).emit("said", ev.data());
    return "sent";
  });
  hub.on("ask", [&hub](Event& ev) -> json {
    const std::string asker(ev.client_id());
    auto answer = [&hub, asker, tag = this_thread_tag()](std::string what) {
      return [&hub, asker, tag, what](json value) {
        hub.send_to(asker, "answer",
                    {{"what", what}, {"value", value}, {"same", tag == this_thread_tag()}});
      };
    };
    Room room = hub.room(ev.data()["room"]);
    hub.client_count([a = answer("clients")](std::size_t n) { a(n); });
    room.size([a = answer("size")](std::size_t n) { a(n); });
    room.members([a = answer("members")](std::vector<std::string> ids) { a(ids); });
    hub.rooms([a = answer("rooms")](std::vector<std::string> names) { a(names); });
    hub.is_connected(asker, [a = answer("connected")](bool yes) { a(yes); });
    return "asked";
  });
  hub.on("marker", [](Event&) -> json { return "marker"; });
}

class HubClusterTest : public ::testing::Test {
 protected:
  HubClusterTest() : server_(setup, {}, {.threads = 2}) {
    // Connections are spread over the loops by the kernel: take the first two on different ones.
    first_ = server_.connect();
    for (int i = 0; i < 64 && !second_; ++i) {
      auto next = server_.connect();
      if (next->welcome()["data"]["loop"] != first_->welcome()["data"]["loop"])
        second_ = std::move(next);
      else
        others_.push_back(std::move(next));
    }
  }
  HubServer server_;
  std::unique_ptr<HubClient> first_, second_;
  std::vector<std::unique_ptr<HubClient>> others_;
};

TEST_F(HubClusterTest, JoinAndLeaveByIdForAClientOnAnotherLoop) {
  ASSERT_TRUE(second_) << "every connection landed on one loop";
  HubClient& a = *first_;
  HubClient& b = *second_;
  EXPECT_EQ(a.request("pull", {{"id", b.id()}, {"room", "red"}})["data"], json({{"joined", true}}));
  EXPECT_EQ(a.request("pull", {{"id", b.id()}, {"room", "red"}})["data"],
            json({{"joined", false}}));
  EXPECT_EQ(server_.hub().room("red").members(), std::vector<std::string>{b.id()});
  // b's loop subscribed it before the emit that a's loop posted after the join.
  EXPECT_EQ(a.request("say", {{"room", "red"}, {"n", 1}})["data"], "sent");
  EXPECT_EQ(b.next(), json({{"type", "said"}, {"data", {{"room", "red"}, {"n", 1}}}}));

  EXPECT_EQ(a.request("push", {{"id", b.id()}, {"room", "red"}})["data"], json({{"left", true}}));
  EXPECT_EQ(server_.hub().room("red").size(), 0u);
  EXPECT_EQ(a.request("say", {{"room", "red"}, {"n", 2}})["data"], "sent");
  EXPECT_EQ(b.request("marker", {}, "m")["data"], "marker");  // the second emit never came
}

TEST_F(HubClusterTest, AsyncQuestionsAnswerOnTheCallingLoopThread) {
  ASSERT_TRUE(second_);
  HubClient& a = *first_;
  server_.hub().join(second_->id(), "blue");
  a.send("ask", {{"room", "blue"}}, 1);
  const std::size_t clients = 2 + others_.size();
  const json expected[] = {
      {{"what", "clients"}, {"value", clients}, {"same", true}},
      {{"what", "size"}, {"value", 1}, {"same", true}},
      {{"what", "members"}, {"value", {second_->id()}}, {"same", true}},
      {{"what", "rooms"}, {"value", {"blue"}}, {"same", true}},
      {{"what", "connected"}, {"value", true}, {"same", true}},
  };
  for (const json& answer : expected)
    EXPECT_EQ(a.next(), json({{"type", "answer"}, {"data", answer}}));
  EXPECT_EQ(a.next()["data"], "asked");
}

TEST_F(HubClusterTest, AsyncQuestionsFromAPlainThread) {
  ASSERT_TRUE(second_);
  Hub& hub = server_.hub();
  hub.join(first_->id(), "green");
  hub.join(second_->id(), "green");
  std::promise<std::size_t> clients, size;
  std::promise<std::vector<std::string>> members, rooms;
  std::promise<bool> connected, gone;
  hub.client_count([&](std::size_t n) { clients.set_value(n); });
  hub.room("green").except(first_->id()).size([&](std::size_t n) { size.set_value(n); });
  hub.room("green").members([&](std::vector<std::string> ids) { members.set_value(ids); });
  hub.rooms([&](std::vector<std::string> names) { rooms.set_value(names); });
  hub.is_connected(second_->id(), [&](bool yes) { connected.set_value(yes); });
  hub.is_connected("nobody", [&](bool yes) { gone.set_value(yes); });
  auto ready = [](auto& promise) {
    auto future = promise.get_future();
    if (future.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
      throw std::runtime_error("no answer");
    return future.get();
  };
  EXPECT_EQ(ready(clients), 2 + others_.size());
  EXPECT_EQ(ready(size), 1u);
  auto ids = ready(members);
  std::sort(ids.begin(), ids.end());
  std::vector<std::string> both{first_->id(), second_->id()};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(ids, both);
  EXPECT_EQ(ready(rooms), std::vector<std::string>{"green"});
  EXPECT_TRUE(ready(connected));
  EXPECT_FALSE(ready(gone));
}

}  // namespace
}  // namespace wisp::test
