// The App's and the Hub's public calls across nodes (README "Node-local and cluster-wide calls"):
// three or two Apps in this process sharing one real redis-server, real clients on each node.
#include <algorithm>

#include "cluster_app.hpp"

namespace wisp::test {
namespace {

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

TEST(ClusterApp, PublishReachesEveryNodeAndWsPublishEveryoneButTheSender) {
  RedisServer redis;
  Cluster cluster(3, redis);
  PsClient c0(cluster[0].port()), c1(cluster[1].port()), c2(cluster[2].port());
  App& app1 = cluster[1].app();
  settle([&] { app1.publish("t", "probe"); }, [&] { app1.publish("t", "marker"); },
         {reader(c0), reader(c1), reader(c2)});

  app1.publish("t", "hello");
  EXPECT_EQ(c0.next(), "hello");
  EXPECT_EQ(c1.next(), "hello");
  EXPECT_EQ(c2.next(), "hello");

  c0.send("from c0");  // the route ws.publish'es it
  EXPECT_EQ(c1.next(), "from c0");
  EXPECT_EQ(c2.next(), "from c0");
  app1.publish("t", "after");
  EXPECT_EQ(c0.next(), "after");  // c0 did not get its own message
  EXPECT_EQ(c1.next(), "after");
  EXPECT_EQ(c2.next(), "after");

  for (std::size_t i = 0; i < cluster.size(); ++i) {
    EXPECT_EQ(cluster[i].app().subscriber_count("t"), 1u) << "node-local, node " << i;
    EXPECT_EQ(answer<std::size_t>([&](auto done) { cluster[i].app().subscriber_count("t", done); }),
              3u)
        << "cluster-wide, node " << i;
  }
}

TEST(ClusterApp, CallsByIdReachAClientOnAnotherNode) {
  RedisServer redis;
  Cluster cluster(2, redis);
  PsClient c0(cluster[0].port()), c1(cluster[1].port());
  ASSERT_TRUE(cluster.counts(2));
  App& app = cluster[0].app();

  EXPECT_FALSE(app.send_to(c1.id(), "direct"));  // node-local answer: not here, forwarded
  EXPECT_EQ(c1.next(), "direct");
  EXPECT_EQ(answer<bool>([&](auto done) { app.send_to(c1.id(), "async", OpCode::Text, done); }),
            true);
  EXPECT_EQ(c1.next(), "async");
  EXPECT_EQ(answer<bool>([&](auto done) { app.send_to("nobody", "lost", OpCode::Text, done); }),
            false);

  EXPECT_EQ(answer<bool>([&](auto done) { app.is_connected(c1.id(), done); }), true);
  EXPECT_EQ(answer<bool>([&](auto done) { app.is_connected("nobody", done); }), false);
  EXPECT_FALSE(app.is_connected(c1.id()));  // node-local
  auto info = answer<std::optional<ClientInfo>>([&](auto done) { app.client(c1.id(), done); });
  ASSERT_TRUE(info.has_value() && info->has_value());
  EXPECT_EQ((*info)->id, c1.id());
  EXPECT_EQ((*info)->route, "/ps");
  auto ids = answer<std::vector<std::string>>([&](auto done) { app.client_ids(done); });
  ASSERT_TRUE(ids);
  EXPECT_EQ(ids->size(), 2u);
  EXPECT_TRUE(contains(*ids, c0.id()) && contains(*ids, c1.id()));
  EXPECT_EQ(app.client_count(), 1u);  // node-local

  EXPECT_EQ(app.broadcast("everyone"), 1u);  // addressed on this node
  EXPECT_EQ(c0.next(), "everyone");
  EXPECT_EQ(c1.next(), "everyone");
  EXPECT_EQ(app.broadcast_to({c0.id(), c1.id(), "nobody"}, "listed"), 1u);
  EXPECT_EQ(c0.next(), "listed");
  EXPECT_EQ(c1.next(), "listed");

  EXPECT_EQ(answer<bool>([&](auto done) { app.disconnect(c1.id(), 4001, "bye", done); }), true);
  auto close = c1.raw().read_until_close_frame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 4001);
  EXPECT_EQ(close->close_reason(), "bye");
  EXPECT_TRUE(cluster.counts(1));
  // The synchronous form: node-local false, the other node closes it.
  PsClient c2(cluster[1].port());
  ASSERT_TRUE(cluster.counts(2));
  EXPECT_FALSE(app.disconnect(c2.id(), 4002, "again"));
  close = c2.raw().read_until_close_frame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 4002);
}

TEST(ClusterApp, HubRoomsAndCallsByIdAcrossNodes) {
  RedisServer redis;
  Cluster cluster(2, redis);
  HubClient h0(cluster[0].port()), h1(cluster[1].port());
  Hub& hub = cluster[0].hub();
  ASSERT_TRUE(eventually(
      [&] { return answer<std::size_t>([&](auto done) { hub.client_count(done); }) == 2u; }));

  EXPECT_TRUE(hub.join(h0.id(), "r"));
  EXPECT_FALSE(hub.join(h1.id(), "r"));  // node-local answer; h1's node joins it
  Room room = hub.room("r");
  ASSERT_TRUE(
      eventually([&] { return answer<std::size_t>([&](auto done) { room.size(done); }) == 2u; }));
  EXPECT_EQ(room.size(), 1u);  // node-local
  auto members = answer<std::vector<std::string>>([&](auto done) { room.members(done); });
  ASSERT_TRUE(members);
  EXPECT_EQ(members->size(), 2u);
  EXPECT_TRUE(contains(*members, h0.id()) && contains(*members, h1.id()));
  auto rooms = answer<std::vector<std::string>>([&](auto done) { hub.rooms(done); });
  ASSERT_TRUE(rooms);
  EXPECT_TRUE(contains(*rooms, "r"));

  settle([&] { room.emit("probe", {}); }, [&] { room.emit("marker", {}); },
         {reader(h0), reader(h1)});
  room.emit("news", {{"n", 1}});
  json got = h1.next();
  EXPECT_EQ(got["type"], "news");
  EXPECT_EQ(got["data"]["n"], 1);
  EXPECT_EQ(h0.next()["type"], "news");
  room.except(h0.id()).emit("not for h0", {});
  EXPECT_EQ(h1.next()["type"], "not for h0");
  hub.send_to(h0.id(), "next", {});
  EXPECT_EQ(h0.next()["type"], "next");  // not "not for h0"

  EXPECT_FALSE(hub.send_to(h1.id(), "direct", {{"x", 2}}));
  got = h1.next();
  EXPECT_EQ(got["type"], "direct");
  EXPECT_EQ(got["data"]["x"], 2);
  hub.broadcast("all", {});
  EXPECT_EQ(h0.next()["type"], "all");
  EXPECT_EQ(h1.next()["type"], "all");
  EXPECT_EQ(hub.broadcast_to({h0.id(), h1.id()}, "listed", {}), 1u);
  EXPECT_EQ(h0.next()["type"], "listed");
  EXPECT_EQ(h1.next()["type"], "listed");
  EXPECT_EQ(answer<bool>([&](auto done) { hub.is_connected(h1.id(), done); }), true);
  EXPECT_FALSE(hub.is_connected(h1.id()));  // node-local

  EXPECT_FALSE(hub.leave(h1.id(), "r"));
  EXPECT_TRUE(
      eventually([&] { return answer<std::size_t>([&](auto done) { room.size(done); }) == 1u; }));

  EXPECT_FALSE(hub.disconnect(h1.id(), 4002, "bye"));  // the code crosses to h1's node
  auto close = h1.raw().read_until_close_frame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 4002);
  EXPECT_EQ(close->close_reason(), "bye");
  EXPECT_TRUE(eventually(
      [&] { return answer<std::size_t>([&](auto done) { hub.client_count(done); }) == 1u; }));
}

}  // namespace
}  // namespace wisp::test
