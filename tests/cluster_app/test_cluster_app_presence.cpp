// Presence across nodes sharing one real Redis: a room's members on both nodes listed with their
// info and counted from either node, from Redis (the room's hash holds them); joins and leaves
// pushed to members on the other node; a node whose process is killed: its clients leave the
// list and the count, and the members still there get presence_leave ("node lost"), within the
// presence ttl; Redis restarted empty: the nodes write their members again.
#include <set>

#include "child_node.hpp"
#include "cluster_app.hpp"

namespace wisp::test {
namespace {

std::vector<Presence> presence_of(Node& node, std::string_view room) {
  return answer<std::vector<Presence>>([&](auto done) { node.hub().room(room).presence(done); })
      .value_or(std::vector<Presence>{{"no answer", nullptr}});
}

std::size_t count_of(Node& node, std::string_view room) {
  return answer<std::size_t>([&](auto done) { node.hub().room(room).presence_count(done); })
      .value_or(9999);
}

// The room's hash in Redis (broker/redis_presence_scripts.hpp), with the default prefix.
constexpr std::string_view lobby_key = "wisp:presence:hub:/ws#lobby";

std::set<std::string> ids_of(const std::vector<Presence>& entries) {
  std::set<std::string> ids;
  for (const Presence& entry : entries) ids.insert(entry.client_id);
  return ids;
}

TEST(ClusterAppPresence, MembersOnEveryNodeAreListedWithTheirInfoAndCounted) {
  RedisServer redis;
  Cluster cluster(2, redis);
  HubClient ada(cluster[0].port()), bob(cluster[1].port());
  cluster[1].hub().set_metadata(bob.id(), "name", "bob");
  cluster[0].hub().join(ada.id(), "lobby");
  cluster[1].hub().join(bob.id(), "lobby");
  // Each node writes its own joins to Redis: another node reads them once they are there.
  ASSERT_TRUE(eventually([&] { return redis.client().integer({"HLEN", lobby_key}) == 2; }));
  for (std::size_t i = 0; i < 2; ++i) {
    const std::vector<Presence> all = presence_of(cluster[i], "lobby");
    EXPECT_EQ(ids_of(all), std::set<std::string>({ada.id(), bob.id()}));
    for (const Presence& entry : all)
      EXPECT_EQ(entry.info, entry.client_id == bob.id() ? json({{"name", "bob"}}) : json::object());
    EXPECT_EQ(answer<std::size_t>([&](auto done) { cluster[i].hub().room("lobby").size(done); }),
              2u);
    EXPECT_EQ(count_of(cluster[i], "lobby"), 2u);
  }
  EXPECT_EQ(cluster[0].hub().room("lobby").presence().size(), 1u);  // node-local
  EXPECT_EQ(redis.client().integer({"HLEN", lobby_key}), 2);
  EXPECT_EQ(answer<std::size_t>([&](auto done) {
              cluster[0].hub().room("lobby").except(bob.id()).presence_count(done);
            }),
            1u);
  cluster[1].hub().disconnect(bob.id());  // a disconnect leaves the room in Redis too
  EXPECT_TRUE(eventually([&] { return count_of(cluster[0], "lobby") == 1; }));
  EXPECT_EQ(ids_of(presence_of(cluster[0], "lobby")), std::set<std::string>{ada.id()});
}

TEST(ClusterAppPresence, JoinsAndLeavesReachMembersOnTheOtherNode) {
  RedisServer redis;
  HubSettings settings;
  settings.presence_events = true;
  Cluster cluster(2, cluster_options(redis.url()), settings);
  HubClient ada(cluster[0].port()), bob(cluster[1].port());
  cluster[0].hub().join(ada.id(), "lobby");
  Room lobby = cluster[1].hub().room("lobby");
  settle([&] { lobby.emit("probe", nullptr); }, [&] { lobby.emit("marker", nullptr); },
         {reader(ada)});  // ada's node listens to the room in Redis now
  cluster[1].hub().join(bob.id(), "lobby");
  cluster[1].hub().leave(bob.id(), "lobby");
  const json event = ada.next();
  EXPECT_EQ(event["type"], "presence_join");
  EXPECT_EQ(event["data"]["client_id"], bob.id());
  EXPECT_EQ(ada.next(), json({{"type", "presence_leave"},
                              {"data", {{"room", "lobby"}, {"client_id", bob.id()}}}}));
}

TEST(ClusterAppPresence, AKilledNodesClientsDropOutOfTheList) {
  RedisServer redis;
  ChildNode child(cluster_options(redis.url()));
  Cluster cluster(1, redis);
  HubClient here(cluster[0].port()), there(child.port());
  ASSERT_TRUE(cluster.counts(2));
  cluster[0].hub().join(here.id(), "lobby");
  cluster[0].hub().join(there.id(), "lobby");  // done by the child node, which holds it
  ASSERT_TRUE(eventually([&] { return presence_of(cluster[0], "lobby").size() == 2; }));
  child.kill();
  EXPECT_TRUE(eventually(
      [&] { return ids_of(presence_of(cluster[0], "lobby")) == std::set<std::string>{here.id()}; },
      5s));
}

TEST(ClusterAppPresence, ADeadNodesClientsLeaveWithNodeLost) {
  RedisServer redis;
  ChildNode child(cluster_options(redis.url()));
  HubSettings settings;
  settings.presence_events = true;
  Cluster cluster(1, cluster_options(redis.url()), settings);
  HubClient here(cluster[0].port()), there(child.port());
  ASSERT_TRUE(cluster.counts(2));
  cluster[0].hub().join(here.id(), "lobby");
  cluster[0].hub().join(there.id(), "lobby");  // done by the child node, which holds it
  ASSERT_TRUE(eventually([&] { return count_of(cluster[0], "lobby") == 2; }));
  child.kill();
  // Within the presence ttl and a heartbeat (the client's read gives up after 5 s).
  json event = here.next();
  while (event["type"] == "presence_join") event = here.next();
  EXPECT_EQ(
      event,
      json({{"type", "presence_leave"},
            {"data", {{"room", "lobby"}, {"client_id", there.id()}, {"reason", "node lost"}}}}));
  EXPECT_EQ(count_of(cluster[0], "lobby"), 1u);
  EXPECT_EQ(ids_of(presence_of(cluster[0], "lobby")), std::set<std::string>{here.id()});
  EXPECT_EQ(redis.client().integer({"HLEN", lobby_key}), 1);
}

TEST(ClusterAppPresence, RedisRestartedEmptyGetsEveryNodesMembersAgain) {
  RedisServer redis;
  Cluster cluster(2, redis);
  HubClient ada(cluster[0].port()), bob(cluster[1].port());
  cluster[0].hub().join(ada.id(), "lobby");
  cluster[1].hub().join(bob.id(), "lobby");
  ASSERT_TRUE(eventually([&] { return redis.client().integer({"HLEN", lobby_key}) == 2; }));
  redis.kill();
  redis.start();  // empty: no persistence
  ASSERT_TRUE(eventually([&] { return cluster[0].up() && cluster[1].up(); }));
  EXPECT_TRUE(eventually([&] { return redis.client().integer({"HLEN", lobby_key}) == 2; }));
  EXPECT_EQ(count_of(cluster[1], "lobby"), 2u);
  EXPECT_EQ(ids_of(presence_of(cluster[1], "lobby")), std::set<std::string>({ada.id(), bob.id()}));
}

}  // namespace
}  // namespace wisp::test
