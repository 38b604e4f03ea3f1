// Topic publishes across nodes through a real redis-server: who gets what, once, in order.
#include <thread>

#include "cluster.hpp"

namespace wisp::test {
namespace {

class RedisTopics : public ::testing::Test {
 protected:
  RedisServer redis;
  RedisClient client = redis.client();
  // Room for a burst of 20,000 publishes in flight at once (the order test).
  RedisOptions options = [this] {
    RedisOptions options = test_options(redis.url());
    options.max_pending = 100000;
    return options;
  }();
  BrokerNode a{"a", options};
  BrokerNode b{"b", options};
  BrokerNode c{"c", options};
  void SetUp() override { ASSERT_TRUE(all_up({&a, &b, &c})); }
};

TEST_F(RedisTopics, APublishReachesTheSubscribedTopicsOfOtherNodesOnly) {
  b.broker->topic_active("news");
  c.broker->topic_active("sport");
  ASSERT_TRUE(subscribed(client, "wisp:t:news", 1));
  ASSERT_TRUE(subscribed(client, "wisp:t:sport", 1));

  a.broker->publish(text("sport", "goal"));  // c only
  a.broker->publish(text("news", "extra"));  // b only
  a.broker->publish({"news", "\x01\x02", OpCode::Binary, false, "client-7"});

  ASSERT_TRUE(b.node.wait_deliveries(2));
  ASSERT_TRUE(c.node.wait_deliveries(1));
  auto at_b = b.node.deliveries();
  ASSERT_EQ(at_b.size(), 2u);
  EXPECT_EQ(at_b[0].topic, "news");
  EXPECT_EQ(at_b[0].message, "extra");
  EXPECT_EQ(at_b[0].op, OpCode::Text);
  EXPECT_TRUE(at_b[0].compress);
  EXPECT_EQ(at_b[0].except_client, "");
  EXPECT_EQ(at_b[1].message, "\x01\x02");
  EXPECT_EQ(at_b[1].op, OpCode::Binary);
  EXPECT_FALSE(at_b[1].compress);
  EXPECT_EQ(at_b[1].except_client, "client-7");  // left out on whatever node it is
  auto at_c = c.node.deliveries();
  ASSERT_EQ(at_c.size(), 1u);
  EXPECT_EQ(at_c[0].message, "goal");
  // The publisher's own subscribers were served at once, by the publishing call.
  EXPECT_EQ(a.node.deliveries().size(), 3u);
  EXPECT_TRUE(eventually([&] { return a.status().published == 3; }));
  EXPECT_EQ(b.status().received, 2u);
  EXPECT_EQ(c.status().received, 1u);
}

TEST_F(RedisTopics, ANodeDoesNotGetItsOwnPublishTwice) {
  a.broker->topic_active("news");
  b.broker->topic_active("news");
  ASSERT_TRUE(subscribed(client, "wisp:t:news", 2));
  a.broker->publish(text("news", "from a"));
  ASSERT_TRUE(eventually([&] { return a.status().published == 1; }));
  // b's publish is PUBLISHed after a's: had a's come back to a, it would arrive before this one.
  b.broker->publish(text("news", "from b"));
  ASSERT_TRUE(a.node.wait_deliveries(2));
  ASSERT_TRUE(b.node.wait_deliveries(2));
  ASSERT_TRUE(eventually([&] { return b.status().published == 1; }));
  auto at_a = a.node.deliveries();
  ASSERT_EQ(at_a.size(), 2u);
  EXPECT_EQ(at_a[0].message, "from a");
  EXPECT_EQ(at_a[1].message, "from b");
  EXPECT_EQ(a.status().received, 1u);
}

TEST_F(RedisTopics, AnIdleTopicIsUnsubscribed) {
  b.broker->topic_active("news");
  b.broker->topic_active("marker");
  ASSERT_TRUE(subscribed(client, "wisp:t:news", 1));
  b.broker->topic_idle("news");
  ASSERT_TRUE(subscribed(client, "wisp:t:news", 0));
  a.broker->publish(text("news", "nobody there"));
  a.broker->publish(text("marker", "after"));
  ASSERT_TRUE(b.node.wait_deliveries(1));
  ASSERT_TRUE(eventually([&] { return a.status().published == 2; }));
  auto at_b = b.node.deliveries();
  ASSERT_EQ(at_b.size(), 1u);
  EXPECT_EQ(at_b[0].message, "after");
}

TEST_F(RedisTopics, EachPublishersMessagesArriveInOrderAtEveryNode) {
  constexpr int count = 5000;  // per publisher: 10,000 in all
  b.broker->topic_active("seq");
  c.broker->topic_active("seq");
  ASSERT_TRUE(subscribed(client, "wisp:t:seq", 2));
  // From two threads that are not a's loop (the posted path), each numbering its own messages.
  auto publish_all = [&](std::string who) {
    for (int i = 0; i < count; ++i) {
      std::string message = who + std::to_string(i);
      a.broker->publish(text("seq", message));
    }
  };
  std::thread first(publish_all, "x");
  std::thread second(publish_all, "y");
  first.join();
  second.join();
  for (BrokerNode* node : {&b, &c}) {
    ASSERT_TRUE(node->node.wait_deliveries(2 * count, 30s))
        << node->node.deliveries().size() << " delivered, received " << node->status().received
        << ", reconnects " << node->status().reconnects << "; a: published " << a.status().published
        << ", lost " << a.status().lost << ", pending " << a.status().pending << ", reconnects "
        << a.status().reconnects;
    int next_x = 0, next_y = 0;
    for (const auto& delivery : node->node.deliveries()) {
      int& next = delivery.message[0] == 'x' ? next_x : next_y;
      ASSERT_EQ(delivery.message.substr(1), std::to_string(next));
      ++next;
    }
    EXPECT_EQ(next_x, count);
    EXPECT_EQ(next_y, count);
  }
  auto status = a.status();
  EXPECT_EQ(status.published, 2u * count);
  EXPECT_EQ(status.lost, 0u);
  EXPECT_EQ(status.pending, 0u);
}

TEST(RedisShardedTopics, SpublishReachesSsubscribedNodes) {
  RedisServer redis;
  RedisClient client = redis.client();
  RedisOptions options = test_options(redis.url());
  options.sharded_pubsub = true;
  BrokerNode a{"a", options};
  BrokerNode b{"b", options};
  ASSERT_TRUE(all_up({&a, &b}));
  b.broker->topic_active("news");
  ASSERT_TRUE(subscribed(client, "wisp:t:news", 0));  // not a plain subscription
  ASSERT_TRUE(eventually([&] { return client.subscribers("wisp:t:news", true) == 1; }));
  a.broker->publish(text("news", "sharded"));
  ASSERT_TRUE(b.node.wait_deliveries(1));
  EXPECT_EQ(b.node.deliveries()[0].message, "sharded");
  b.broker->topic_idle("news");
  ASSERT_TRUE(eventually([&] { return client.subscribers("wisp:t:news", true) == 0; }));
}

}  // namespace
}  // namespace wisp::test
