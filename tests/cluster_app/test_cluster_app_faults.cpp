// Faults with Apps sharing one Redis: Redis killed mid-traffic and restarted on its port (local
// delivery never stops, remote delivery resumes, the metrics say what was lost and that the broker
// is up again); a node stopping gracefully and a node's process killed outright (its clients leave
// the cluster-wide counts within node_timeout and a heartbeat, plus the gather's wait for the dead
// node); a Redis that is never there (the App serves local traffic and reports the broker down).
#include <sys/socket.h>

#include <atomic>
#include <cstdlib>
#include <future>

#include "child_node.hpp"
#include "cluster_app.hpp"

namespace wisp::test {
namespace {

std::size_t cluster_clients(Node& node) {
  return answer<std::size_t>([&](auto done) { node.app().client_count(done); }).value_or(~0u);
}

// "m<i>" -> i; -1 for anything else.
long sequence_of(const std::string& message) {
  return message.size() > 1 && message[0] == 'm' ? std::stol(message.substr(1)) : -1;
}

TEST(ClusterAppFaults, RedisKilledMidTrafficLocalDeliveryGoesOnRemoteResumes) {
  RedisServer redis;
  RedisOptions options = cluster_options(redis.url());
  options.max_pending = 50;  // so that the messages published while Redis is down overflow it
  Cluster cluster(2, options);
  PsClient local(cluster[0].port()), remote(cluster[1].port());
  App& app = cluster[0].app();
  settle([&] { app.publish("t", "probe"); }, [&] { app.publish("t", "marker"); },
         {reader(local), reader(remote)});

  std::atomic<long> published{0};
  std::jthread publisher([&](std::stop_token stop) {
    for (long i = 0; !stop.stop_requested(); ++i) {
      app.publish("t", "m" + std::to_string(i));
      published = i + 1;
      std::this_thread::sleep_for(1ms);  // pacing the traffic, not synchronisation
    }
  });
  long local_next = 0;  // the local subscriber gets every message, in order
  auto read_local_until = [&](long last) {
    while (local_next <= last) {
      ASSERT_EQ(local.next(), "m" + std::to_string(local_next));
      ++local_next;
    }
  };
  long remote_last = sequence_of(remote.next());  // remote delivery works before the fault
  ASSERT_GE(remote_last, 0);

  redis.kill();
  ASSERT_TRUE(eventually([&] { return !cluster[0].up() && !cluster[1].up(); }));
  read_local_until(published + 100);  // while Redis is down
  ASSERT_FALSE(HasFatalFailure());
  ASSERT_FALSE(cluster[0].up());

  redis.start();
  ASSERT_TRUE(eventually([&] { return cluster[0].up() && cluster[1].up(); }));
  const long after_restart = published;
  for (;;) {  // remote delivery resumes; what arrives is in order and never twice
    long i = sequence_of(remote.next());
    ASSERT_GT(i, remote_last);
    remote_last = i;
    if (i >= after_restart) break;
  }
  publisher.request_stop();
  publisher.join();
  app.publish("t", "end");
  read_local_until(published - 1);
  ASSERT_FALSE(HasFatalFailure());
  EXPECT_EQ(local.next(), "end");
  for (std::string message; (message = remote.next()) != "end";) {
    long i = sequence_of(message);
    ASSERT_GT(i, remote_last);
    remote_last = i;
  }

  EXPECT_TRUE(eventually([&] { return app.metrics().broker.pending == 0; }));
  const BrokerMetrics broker = app.metrics().broker;
  EXPECT_TRUE(broker.up);
  EXPECT_GE(broker.reconnects, 1u);
  EXPECT_GE(broker.lost, 1u);  // at least what overflowed max_pending while Redis was down
  const std::string metrics = http_get(cluster[0].port(), "/metrics");
  EXPECT_NE(metrics.find("\nwisp_broker_up 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("\nwisp_broker_lost_total " + std::to_string(broker.lost) + "\n"),
            std::string::npos)
      << metrics;
}

TEST(ClusterAppFaults, ANodeStoppedGracefullyLeavesTheCounts) {
  RedisServer redis;
  Cluster cluster(2, redis);
  PsClient c0(cluster[0].port()), c1(cluster[1].port()), c2(cluster[1].port());
  ASSERT_TRUE(cluster.counts(3));
  auto stopped = std::async(std::launch::async, [&] { cluster[1].stop(); });
  for (PsClient* client : {&c1, &c2}) {  // closed with 1001; they answer and hang up
    auto close = client->raw().read_until_close_frame();
    ASSERT_TRUE(close);
    EXPECT_EQ(close->close_code(), 1001);
    client->raw().send_frame(0x8, close_body(1001));
    ::shutdown(client->raw().fd(), SHUT_WR);
  }
  ASSERT_EQ(stopped.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(eventually([&] { return cluster_clients(cluster[0]) == 1u; }, 5s));
  EXPECT_EQ(answer<bool>([&](auto done) { cluster[0].app().is_connected(c1.id(), done); }), false);
}

TEST(ClusterAppFaults, ANodeWhoseProcessIsKilledLeavesTheCounts) {
  RedisServer redis;
  ChildNode child(cluster_options(redis.url()));
  Cluster cluster(1, redis);
  PsClient c0(cluster[0].port()), c1(child.port()), c2(child.port());
  ASSERT_TRUE(cluster.counts(3));
  EXPECT_EQ(answer<bool>([&](auto done) { cluster[0].app().is_connected(c1.id(), done); }), true);
  child.kill();
  EXPECT_TRUE(eventually([&] { return cluster_clients(cluster[0]) == 1u; }, 5s));
  EXPECT_EQ(answer<bool>([&](auto done) { cluster[0].app().is_connected(c1.id(), done); }), false);
  EXPECT_EQ(
      answer<bool>([&](auto done) { cluster[0].app().send_to(c2.id(), "x", OpCode::Text, done); }),
      false);
}

// A node that hangs (SIGSTOP), its connections open: the gathers leave it out after
// gather_timeout, and a message for its client is no longer routed to it once its heartbeat is
// node_timeout old.
TEST(ClusterAppFaults, ANodeThatHangsLeavesTheCountsAndTheRoutes) {
  RedisServer redis;
  ChildNode child(cluster_options(redis.url()));
  Cluster cluster(1, redis);
  PsClient c0(cluster[0].port()), c1(child.port());
  ASSERT_TRUE(cluster.counts(2));
  child.hang();
  EXPECT_TRUE(eventually([&] { return cluster_clients(cluster[0]) == 1u; }, 5s));
  EXPECT_TRUE(eventually(
      [&] {
        return answer<bool>([&](auto done) {
                 cluster[0].app().send_to(c1.id(), "x", OpCode::Text, done);
               }) == false;
      },
      5s));
}

TEST(ClusterAppFaults, ARedisNeverThereTheAppServesLocallyAndReportsTheBrokerDown) {
  std::string url;
  {
    RedisServer gone;  // a free port with no Redis on it
    url = gone.url();
  }
  Node node(cluster_options(url));
  PsClient c0(node.port()), c1(node.port());
  c0.send("local");  // ws.publish: the other local subscriber gets it
  EXPECT_EQ(c1.next(), "local");
  EXPECT_TRUE(node.app().send_to(c0.id(), "direct"));
  EXPECT_EQ(c0.next(), "direct");
  EXPECT_EQ(node.app().client_count(), 2u);

  EXPECT_TRUE(eventually([&] { return node.app().metrics().broker.reconnects >= 2; }));
  EXPECT_FALSE(node.up());
  const std::string health = http_get(node.port(), "/healthz");
  EXPECT_NE(health.find("\"kind\":\"redis\""), std::string::npos) << health;
  EXPECT_NE(health.find("\"up\":false"), std::string::npos) << health;
  const std::string metrics = http_get(node.port(), "/metrics");
  EXPECT_NE(metrics.find("\nwisp_broker_up 0\n"), std::string::npos) << metrics;
  EXPECT_EQ(metrics.find("\nwisp_broker_reconnects_total 0\n"), std::string::npos) << metrics;
}

}  // namespace
}  // namespace wisp::test
