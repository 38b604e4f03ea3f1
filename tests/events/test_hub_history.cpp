// Rooms with history on the real server with two loops: offsets and epochs in the envelopes,
// history reads, size / age / cap trimming counted, recovery exact or refused for each reason, and
// clients that drop mid-stream and come back seeing every offset once while others publish.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "hub_client.hpp"

namespace wisp::test {
namespace {

using namespace std::chrono_literals;

// Rooms "h:*" keep history.
HubSettings history_settings(HistorySettings history) {
  return {.builtin_rooms = true, .history = std::move(history)};
}
HistorySettings rooms_with(std::size_t size, std::chrono::milliseconds ttl = 5min) {
  return {.rooms = {{.prefix = "h:", .size = size, .ttl = ttl}}};
}

// "say" emits from a loop thread (the handler's); "marker" answers, to show nothing came first.
void add_handlers(App&, Hub& hub) {
  hub.on("say", [&hub](Event& ev) { hub.room(ev.data()["room"]).emit("said", ev.data()["n"]); });
  hub.on("marker", [](Event&) -> json { return "marker"; });
}

Joined join(HubClient& client, std::string_view room) {
  return join_with(client, {{"room", room}});
}
Joined join(HubClient& client, std::string_view room, std::uint64_t offset,
            std::string_view epoch) {
  return join_with(client, {{"room", room}, {"since", {{"offset", offset}, {"epoch", epoch}}}});
}

void emit_from_a_plain_thread(Hub& hub, std::string_view room, int from, int to) {
  std::thread([&] {
    for (int n = from; n <= to; ++n) hub.room(room).emit("news", n);
  }).join();
}

class HistoryTest : public ::testing::Test {
 protected:
  void start(HistorySettings history) {
    server_.emplace(add_handlers, history_settings(std::move(history)), AppOptions{.threads = 2});
  }
  Hub& hub() { return server_->hub(); }
  std::unique_ptr<HubClient> connect() { return server_->connect(); }
  static void expect_nothing_pending(HubClient& c) {
    EXPECT_EQ(c.request("marker", {}, "m")["data"], "marker");
  }

  std::optional<HubServer> server_;
};

TEST_F(HistoryTest, EachMessageGetsTheNextOffsetInTheRoomsEpoch) {
  start(rooms_with(100));
  auto client = connect();
  const Joined joined = join(*client, "h:a");
  EXPECT_TRUE(joined.before.empty());
  EXPECT_EQ(joined.answer["offset"], 0);
  const std::string epoch = joined.answer["epoch"];
  EXPECT_EQ(epoch.size(), 16u);
  EXPECT_FALSE(joined.answer.contains("recovered"));  // no position was given
  emit_from_a_plain_thread(hub(), "h:a", 1, 3);
  for (int n = 1; n <= 3; ++n) {
    EXPECT_EQ(
        client->next(),
        json({{"type", "news"}, {"data", n}, {"room", "h:a"}, {"offset", n}, {"epoch", epoch}}));
  }
  // Another room has a stream (and epoch) of its own; a room without a rule, plain envelopes.
  const Joined other = join(*client, "h:b");
  EXPECT_NE(other.answer["epoch"], epoch);
  const Joined plain = join(*client, "plain");
  EXPECT_FALSE(plain.answer.contains("epoch"));
  emit_from_a_plain_thread(hub(), "plain", 1, 1);
  EXPECT_EQ(client->next(), json({{"type", "news"}, {"data", 1}}));
}

TEST_F(HistoryTest, HistoryReadsTheLastMessagesAndTheSizeCapTrimsCounted) {
  start(rooms_with(3));
  emit_from_a_plain_thread(hub(), "h:a", 1, 5);
  const RoomHistory read = hub().room("h:a").history(2);
  EXPECT_EQ(read.offset, 5u);
  EXPECT_EQ(read.epoch.size(), 16u);
  ASSERT_EQ(read.messages.size(), 2u);
  EXPECT_EQ(read.messages[0].offset, 4u);
  EXPECT_EQ(read.messages[0].type, "news");
  EXPECT_EQ(read.messages[0].data, 4);
  EXPECT_EQ(read.messages[1].offset, 5u);
  EXPECT_EQ(hub().room("h:a").history(10).messages.size(), 3u);  // the size cap
  EXPECT_TRUE(hub().room("plain").history(10).epoch.empty());
  const HistoryStats stats = hub().history_stats();
  EXPECT_EQ(stats.appended, 5u);
  EXPECT_EQ(stats.trimmed_by_size, 2u);
  EXPECT_EQ(stats.messages, 3u);
  EXPECT_EQ(stats.streams, 1u);
}

TEST_F(HistoryTest, MessagesOlderThanTheTtlAreTrimmedCounted) {
  start(rooms_with(100, 1ms));
  emit_from_a_plain_thread(hub(), "h:a", 1, 2);
  std::this_thread::sleep_for(20ms);  // time passing is what is tested, not an event
  const RoomHistory read = hub().room("h:a").history(10);
  EXPECT_TRUE(read.messages.empty());
  EXPECT_EQ(read.offset, 2u);  // the stream goes on: offsets are not reused
  EXPECT_EQ(hub().history_stats().trimmed_by_age, 2u);
}

TEST_F(HistoryTest, PastTheStreamCapTheOldestStreamIsEvictedAndItsEpochEnds) {
  start({.rooms = {{.prefix = "h:"}}, .max_streams = 2});
  emit_from_a_plain_thread(hub(), "h:1", 1, 1);
  const std::string first_epoch = hub().room("h:1").history(1).epoch;
  emit_from_a_plain_thread(hub(), "h:2", 1, 1);
  emit_from_a_plain_thread(hub(), "h:3", 1, 1);
  const HistoryStats stats = hub().history_stats();
  EXPECT_EQ(stats.streams, 2u);
  EXPECT_EQ(stats.streams_evicted, 1u);
  EXPECT_EQ(stats.evicted_messages, 1u);
  EXPECT_TRUE(hub().room("h:1").history(1).epoch.empty());
  auto client = connect();
  const Joined joined = join(*client, "h:1", 1, first_epoch);
  EXPECT_EQ(joined.answer["recovered"], false);
  EXPECT_EQ(joined.answer["reason"], recovery_refused::epoch_changed);
}

TEST_F(HistoryTest, AClientBackWithItsPositionGetsExactlyWhatItMissedThenLiveOnes) {
  start(rooms_with(100));
  auto before = connect();
  const std::string epoch = join(*before, "h:a").answer["epoch"];
  emit_from_a_plain_thread(hub(), "h:a", 1, 3);
  for (int n = 1; n <= 3; ++n) EXPECT_EQ(before->next()["offset"], n);
  before.reset();  // dropped without a close
  emit_from_a_plain_thread(hub(), "h:a", 4, 8);
  auto back = connect();
  const Joined joined = join(*back, "h:a", 3, epoch);
  ASSERT_EQ(joined.before.size(), 5u);
  for (int n = 4; n <= 8; ++n) {
    EXPECT_EQ(joined.before[n - 4]["offset"], n);
    EXPECT_EQ(joined.before[n - 4]["data"], n);
  }
  EXPECT_EQ(joined.answer["recovered"], true);
  EXPECT_EQ(joined.answer["offset"], 8);
  EXPECT_EQ(joined.answer["epoch"], epoch);
  emit_from_a_plain_thread(hub(), "h:a", 9, 9);
  EXPECT_EQ(back->next()["offset"], 9);
  expect_nothing_pending(*back);
  EXPECT_EQ(hub().history_stats().recovered, 1u);
  // Nothing missed: recovered, nothing sent again.
  auto again = connect();
  EXPECT_TRUE(join(*again, "h:a", 9, epoch).before.empty());
}

TEST_F(HistoryTest, RecoveryIsRefusedForEachReasonAndTheClientJoinsAllTheSame) {
  start({.rooms = {{.prefix = "h:", .size = 3}}, .max_recover = 4});
  emit_from_a_plain_thread(hub(), "h:a", 1, 6);  // offsets 4..6 kept
  const std::string epoch = hub().room("h:a").history(0).epoch;
  const struct {
    std::uint64_t offset;
    std::string epoch;
    std::string_view reason;
  } cases[] = {
      {5, "not-the-epoch", recovery_refused::epoch_changed},
      {7, epoch, recovery_refused::epoch_changed},    // an offset this epoch never had
      {2, epoch, recovery_refused::history_trimmed},  // 3 is gone
      {0, epoch, recovery_refused::too_many_missed},  // 6 missed, past max_recover 4
  };
  std::vector<std::unique_ptr<HubClient>> clients;
  for (const auto& refused : cases) {
    auto& client = clients.emplace_back(connect());
    const Joined joined = join(*client, "h:a", refused.offset, refused.epoch);
    EXPECT_TRUE(joined.before.empty());
    EXPECT_EQ(joined.answer["recovered"], false);
    EXPECT_EQ(joined.answer["reason"], refused.reason);
    EXPECT_EQ(joined.answer["offset"], 6);
    EXPECT_EQ(joined.answer["epoch"], epoch);
  }
  EXPECT_EQ(hub().history_stats().recovery_refused, 4u);
  emit_from_a_plain_thread(hub(), "h:a", 7, 7);  // joined all the same: live messages come
  for (auto& client : clients) EXPECT_EQ(client->next()["offset"], 7);
  auto other = connect();
  const json bad = other->request("join", {{"room", "h:a"}, {"since", {{"offset", "x"}}}}, 3);
  EXPECT_EQ(bad["data"]["code"], hub_error::invalid_data);
}

// Two publishers (a plain thread, and a client whose "say" emits on its loop) while a client
// drops mid-stream and comes back with its position, many times: the sequence of offsets it
// sees, recovered and live, is 1, 2, 3... to the last, with no gap and no repeat. The thread
// keeps at most 20 messages ahead of the reader, so that rejoins land among live publishes.
TEST_F(HistoryTest, AClientDroppedMidStreamSeesAnExactGapFreeSequence) {
  constexpr int from_thread = 1500, from_loop = 500;
  start(rooms_with(5000));
  auto sayer = connect();
  auto reader = connect();
  const std::string epoch = join(*reader, "h:live").answer["epoch"];
  std::atomic<std::uint64_t> seen{0};
  std::jthread publisher([&](std::stop_token stop) {
    for (std::uint64_t n = 1; n <= from_thread && !stop.stop_requested(); ++n) {
      while (seen.load() + 20 < n && !stop.stop_requested()) std::this_thread::yield();
      hub().room("h:live").emit("news", n);
    }
  });
  int said = 0, drops = 0;
  std::uint64_t last = 0, next_drop = 25;
  auto saw = [&](const json& message) {
    if (message["offset"] != last + 1 || message["epoch"] != epoch) return false;
    seen = last = message["offset"];
    if (said < from_loop && last % 3 == 0) sayer->send("say", {{"room", "h:live"}, {"n", -++said}});
    return true;
  };
  while (last < from_thread + from_loop) {
    ASSERT_TRUE(saw(reader->next())) << "after " << last << ", " << drops << " drops";
    if (last < next_drop) continue;
    next_drop = last + 25;
    reader = connect();  // the old one is dropped without a close, mid-stream
    ++drops;
    const Joined joined = join(*reader, "h:live", last, epoch);
    ASSERT_EQ(joined.answer["recovered"], true);
    for (const json& missed : joined.before)
      ASSERT_TRUE(saw(missed)) << "recovered after " << last << ", " << drops << " drops";
    ASSERT_EQ(joined.answer["offset"], last);
  }
  EXPECT_GT(drops, 10);
  expect_nothing_pending(*reader);
}

TEST_F(HistoryTest, JoinsAndLeavesStayInOrderWithTheirPostedSubscriptions) {
  start(rooms_with(100));
  auto client = connect();
  client->send("join", {{"room", "h:a"}}, 1);  // subscribe and unsubscribe are both posted
  client->send("leave", {{"room", "h:a"}}, 2);
  EXPECT_EQ(client->next()["id"], 1);
  EXPECT_EQ(client->next()["id"], 2);
  emit_from_a_plain_thread(hub(), "h:a", 1, 1);
  expect_nothing_pending(*client);
  std::thread([&] { EXPECT_TRUE(hub().join(client->id(), "h:a")); }).join();
  emit_from_a_plain_thread(hub(), "h:a", 2, 2);  // after the join: it comes
  EXPECT_EQ(client->next()["offset"], 2);
}

TEST_F(HistoryTest, TheAsynchronousHistoryReadsTheSameOnOneNode) {
  start(rooms_with(10));
  emit_from_a_plain_thread(hub(), "h:a", 1, 3);
  std::promise<RoomHistory> read;
  hub().room("h:a").history(2, [&](RoomHistory history) { read.set_value(std::move(history)); });
  auto future = read.get_future();
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  const RoomHistory history = future.get();
  EXPECT_EQ(history.offset, 3u);
  ASSERT_EQ(history.messages.size(), 2u);
  EXPECT_EQ(history.messages[0].data, 2);
}

// The App's topic history (AppOptions::topic_history) is for its raw topics: a rule matching every
// topic, with a formatter, leaves the hub's broadcasts and rooms (topics of its own) as they are.
TEST(HubAndTopicHistory, ARuleForEveryTopicLeavesTheHubsMessagesAlone) {
  AppOptions options{.threads = 2};
  options.topic_history.topics.push_back(
      {.prefix = "",
       .format = [](std::string_view, const StreamPosition&) { return std::string("formatted"); }});
  HubServer server(add_handlers, history_settings(rooms_with(10)), options);
  auto client = server.connect();
  join(*client, "r");
  server.hub().broadcast({{"all", true}});
  EXPECT_EQ(client->next(), json({{"type", "broadcast"}, {"data", {{"all", true}}}}));
  client->send("say", {{"room", "r"}, {"n", 1}});
  EXPECT_EQ(client->next()["data"], 1);
  EXPECT_EQ(server.app().metrics().topic_history.appended, 0u);
}

}  // namespace
}  // namespace wisp::test
