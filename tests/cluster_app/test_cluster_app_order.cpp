// Ordering and no duplicates under load: one publisher on one node, a subscriber on each of three
// nodes sharing one Redis; each gets every message once, in the order published. Rooms with
// history in Redis, and topics with history (AppOptions::topic_history) in Redis: a client that
// switches nodes mid-stream recovers exactly what it missed, a Redis restarted empty makes a new
// epoch, a Redis down is told (joins, subscriptions) and counted (emits, publishes).
#include <atomic>

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

// Rooms "h:*" keep history, in Redis.
HubSettings history_hub(std::size_t size = 5000) {
  return {.builtin_rooms = true, .history = {.rooms = {{.prefix = "h:", .size = size}}}};
}

json since(std::uint64_t offset, std::string_view epoch) {
  return {{"offset", offset}, {"epoch", epoch}};
}

// Two publishers, one on each node, while a client drops mid-stream and comes back on the OTHER
// node each time with its position: the offsets it sees, recovered and live, are 1, 2, 3... to
// the last, with no gap and no repeat. Publishers keep at most 20 messages ahead of the reader,
// so that rejoins land among live publishes.
TEST(ClusterAppHistory, AClientSwitchingNodesMidStreamSeesAnExactGapFreeSequence) {
  constexpr std::uint64_t kEach = 400;
  RedisServer redis;
  Cluster cluster(2, cluster_options(redis.url()), history_hub());
  auto reader = std::make_unique<HubClient>(cluster[0].port());
  const json first = join_with(*reader, {{"room", "h:live"}}).answer;
  const std::string epoch = first["epoch"];
  ASSERT_EQ(first["offset"], 0);
  std::atomic<std::uint64_t> seen{0}, emitted{0};
  auto publisher = [&](Hub& hub) {
    return std::jthread([&](std::stop_token stop) {
      for (std::uint64_t n = 0; n < kEach && !stop.stop_requested(); ++n) {
        while (seen.load() + 20 < emitted.load() && !stop.stop_requested())
          std::this_thread::yield();
        ++emitted;
        hub.room("h:live").emit("news", n);
      }
    });
  };
  std::jthread on0 = publisher(cluster[0].hub()), on1 = publisher(cluster[1].hub());
  std::uint64_t last = 0, next_drop = 30;
  int drops = 0;
  auto saw = [&](const json& message) {
    if (message["offset"] != last + 1 || message["epoch"] != epoch) return false;
    seen = last = message["offset"];
    return true;
  };
  while (last < 2 * kEach) {
    ASSERT_TRUE(saw(reader->next())) << "after " << last << ", " << drops << " drops";
    if (last < next_drop) continue;
    next_drop = last + 30;
    ++drops;
    reader = std::make_unique<HubClient>(cluster[drops % 2].port());  // dropped without a close
    const Joined joined = join_with(*reader, {{"room", "h:live"}, {"since", since(last, epoch)}});
    ASSERT_EQ(joined.answer["recovered"], true) << joined.answer.dump();
    for (const json& missed : joined.before)
      ASSERT_TRUE(saw(missed)) << "recovered after " << last << ", " << drops << " drops";
    ASSERT_EQ(joined.answer["offset"], last);
  }
  EXPECT_GE(drops, 20);
  EXPECT_EQ(reader->request("join", {{"room", "h:live"}})["data"]["offset"], 2 * kEach);
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    EXPECT_EQ(cluster[i].app().metrics().broker.lost, 0u) << "node " << i;
    EXPECT_EQ(cluster[i].hub().history_stats().appended, kEach) << "node " << i;
  }
}

TEST(ClusterAppHistory, RoomHistoryIsReadFromRedisOnAnyNode) {
  RedisServer redis;
  Cluster cluster(2, cluster_options(redis.url()), history_hub(3));
  for (int n = 1; n <= 5; ++n) cluster[0].hub().room("h:a").emit("news", n);
  EXPECT_THROW(cluster[1].hub().room("h:a").history(3), std::logic_error);
  std::optional<RoomHistory> history;
  ASSERT_TRUE(eventually([&] {  // the emits are asynchronous: until Redis has them all
    history =
        answer<RoomHistory>([&](auto done) { cluster[1].hub().room("h:a").history(2, done); });
    return history && history->offset == 5;
  }));
  ASSERT_EQ(history->messages.size(), 2u);
  EXPECT_EQ(history->messages[0].offset, 4u);
  EXPECT_EQ(history->messages[1].data, 5);
  // Size 3: offset 1 is trimmed, so a client at 1 (missing 2..5) cannot recover.
  HubClient client(cluster[1].port());
  const Joined joined = join_with(client, {{"room", "h:a"}, {"since", since(1, history->epoch)}});
  EXPECT_EQ(joined.answer["recovered"], false);
  EXPECT_EQ(joined.answer["reason"], recovery_refused::history_trimmed);
  EXPECT_TRUE(joined.before.empty());
  EXPECT_EQ(cluster[1].hub().history_stats().recovery_refused, 1u);
  const json bad = client.request("join", {{"room", "h:b"}, {"since", {{"offset", "x"}}}}, 3);
  EXPECT_EQ(bad["data"]["code"], hub_error::invalid_data);
}

TEST(ClusterAppHistory, RedisRestartedEmptyMakesANewEpoch) {
  RedisServer redis;
  Cluster cluster(2, cluster_options(redis.url()), history_hub());
  HubClient before(cluster[0].port());
  const std::string epoch = join_with(before, {{"room", "h:a"}}).answer["epoch"];
  cluster[1].hub().room("h:a").emit("news", 1);
  EXPECT_EQ(before.next()["offset"], 1);
  redis.kill();
  redis.start();  // empty: no persistence
  ASSERT_TRUE(eventually([&] { return cluster[0].up() && cluster[1].up(); }));
  HubClient after(cluster[1].port());
  const Joined joined = join_with(after, {{"room", "h:a"}, {"since", since(1, epoch)}});
  EXPECT_EQ(joined.answer["recovered"], false);
  EXPECT_EQ(joined.answer["reason"], recovery_refused::epoch_changed);
  EXPECT_NE(joined.answer["epoch"], epoch);
  EXPECT_EQ(joined.answer["offset"], 0);
  cluster[0].hub().room("h:a").emit("news", 2);  // offsets start again in the new epoch
  const json news = after.next();
  EXPECT_EQ(news["offset"], 1);
  EXPECT_EQ(news["epoch"], joined.answer["epoch"]);
}

TEST(ClusterAppHistory, RedisDownJoinsAreToldAndEmitsCountedLost) {
  RedisServer redis;
  RedisOptions options = cluster_options(redis.url());
  options.max_pending = 5;
  Cluster cluster(1, options, history_hub());
  HubClient client(cluster[0].port());
  const std::string epoch = join_with(client, {{"room", "h:a"}}).answer["epoch"];
  redis.kill();
  ASSERT_TRUE(eventually([&] { return !cluster[0].up(); }));
  for (int n = 0; n < 20; ++n) cluster[0].hub().room("h:a").emit("news", n);
  EXPECT_TRUE(eventually([&] { return cluster[0].app().metrics().broker.lost >= 15; }));
  HubClient again(cluster[0].port());
  const Joined joined = join_with(again, {{"room", "h:b"}, {"since", since(0, epoch)}});
  EXPECT_EQ(joined.answer["recovered"], false);
  EXPECT_EQ(joined.answer["reason"], recovery_refused::unavailable);
  EXPECT_FALSE(joined.answer.contains("offset"));
}

// Topics "feed*" keep history in Redis (cluster_app.hpp's /feed). As for rooms: publishers on
// both nodes, a socket dropped every 25 messages that comes back on the other node at the
// position it saw; each node formats what Redis ordered.
TEST(ClusterAppTopicHistory, ASocketSwitchingNodesMidStreamSeesAnExactGapFreeSequence) {
  constexpr std::uint64_t kEach = 300;
  RedisServer redis;
  Cluster cluster(2, redis);
  int drops = 0;
  read_through_drops(
      kEach, {&cluster[0].app(), &cluster[1].app()}, cluster[0].port(),
      [&](int n) { return cluster[n % 2].port(); }, drops);
  EXPECT_GE(drops, 20);
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    const Metrics metrics = cluster[i].app().metrics();
    EXPECT_EQ(metrics.broker.lost, 0u) << "node " << i;
    EXPECT_EQ(metrics.topic_history.appended, kEach) << "node " << i;
  }
  std::optional<std::optional<TopicHistory>> read = answer<std::optional<TopicHistory>>(
      [&](auto done) { cluster[1].app().topic_history("feed", 2, done); });
  ASSERT_TRUE(read && *read);
  EXPECT_EQ((*read)->offset, 2 * kEach);
  ASSERT_EQ((*read)->messages.size(), 2u);
  EXPECT_EQ((*read)->messages[1].offset, 2 * kEach);
  EXPECT_EQ((*read)->messages[1].message, "m");
}

TEST(ClusterAppTopicHistory, RedisRestartedEmptyMakesANewEpoch) {
  RedisServer redis;
  Cluster cluster(2, redis);
  FeedClient before(cluster[0].port());
  cluster[1].app().publish("feed", "one");
  const FeedMessage one = before.next();
  EXPECT_EQ(one.offset, 1u);
  redis.kill();
  redis.start();  // empty: no persistence
  ASSERT_TRUE(eventually([&] { return cluster[0].up() && cluster[1].up(); }));
  FeedClient after(cluster[1].port(), "feed", StreamPosition{one.epoch, 1});
  EXPECT_EQ(after.status["recovered"], false);
  EXPECT_EQ(after.status["reason"], recovery_refused::epoch_changed);
  EXPECT_NE(after.status["epoch"], one.epoch);
  EXPECT_EQ(after.status["offset"], 0);
  cluster[0].app().publish("feed", "two");  // offsets start again in the new epoch
  const FeedMessage two = after.next();
  EXPECT_EQ(two.offset, 1u);
  EXPECT_EQ(two.epoch, after.status["epoch"]);
}

TEST(ClusterAppTopicHistory, RedisDownSubscriptionsAreToldAndPublishesCountedLost) {
  RedisServer redis;
  RedisOptions options = cluster_options(redis.url());
  options.max_pending = 5;
  Cluster cluster(1, options);
  const StreamPosition seen = FeedClient(cluster[0].port()).position();
  redis.kill();
  ASSERT_TRUE(eventually([&] { return !cluster[0].up(); }));
  for (int n = 0; n < 20; ++n) cluster[0].app().publish("feed", "lost");
  EXPECT_TRUE(eventually([&] { return cluster[0].app().metrics().broker.lost >= 15; }));
  FeedClient again(cluster[0].port(), "feed", seen);
  EXPECT_EQ(again.status["recovered"], false);
  EXPECT_EQ(again.status["reason"], recovery_refused::unavailable);
  EXPECT_EQ(cluster[0].app().metrics().topic_history.recovery_refused, 1u);
  EXPECT_EQ(cluster[0].app().metrics().topic_history.appended, 20u);
}

}  // namespace
}  // namespace wisp::test
