// Ordering and no duplicates under load: one publisher on one node, a subscriber on each of three
// nodes sharing one Redis; each gets every message once, in the order published.
#include "cluster_app.hpp"

namespace wisp::test {
namespace {

TEST(ClusterAppOrder, EverySubscriberGetsEveryMessageOnceInOrder) {
  constexpr int kMessages = 5000;
  RedisServer redis;
  Cluster cluster(3, redis);
  PsClient c0(cluster[0].port()), c1(cluster[1].port()), c2(cluster[2].port());
  App& publisher = cluster[0].app();
  settle([&] { publisher.publish("t", "probe"); }, [&] { publisher.publish("t", "marker"); },
         {reader(c0), reader(c1), reader(c2)});

  std::thread publishing([&] {
    for (int i = 0; i < kMessages; ++i) publisher.publish("t", "m" + std::to_string(i));
    publisher.publish("t", "end");
  });
  int wrong = 0;
  for (PsClient* client : {&c0, &c1, &c2}) {
    for (int i = 0; i < kMessages; ++i)
      if (client->next() != "m" + std::to_string(i) && ++wrong < 5)
        ADD_FAILURE() << "message " << i << " out of order or missing";
    EXPECT_EQ(client->next(), "end");  // and no duplicate before it
  }
  publishing.join();
  EXPECT_EQ(wrong, 0);
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    const Metrics metrics = cluster[i].app().metrics();
    EXPECT_EQ(metrics.broker.lost, 0u) << "node " << i;
    EXPECT_EQ(metrics.dropped, 0u) << "node " << i;
  }
}

}  // namespace
}  // namespace wisp::test
