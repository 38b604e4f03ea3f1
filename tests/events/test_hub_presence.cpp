// Presence in hub rooms on one node: who is there with the info attached to each (its metadata),
// and with presence_events the joins and leaves (a disconnect too) pushed to the other members;
// without the setting nothing is pushed.
#include <gtest/gtest.h>

#include <algorithm>

#include "hub_client.hpp"

namespace wisp::test {
namespace {

// Once the hub answered a ping, everything sent to the client before the ping came first.
json next_before_pong(HubClient& client) {
  client.send("ping", nullptr, "sync");
  return client.next();
}

TEST(HubPresence, ARoomListsItsMembersWithTheirInfo) {
  HubServer server([](App&, Hub&) {});
  Hub& hub = server.hub();
  HubClient ada(server.port()), bob(server.port());
  ASSERT_TRUE(hub.set_metadata(ada.id(), "name", "ada"));
  hub.join(ada.id(), "lobby");
  hub.join(bob.id(), "lobby");
  std::vector<Presence> here = hub.room("lobby").presence();
  std::stable_partition(here.begin(), here.end(),
                        [&](const Presence& entry) { return entry.client_id == ada.id(); });
  ASSERT_EQ(here.size(), 2u);
  EXPECT_EQ(here[0].client_id, ada.id());
  EXPECT_EQ(here[0].info, json({{"name", "ada"}}));
  EXPECT_EQ(here[1].info, json::object());
  const auto others = hub.room("lobby").except(ada.id()).presence();
  ASSERT_EQ(others.size(), 1u);
  EXPECT_EQ(others[0].client_id, bob.id());

  Awaited<std::vector<Presence>> everywhere;
  hub.room("lobby").presence([&](std::vector<Presence> all) { everywhere.set(std::move(all)); });
  EXPECT_EQ(everywhere.get().size(), 2u);
  EXPECT_TRUE(hub.room("empty").presence().empty());

  EXPECT_EQ(hub.room("lobby").presence_count(), 2u);
  Awaited<std::size_t> counted;
  hub.room("lobby").except(ada.id()).presence_count([&](std::size_t n) { counted.set(n); });
  EXPECT_EQ(counted.get(), 1u);
}

TEST(HubPresence, JoinsAndLeavesArePushedToTheOtherMembers) {
  HubSettings settings;
  settings.presence_events = true;
  settings.builtin_rooms = true;
  HubServer server([](App&, Hub&) {}, settings);
  Hub& hub = server.hub();
  HubClient ada(server.port());
  auto bob = server.connect();
  ASSERT_EQ(ada.request("join", {{"room", "lobby"}})["data"]["members"], 1);
  hub.set_metadata(bob->id(), "name", "bob");
  ASSERT_EQ(bob->request("join", {{"room", "lobby"}})["data"]["members"], 2);
  EXPECT_EQ(
      ada.next(),
      json({{"type", "presence_join"},
            {"data", {{"room", "lobby"}, {"client_id", bob->id()}, {"info", {{"name", "bob"}}}}}}));
  EXPECT_EQ(next_before_pong(*bob)["type"], "pong");  // nothing for the joiner itself

  ASSERT_EQ(bob->request("leave", {{"room", "lobby"}})["data"]["members"], 1);
  EXPECT_EQ(ada.next(), json({{"type", "presence_leave"},
                              {"data", {{"room", "lobby"}, {"client_id", bob->id()}}}}));
  bob->request("join", {{"room", "lobby"}});
  EXPECT_EQ(ada.next()["type"], "presence_join");
  const std::string bob_id = bob->id();
  bob.reset();  // a disconnect leaves every room
  EXPECT_EQ(ada.next(), json({{"type", "presence_leave"},
                              {"data", {{"room", "lobby"}, {"client_id", bob_id}}}}));
}

TEST(HubPresence, WithoutTheSettingNothingIsPushed) {
  HubSettings settings;
  settings.builtin_rooms = true;
  HubServer server([](App&, Hub&) {}, settings);
  HubClient ada(server.port()), bob(server.port());
  ada.request("join", {{"room", "lobby"}});
  bob.request("join", {{"room", "lobby"}});
  EXPECT_EQ(next_before_pong(ada)["type"], "pong");
}

}  // namespace
}  // namespace wisp::test
