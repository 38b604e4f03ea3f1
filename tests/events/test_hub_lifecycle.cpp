// The hub's lifecycle on the real server: welcome and connect hooks (merging, rejecting),
// disconnect hooks, register, blueprints, a background task that broadcasts, shutdown.
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include "hub_client.hpp"

namespace wisp::test {
namespace {

// Client ids from the query (?user=name): the tests know who is who.
AppOptions ids_from_query() {
  return {.client_id = [](const Request& request) { return request.query("user").value_or(""); }};
}

TEST(HubLifecycle, TheWelcomeCarriesTheClientIdAndEveryConnectHooksData) {
  HubServer server([](App&, Hub& hub) {
    hub.on_connect([](ConnectEvent& ev) -> json {
      return {{"greeting", "hi"}, {"seen", ev.client_id}};
    });
    hub.on_connect([](ConnectEvent&) -> json { return {{"server_time", 123}}; });
    hub.on_connect([](ConnectEvent&) -> json { return nullptr; });  // nothing to add
  });
  HubClient client(server.port());
  const json& data = client.welcome()["data"];
  EXPECT_EQ(data["greeting"], "hi");
  EXPECT_EQ(data["seen"], client.id());
  EXPECT_EQ(data["server_time"], 123);
  EXPECT_EQ(client.id().size(), 22u);
}

TEST(HubLifecycle, NoWelcomeWhenTurnedOff) {
  HubServer server([](App&, Hub& hub) { hub.on("echo", [](Event& ev) { return ev.data(); }); },
                   {.welcome = false});
  HubClient client(server.port(), "/ws", false);
  EXPECT_EQ(client.request("echo", 1)["type"], "response");  // the first message is the answer
}

TEST(HubLifecycle, ARejectedClientIsClosedWith1008AndNoDisconnectHookRuns) {
  std::atomic<int> disconnects = 0;
  HubServer server(
      [&](App&, Hub& hub) {
        hub.on_connect([](ConnectEvent& ev) -> json {
          if (ev.client_id == "mallory") ev.reject("not welcome here");
          return nullptr;
        });
        hub.on_disconnect([&](DisconnectEvent&) { ++disconnects; });
      },
      {}, ids_from_query());
  {
    HubClient mallory(server.port(), "/ws?user=mallory", false);
    const auto close = mallory.raw().read_frame();
    ASSERT_TRUE(close.has_value());
    EXPECT_EQ(close->opcode, 0x8);
    EXPECT_EQ(close->close_code(), 1008);
    EXPECT_EQ(close->close_reason(), "not welcome here");
  }
  EXPECT_FALSE(server.hub().is_connected("mallory"));
  HubClient alice(server.port(), "/ws?user=alice");
  alice.raw().send_frame(0x8, close_body(1000));
  alice.raw().read_until_close_frame();  // the hooks ran before the server's close reply left
  EXPECT_EQ(disconnects, 1);
}

TEST(HubLifecycle, DisconnectHooksGetCodeAndReasonAndSeeTheRoomsStill) {
  Awaited<std::tuple<std::string, int, std::string, std::vector<std::string>>> gone;
  HubServer server([&](App&, Hub& hub) {
    hub.on("enter", [](Event& ev) { ev.join("lobby"); });
    hub.on_disconnect([&](DisconnectEvent& ev) {
      gone.set(
          {std::string(ev.client_id), ev.code, std::string(ev.reason), hub.rooms_of(ev.client_id)});
    });
  });
  HubClient client(server.port());
  client.request("enter", {});
  client.raw().send_frame(0x8, close_body(4001, "bye now"));
  const auto [id, code, reason, rooms] = gone.get();
  EXPECT_EQ(id, client.id());
  EXPECT_EQ(code, 4001);
  EXPECT_EQ(reason, "bye now");
  EXPECT_EQ(rooms, std::vector<std::string>{"lobby"});
  client.raw().read_until_close_frame();
  EXPECT_EQ(server.hub().room("lobby").size(), 0u);  // left automatically, after the hooks
  EXPECT_FALSE(server.hub().is_connected(client.id()));
}

TEST(HubLifecycle, AThrowingConnectHookClosesWith1011) {
  HubServer server([](App&, Hub& hub) {
    hub.on_connect([](ConnectEvent&) -> json { throw std::runtime_error("database down"); });
  });
  HubClient client(server.port(), "/ws", false);
  const auto close = client.raw().read_frame();
  ASSERT_TRUE(close.has_value());
  EXPECT_EQ(close->close_code(), 1011);
}

TEST(HubLifecycle, RegisterMarksTheClientAndItsHandlerAnswers) {
  HubServer server([](App&, Hub& hub) {
    hub.on_register([](Event& ev) -> json {
      return {{"status", "registered"}, {"username", ev.data().value("username", "guest")}};
    });
  });
  HubClient client(server.port());
  EXPECT_EQ(client.request("register", {{"username", "ada"}}, 1)["data"],
            json({{"status", "registered"}, {"username", "ada"}}));
  const auto info = server.hub().client(client.id());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->metadata.at("registered"), "true");
}

TEST(HubLifecycle, RegisterWithoutAHandlerIsAnsweredByTheHub) {
  HubServer server([](App&, Hub&) {});
  HubClient client(server.port());
  EXPECT_EQ(client.request("register", {}, 1)["data"],
            json({{"registered", true}, {"client_id", client.id()}}));
}

TEST(HubLifecycle, BlueprintsAddHandlersAndHooksInMountOrder) {
  Blueprint chat("chat");
  chat.on("send_message",
          [](Event&) -> json {
            return {{"received", true}};
          })
      .on("join_room", [](Event& ev) -> json {
        return {{"joined", ev.join("general")}};
      });
  Blueprint users("users");
  users.on_connect([](ConnectEvent&) -> json { return {{"welcome", true}, {"order", "users"}}; });
  HubServer server([&](App&, Hub& hub) {
    hub.on_connect([](ConnectEvent&) -> json { return {{"order", "hub"}}; });
    hub.mount(chat).mount(users);
  });
  HubClient client(server.port());
  EXPECT_EQ(client.welcome()["data"]["welcome"], true);
  EXPECT_EQ(client.welcome()["data"]["order"], "users");  // the later hook's value wins
  EXPECT_EQ(client.request("send_message", {})["data"], json({{"received", true}}));
  EXPECT_EQ(client.request("join_room", {})["data"], json({{"joined", true}}));
  EXPECT_EQ(server.hub().room("general").size(), 1u);
}

TEST(HubLifecycle, ATypeRegisteredTwiceIsALogicErrorAndMountIsAllOrNothing) {
  App app;
  Hub& hub = app.hub("/ws");
  hub.on("a", [](Event&) {});
  EXPECT_THROW(hub.on("a", [](Event&) {}), std::logic_error);
  Blueprint clash("clash");
  clash.on("b", [](Event&) {}).on("a", [](Event&) {});
  EXPECT_THROW(hub.mount(clash), std::logic_error);
  hub.on("b", [](Event&) {});  // "b" did not go in with the failed mount
  Blueprint twice("twice");
  twice.on("c", [](Event&) {}).on("c", [](Event&) {});
  EXPECT_THROW(hub.mount(twice), std::logic_error);
  EXPECT_THROW(app.hub("/ws"), std::invalid_argument);  // the path is taken
  Hub& rooms = app.hub("/rooms", {.builtin_rooms = true});
  EXPECT_THROW(rooms.on("join", [](Event&) {}), std::logic_error);
}

TEST(HubLifecycle, RegisteringAfterRunIsALogicError) {
  HubServer server([](App&, Hub&) {});
  HubClient client(server.port());  // the app runs
  EXPECT_THROW(server.hub().on("late", [](Event&) {}), std::logic_error);
  EXPECT_THROW(server.hub().on_connect([](ConnectEvent&) -> json { return nullptr; }),
               std::logic_error);
  EXPECT_THROW(server.hub().mount(Blueprint("late")), std::logic_error);
}

TEST(HubLifecycle, ABackgroundTaskBroadcastsToEveryClient) {
  HubServer server([](App& app, Hub& hub) {
    app.every(std::chrono::milliseconds(10), [&hub, n = 0]() mutable {
      hub.broadcast({{"tick", ++n}});
      hub.broadcast("system_status", {{"clients", hub.client_count()}});
    });
  });
  HubClient a(server.port());
  HubClient b(server.port());
  for (HubClient* client : {&a, &b}) {
    const json first = client->next();
    EXPECT_EQ(first["type"], "broadcast");  // HubSettings::broadcast_type
    EXPECT_TRUE(first["data"]["tick"].is_number());
    EXPECT_EQ(client->next()["type"], "system_status");
  }
}

TEST(HubLifecycle, ShutdownSendsItsMessageThenCloses) {
  HubServer server([](App&, Hub&) {});
  HubClient client(server.port());
  std::thread([&] {
    server.hub().shutdown({{"message", "maintenance"}, {"reconnect", false}});
  }).join();
  EXPECT_EQ(client.next(), json({{"type", "shutdown"},
                                 {"data", {{"message", "maintenance"}, {"reconnect", false}}}}));
  const auto close = client.raw().read_frame();
  ASSERT_TRUE(close.has_value());
  EXPECT_EQ(close->close_code(), 1001);
}

}  // namespace
}  // namespace wisp::test
