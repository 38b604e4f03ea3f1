// Commands to a client id on another node, to every node, and questions every node answers,
// through a real redis-server; the directory forgets a node that stops.
#include <future>

#include "cluster.hpp"

namespace wisp::test {
namespace {

class RedisDirectory : public ::testing::Test {
 protected:
  RedisServer redis;
  RedisClient client = redis.client();
  BrokerNode a{"a", test_options(redis.url())};
  BrokerNode b{"b", test_options(redis.url())};
  BrokerNode c{"c", test_options(redis.url())};
  void SetUp() override { ASSERT_TRUE(all_up({&a, &b, &c})); }

  // The node holds the client, and has told the broker so.
  static void connect(BrokerNode& node, const std::string& client_id) {
    node.node.hold(client_id);
    node.broker->client_added(client_id);
  }
  bool registered(const std::string& client_id, const std::string& node) {
    return eventually([&] { return client.command({"HGET", "wisp:clients", client_id}) == node; });
  }
  // to_client's answer, waited for at most 10 s (nullopt: no answer).
  static std::optional<bool> send_to(BrokerNode& from, const std::string& client_id,
                                     const std::string& payload) {
    std::promise<bool> delivered;
    from.broker->to_client(client_id, "send", payload, [&](bool yes) { delivered.set_value(yes); });
    auto future = delivered.get_future();
    if (future.wait_for(10s) != std::future_status::ready) return std::nullopt;
    return future.get();
  }
  struct Answers {
    std::vector<std::string> answers;
    bool complete = false;
  };
  static std::optional<Answers> ask(BrokerNode& from, std::chrono::milliseconds timeout) {
    std::promise<Answers> gathered;
    from.broker->gather("count", "room-1", timeout,
                        [&](std::vector<std::string> answers, bool complete) {
                          gathered.set_value({std::move(answers), complete});
                        });
    auto future = gathered.get_future();
    if (future.wait_for(10s) != std::future_status::ready) return std::nullopt;
    return future.get();
  }
};

TEST_F(RedisDirectory, ToClientRunsTheCommandOnTheNodeHoldingTheId) {
  connect(b, "bob");
  ASSERT_TRUE(registered("bob", "b"));
  EXPECT_EQ(send_to(a, "bob", "hello bob"), true);
  ASSERT_TRUE(b.node.wait_commands(1));
  auto at_b = b.node.commands();
  ASSERT_EQ(at_b.size(), 1u);
  EXPECT_EQ(at_b[0].kind, "send");
  EXPECT_EQ(at_b[0].payload, "hello bob");
  EXPECT_TRUE(a.node.commands().empty());
  EXPECT_TRUE(c.node.commands().empty());
}

TEST_F(RedisDirectory, ToClientOfALocalIdRunsHereAtOnce) {
  a.node.hold("alice");
  EXPECT_EQ(send_to(a, "alice", "hi"), true);
  ASSERT_EQ(a.node.commands().size(), 1u);
  EXPECT_EQ(a.status().published, 0u);  // Redis was not needed
}

TEST_F(RedisDirectory, ToClientOfAnUnknownIdIsNotDelivered) {
  EXPECT_EQ(send_to(a, "nobody", "hi"), false);
}

TEST_F(RedisDirectory, ARemovedClientIsNoLongerReachable) {
  connect(b, "bob");
  ASSERT_TRUE(registered("bob", "b"));
  b.broker->client_removed("bob");
  ASSERT_TRUE(eventually([&] { return !client.command({"HGET", "wisp:clients", "bob"}); }));
  EXPECT_EQ(client.integer({"SCARD", "wisp:node-clients:b"}), 0);
  EXPECT_EQ(send_to(a, "bob", "hi"), false);
}

TEST_F(RedisDirectory, ToAllRunsOnEveryNodeOnce) {
  a.broker->to_all("announce", "maintenance");
  ASSERT_EQ(a.node.commands().size(), 1u);  // here at once
  ASSERT_TRUE(b.node.wait_commands(1));
  ASSERT_TRUE(c.node.wait_commands(1));
  // A later command from b to every node: a sees it after its own would have come back.
  b.broker->to_all("marker", "");
  ASSERT_TRUE(a.node.wait_commands(2));
  auto at_a = a.node.commands();
  ASSERT_EQ(at_a.size(), 2u);
  EXPECT_EQ(at_a[0].kind, "announce");
  EXPECT_EQ(at_a[1].kind, "marker");
  EXPECT_EQ(b.node.commands()[0].payload, "maintenance");
}

TEST_F(RedisDirectory, GatherCollectsEveryNodesAnswerThisNodesFirst) {
  auto gathered = ask(a, 5s);
  ASSERT_TRUE(gathered);
  EXPECT_TRUE(gathered->complete);
  ASSERT_EQ(gathered->answers.size(), 3u);
  EXPECT_EQ(gathered->answers[0], "a:count:room-1");
  std::sort(gathered->answers.begin() + 1, gathered->answers.end());
  EXPECT_EQ(gathered->answers[1], "b:count:room-1");
  EXPECT_EQ(gathered->answers[2], "c:count:room-1");
}

TEST_F(RedisDirectory, GatherIsIncompleteWhenANodeDoesNotAnswer) {
  // A subscriber of the all-nodes channel that never answers: a wedged node.
  RedisClient silent = redis.client();
  silent.command({"SUBSCRIBE", "wisp:all"});
  ASSERT_TRUE(subscribed(client, "wisp:all", 4));
  auto gathered = ask(a, 300ms);
  ASSERT_TRUE(gathered);
  EXPECT_FALSE(gathered->complete);
  EXPECT_EQ(gathered->answers.size(), 3u);
  EXPECT_EQ(gathered->answers[0], "a:count:room-1");
}

TEST_F(RedisDirectory, ADeadNodeIsReapedAfterTheNodeTimeout) {
  connect(b, "bob");
  ASSERT_TRUE(registered("bob", "b"));
  EXPECT_EQ(send_to(a, "bob", "while alive"), true);
  b.freeze();
  // Within node_timeout (and a heartbeat) the other nodes' heartbeats forget b and its clients.
  ASSERT_TRUE(eventually([&] { return !client.command({"HGET", "wisp:clients", "bob"}); }));
  EXPECT_FALSE(client.command({"ZSCORE", "wisp:nodes", "b"}));
  EXPECT_EQ(client.integer({"EXISTS", "wisp:node-clients:b"}), 0);
  EXPECT_TRUE(client.command({"ZSCORE", "wisp:nodes", "a"}));
  EXPECT_EQ(send_to(a, "bob", "after death"), false);
}

TEST(RedisDirectoryStop, AGracefulStopLeavesTheDirectoryAtOnce) {
  RedisServer redis;
  RedisClient client = redis.client();
  RedisOptions options = test_options(redis.url());
  options.node_timeout = 1h;  // what leaves the directory here cannot be the reaper
  BrokerNode c{"c", options};
  ASSERT_TRUE(all_up({&c}));
  c.node.hold("carol");
  c.broker->client_added("carol");
  ASSERT_TRUE(eventually([&] { return client.command({"HGET", "wisp:clients", "carol"}) == "c"; }));
  c.on_loop([&] { c.broker->stop(); });
  ASSERT_TRUE(eventually([&] { return !client.command({"HGET", "wisp:clients", "carol"}); }));
  EXPECT_FALSE(client.command({"ZSCORE", "wisp:nodes", "c"}));
  EXPECT_FALSE(c.status().up);
}

}  // namespace
}  // namespace wisp::test
