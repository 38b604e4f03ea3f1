// Acks across nodes sharing one real Redis: a node sends with an ack to a client on another node
// and the answer comes back to its callback (late ones counted there, not passed on); the client
// leaving there completes it as "disconnected"; a room emit with members on both nodes gathers
// every answer; the node holding the client stopping, or its process killed, ends the wait within
// its timeout.
#include <sys/socket.h>

#include <future>
#include <set>

#include "child_node.hpp"
#include "cluster_app.hpp"

namespace wisp::test {
namespace {

void answer(HubClient& client, const json& message, const json& data) {
  client.send_text(json{{"type", "ack"}, {"id", message.at("ack")}, {"data", data}}.dump());
}

AckHandler catcher(Awaited<Ack>& caught) {
  return [&caught](Ack ack) { caught.set(std::move(ack)); };
}

TEST(ClusterAppAcks, AnAnswerOnAnotherNodeReachesTheAskingNode) {
  RedisServer redis;
  Cluster cluster(2, redis);
  HubClient client(cluster[1].port());
  ASSERT_TRUE(cluster.counts(1));
  Awaited<Ack> caught;
  EXPECT_FALSE(cluster[0].hub().send_to(client.id(), "question", "where?", catcher(caught)));
  const json message = client.next();
  EXPECT_EQ(message["data"], "where?");
  ASSERT_TRUE(message["ack"].is_string()) << message;  // names the asking node
  answer(client, message, "here");
  const Ack ack = caught.get();
  EXPECT_TRUE(ack.ok()) << ack.error;
  EXPECT_EQ(ack.client_id, client.id());
  EXPECT_EQ(ack.data, "here");
  EXPECT_EQ(cluster[0].hub().ack_stats().answered, 1u);
  EXPECT_EQ(cluster[1].hub().ack_stats().owed, 0u);
}

TEST(ClusterAppAcks, ALateAnswerFromAnotherNodeIsCountedByTheAsker) {
  RedisServer redis;
  Cluster cluster(2, redis);
  HubClient client(cluster[1].port());
  ASSERT_TRUE(cluster.counts(1));
  Awaited<Ack> caught;
  cluster[0].hub().send_to(client.id(), "question", nullptr, catcher(caught), 100ms);
  const json message = client.next();
  EXPECT_EQ(caught.get().error, ack_error::timeout);
  answer(client, message, "late");
  EXPECT_TRUE(eventually([&] { return cluster[0].hub().ack_stats().late == 1; }));
  EXPECT_EQ(cluster[0].hub().ack_stats().answered, 0u);
}

TEST(ClusterAppAcks, TheClientLeavingOnItsNodeCompletesTheAskersWait) {
  RedisServer redis;
  Cluster cluster(2, redis);
  auto client = std::make_unique<HubClient>(cluster[1].port());
  ASSERT_TRUE(cluster.counts(1));
  Awaited<Ack> caught;
  cluster[0].hub().send_to(client->id(), "question", nullptr, catcher(caught));
  EXPECT_EQ(client->next()["type"], "question");
  client.reset();
  EXPECT_EQ(caught.get().error, ack_error::disconnected);
  EXPECT_EQ(cluster[0].hub().ack_stats().disconnected, 1u);
}

TEST(ClusterAppAcks, ARoomEmitGathersTheAnswersOfMembersOnEveryNode) {
  RedisServer redis;
  Cluster cluster(2, redis);
  HubClient here(cluster[0].port()), there(cluster[1].port());
  cluster[0].hub().join(here.id(), "r");
  cluster[1].hub().join(there.id(), "r");
  Awaited<RoomAcks> caught;
  cluster[0].hub().room("r").emit("vote", "?", [&](RoomAcks acks) { caught.set(std::move(acks)); });
  answer(there, there.next(), "there");
  answer(here, here.next(), "here");
  const RoomAcks acks = caught.get();
  EXPECT_TRUE(acks.complete);
  ASSERT_EQ(acks.answers.size(), 2u);
  std::set<json> answers;
  for (const Ack& ack : acks.answers) answers.insert(ack.data);
  EXPECT_EQ(answers, std::set<json>({"here", "there"}));
}

TEST(ClusterAppAcks, TheClientsNodeStoppingEndsTheWaitWithinItsTimeout) {
  RedisServer redis;
  Cluster cluster(2, redis);
  HubClient client(cluster[1].port());
  ASSERT_TRUE(cluster.counts(1));
  Awaited<Ack> caught;
  cluster[0].hub().send_to(client.id(), "question", nullptr, catcher(caught), 1s);
  EXPECT_EQ(client.next()["type"], "question");
  auto stopped = std::async(std::launch::async, [&] { cluster[1].stop(); });
  auto close = client.raw().read_until_close_frame();  // closed with 1001: it answers
  ASSERT_TRUE(close);
  client.raw().send_frame(0x8, close_body(1001));
  ::shutdown(client.raw().fd(), SHUT_WR);
  ASSERT_EQ(stopped.wait_for(10s), std::future_status::ready);
  const std::string error = caught.get().error;  // its disconnect, or else the timeout
  EXPECT_TRUE(error == ack_error::disconnected || error == ack_error::timeout) << error;
  EXPECT_EQ(cluster[0].hub().ack_stats().waiting, 0u);
}

TEST(ClusterAppAcks, TheClientsNodeKilledEndsTheWaitByItsTimeout) {
  RedisServer redis;
  ChildNode child(cluster_options(redis.url()));
  Cluster cluster(1, redis);
  HubClient client(child.port());
  ASSERT_TRUE(cluster.counts(1));
  Awaited<Ack> caught;
  cluster[0].hub().send_to(client.id(), "question", nullptr, catcher(caught), 500ms);
  EXPECT_EQ(client.next()["type"], "question");
  child.kill();
  EXPECT_EQ(caught.get().error, ack_error::timeout);
  EXPECT_EQ(cluster[0].hub().ack_stats().timed_out, 1u);
}

}  // namespace
}  // namespace wisp::test
