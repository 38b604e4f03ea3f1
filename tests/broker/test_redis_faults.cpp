// The Redis broker when Redis is not there, goes away mid-traffic, or sends what no wisp node
// wrote; and the ways of reaching it (password, db number, unix socket).
#include <algorithm>
#include <atomic>
#include <thread>

#include "broker/broker_wire.hpp"
#include "cluster.hpp"

namespace wisp::test {
namespace {

TEST(RedisFaults, RedisNeverThereLocalDeliveryGoesOnAndLossesAreCounted) {
  std::string url;
  {
    RedisServer gone;  // its port, free again once it stopped
    url = gone.url();
  }
  RedisOptions options = test_options(url);
  options.max_pending = 5;
  BrokerNode a{"a", options};
  for (int i = 0; i < 8; ++i) a.broker->publish(text("news", std::to_string(i)));
  EXPECT_EQ(a.node.deliveries().size(), 8u);  // the local subscribers, at once
  ASSERT_TRUE(eventually([&] { return a.status().reconnects >= 3; }));
  ASSERT_TRUE(eventually([&] { return a.status().lost == 3; }));
  auto status = a.status();
  EXPECT_FALSE(status.up);
  EXPECT_EQ(status.pending, 5u);
  EXPECT_EQ(status.published, 0u);
  EXPECT_EQ(status.kind, "redis");
  EXPECT_EQ(status.node_id, "a");
}

// A node starts while Redis does not answer (stopped, its connections open): its messages wait,
// in order, and go out when Redis answers again (the subscriber's subscription stayed).
TEST(RedisFaults, WhatWaitedForRedisGoesOutInOrderWhenItAnswers) {
  RedisServer redis;
  RedisClient client = redis.client();
  BrokerNode b{"b", test_options(redis.url())};
  ASSERT_TRUE(all_up({&b}));
  b.broker->topic_active("news");
  ASSERT_TRUE(subscribed(client, "wisp:t:news", 1));
  redis.pause();
  BrokerNode a{"a", test_options(redis.url())};
  a.broker->publish(text("news", "one"));
  a.broker->publish(text("news", "two"));
  ASSERT_TRUE(eventually([&] { return a.status().pending == 2; }));
  EXPECT_FALSE(a.status().up);
  redis.resume();
  ASSERT_TRUE(b.node.wait_deliveries(2));
  EXPECT_EQ(b.node.deliveries()[0].message, "one");
  EXPECT_EQ(b.node.deliveries()[1].message, "two");
  EXPECT_TRUE(eventually([&] { return a.status().published == 2 && a.status().pending == 0; }));
}

// The ids of Redis' clients in subscribe mode (CLIENT LIST TYPE pubsub).
std::vector<std::string> pubsub_clients(RedisClient& client) {
  std::string list = client.command({"CLIENT", "LIST", "TYPE", "pubsub"}).value_or("");
  std::vector<std::string> ids;
  for (auto at = list.find("id="); at != std::string::npos; at = list.find("\nid=", at + 1))
    ids.push_back(list.substr(list.find('=', at) + 1, list.find(' ', at) - list.find('=', at) - 1));
  return ids;
}

// A Redis that stops answering for longer than node_timeout, its connections open: both of the
// broker's connections are given up and made again (the subscriber's too: a dead subscriber
// connection would leave the node deaf), and delivery goes on once it answers.
TEST(RedisFaults, ARedisThatStopsAnsweringIsLeftAndReconnected) {
  RedisServer redis;
  RedisClient client = redis.client();
  BrokerNode a{"a", test_options(redis.url())};
  BrokerNode b{"b", test_options(redis.url())};
  ASSERT_TRUE(all_up({&a, &b}));
  b.broker->topic_active("news");
  ASSERT_TRUE(subscribed(client, "wisp:t:news", 1));
  auto before = pubsub_clients(client);
  ASSERT_EQ(before.size(), 2u);
  redis.pause();
  ASSERT_TRUE(eventually([&] { return !a.status().up && !b.status().up; }));
  redis.resume();
  RedisClient after_pause = redis.client();
  ASSERT_TRUE(all_up({&a, &b}));
  ASSERT_TRUE(eventually([&] {
    auto now = pubsub_clients(after_pause);
    return now.size() == 2 && std::find(now.begin(), now.end(), before[0]) == now.end() &&
           std::find(now.begin(), now.end(), before[1]) == now.end();
  }));
  ASSERT_TRUE(subscribed(after_pause, "wisp:t:news", 1));
  a.broker->publish(text("news", "after the pause"));
  ASSERT_TRUE(b.node.wait_deliveries(1));
  EXPECT_EQ(b.node.deliveries()[0].message, "after the pause");
  EXPECT_EQ(b.status().malformed, 0u);  // the PINGs' "pong" pushes are expected
}

// A publisher keeps publishing while Redis is SIGKILLed and started again, empty, on its port.
TEST(RedisFaults, RedisKilledMidTrafficTheBrokersReconnectAndResume) {
  RedisServer redis;
  RedisOptions options = test_options(redis.url());
  options.max_pending = 50;
  BrokerNode a{"a", options};
  BrokerNode b{"b", options};
  ASSERT_TRUE(all_up({&a, &b}));
  b.node.hold("bob");
  b.broker->client_added("bob");
  b.broker->topic_active("seq");
  {
    RedisClient client = redis.client();
    ASSERT_TRUE(subscribed(client, "wisp:t:seq", 1));
  }
  std::atomic<int> sent{0};
  std::atomic<bool> done{false};
  std::thread publisher([&] {
    while (!done) {
      a.broker->publish(text("seq", std::to_string(sent.load())));
      ++sent;
      std::this_thread::sleep_for(1ms);  // a steady stream, not a measure of anything
    }
  });
  ASSERT_TRUE(b.node.wait_deliveries(20));
  redis.kill();
  ASSERT_TRUE(eventually([&] { return !a.status().up && !b.status().up; }));
  ASSERT_TRUE(eventually([&] { return a.status().lost > 0; }));  // past max_pending
  redis.start();
  ASSERT_TRUE(all_up({&a, &b}));
  RedisClient client = redis.client();
  // Subscriptions and the directory are written again into the empty Redis.
  ASSERT_TRUE(subscribed(client, "wisp:t:seq", 1));
  ASSERT_TRUE(eventually([&] { return client.command({"HGET", "wisp:clients", "bob"}) == "b"; }));
  ASSERT_TRUE(eventually([&] {
    return client.command({"ZSCORE", "wisp:nodes", "a"}).has_value();
  }));
  std::size_t before = b.node.deliveries().size();
  ASSERT_TRUE(b.node.wait_deliveries(before + 20));  // remote delivery resumed
  done = true;
  publisher.join();
  // Every publish was delivered here at once, and is either acknowledged by Redis or lost.
  ASSERT_TRUE(eventually([&] { return a.status().pending == 0; }));
  auto status = a.status();
  EXPECT_EQ(a.node.deliveries().size(), static_cast<std::size_t>(sent.load()));
  EXPECT_EQ(status.published + status.lost, static_cast<std::uint64_t>(sent.load()));
  EXPECT_GT(status.reconnects, 0u);
  // b got a subset of them, in order, each once.
  ASSERT_TRUE(eventually([&] { return b.status().received == b.node.deliveries().size(); }));
  int last = -1;
  for (const auto& delivery : b.node.deliveries()) {
    int number = std::stoi(delivery.message);
    ASSERT_GT(number, last);
    last = number;
  }
  EXPECT_LE(b.status().received, status.published);
}

TEST(RedisFaults, AMalformedMessageIsCountedAndIgnored) {
  RedisServer redis;
  RedisClient client = redis.client();
  BrokerNode b{"b", test_options(redis.url())};
  ASSERT_TRUE(all_up({&b}));
  b.broker->topic_active("news");
  ASSERT_TRUE(subscribed(client, "wisp:t:news", 1));
  client.command({"PUBLISH", "wisp:t:news", "not a wisp message"});
  client.command({"PUBLISH", "wisp:n:b", std::string("W\x01T\x01\x00\x00", 6)});  // cut short
  client.command({"PUBLISH", "wisp:all", std::string("W\x09", 2)});               // a later version
  // Well formed, but a question has no business on a topic channel.
  client.command({"PUBLISH", "wisp:t:news", broker::wire::encode_question("x", 1, "count", "")});
  client.command({"PUBLISH", "wisp:t:news",
                  broker::wire::encode_topic("x", OpCode::Text, false, "", "valid")});
  ASSERT_TRUE(b.node.wait_deliveries(1));
  EXPECT_EQ(b.node.deliveries().size(), 1u);
  EXPECT_EQ(b.node.deliveries()[0].message, "valid");
  EXPECT_TRUE(b.node.commands().empty());
  EXPECT_EQ(b.status().malformed, 4u);
  EXPECT_EQ(b.status().received, 1u);
  EXPECT_TRUE(b.status().up);
}

// Two nodes through the given URL: a publish from one reaches the other.
void expect_two_nodes_talk(const std::string& url, RedisClient& client) {
  BrokerNode a{"a", test_options(url)};
  BrokerNode b{"b", test_options(url)};
  ASSERT_TRUE(all_up({&a, &b}));
  b.broker->topic_active("news");
  ASSERT_TRUE(subscribed(client, "wisp:t:news", 1));
  a.broker->publish(text("news", "hello"));
  ASSERT_TRUE(b.node.wait_deliveries(1));
  EXPECT_EQ(b.node.deliveries()[0].message, "hello");
  b.node.hold("bob");
  b.broker->client_added("bob");
  ASSERT_TRUE(eventually([&] { return client.command({"HGET", "wisp:clients", "bob"}) == "b"; }));
}

TEST(RedisFaults, AuthWithAPassword) {
  RedisServer redis({.password = "s3cret"});
  RedisClient client = redis.client();
  expect_two_nodes_talk(redis.url(), client);
}

TEST(RedisFaults, AuthWithAUserAndPassword) {
  RedisServer redis({.password = "s3cret"});
  RedisClient client = redis.client();
  client.command({"ACL", "SETUSER", "wisp", "on", ">pw", "~*", "&*", "+@all"});
  expect_two_nodes_talk("redis://wisp:pw@127.0.0.1:" + std::to_string(redis.port()), client);
}

TEST(RedisFaults, AWrongPasswordKeepsTheBrokerDownAndRetrying) {
  RedisServer redis({.password = "s3cret"});
  BrokerNode a{"a", test_options("redis://:wrong@127.0.0.1:" + std::to_string(redis.port()))};
  ASSERT_TRUE(eventually([&] { return a.status().reconnects >= 2; }));
  EXPECT_FALSE(a.status().up);
}

TEST(RedisFaults, ADatabaseNumber) {
  RedisServer redis;
  RedisClient client = redis.client();
  client.command({"SELECT", "3"});
  expect_two_nodes_talk(redis.url(3), client);
  RedisClient db0 = redis.client();
  EXPECT_EQ(db0.integer({"EXISTS", "wisp:clients"}), 0);
}

TEST(RedisFaults, AUnixSocket) {
  RedisServer redis({.password = {}, .unix_socket = true});
  RedisClient client(redis.unix_path());
  client.command({"SELECT", "2"});
  expect_two_nodes_talk("unix://" + redis.unix_path() + "?db=2", client);
}

}  // namespace
}  // namespace wisp::test
