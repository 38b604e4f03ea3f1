// Topics (pub/sub) on the real server: subscribe, publish from a handler and from other threads,
// counts across threads, and leaving on close; topics with history (AppOptions::topic_history):
// recovery of exactly what a socket missed, each refusal, the formatter's bytes, the reads.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "raw_client.hpp"
#include "server_thread.hpp"
#include "topic_feed.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

constexpr std::uint8_t kText = 0x1;

// A server whose /room sockets subscribe to "room" (and to any "join:NAME" they ask for) and
// publish what they say to the others; "leave" unsubscribes and answers "left".
class RoomServer {
 public:
  explicit RoomServer(unsigned threads = 1) : app_({.threads = threads}) {
    app_.ws("/room",
            {
                .open = [](WebSocket& ws) { ws.subscribe("room"); },
                .message = [](WebSocket& ws, std::string_view msg, OpCode) { on_message(ws, msg); },
            });
    running_.emplace(app_);
  }
  App& app() { return app_; }
  std::uint16_t port() const { return running_->port(); }

 private:
  static void on_message(WebSocket& ws, std::string_view msg) {
    if (msg == "leave") {
      ws.send(ws.unsubscribe("room") && !ws.is_subscribed("room") ? "left" : "not left");
    } else if (msg.starts_with("join:")) {
      ws.subscribe(msg.substr(5));
      std::string joined = "topics:";
      for (const auto& topic : ws.topics()) joined.append(" ").append(topic);
      ws.send(joined);
    } else if (msg.starts_with("to:")) {  // "to:TOPIC:TEXT"
      const auto colon = msg.find(':', 3);
      ws.publish(msg.substr(3, colon - 3), msg.substr(colon + 1));
    } else {
      ws.publish("room", msg);
    }
  }

  App app_;
  std::optional<ServerThread> running_;
};

std::unique_ptr<RawClient> join(const RoomServer& server) {
  auto client = std::make_unique<RawClient>(server.port());
  client->handshake("/room");  // the open handler (subscribe) ran before the 101 left
  return client;
}

std::string next_text(RawClient& client) {
  const auto frame = client.read_frame();
  if (!frame) return "<no frame>";
  return frame->payload;
}

TEST(Topics, PublishReachesTheOtherSubscribersButNotTheSender) {
  RoomServer server;
  auto a = join(server), b = join(server), c = join(server);
  a->send_frame(kText, "hello room");
  EXPECT_EQ(next_text(*b), "hello room");
  EXPECT_EQ(next_text(*c), "hello room");
  b->send_frame(kText, "from b");  // a's next frame is b's, so a never got its own
  EXPECT_EQ(next_text(*a), "from b");
}

TEST(Topics, CountsFollowSubscribeUnsubscribeAndClose) {
  RoomServer server;
  EXPECT_EQ(server.app().subscriber_count("room"), 0u);
  auto a = join(server), b = join(server);
  EXPECT_EQ(server.app().subscriber_count("room"), 2u);
  a->send_frame(kText, "leave");
  EXPECT_EQ(next_text(*a), "left");
  EXPECT_EQ(server.app().subscriber_count("room"), 1u);
  b->send_frame(kText, "bye");  // nobody else is left to hear it
  b->send_frame(0x8, close_body(1000));
  EXPECT_TRUE(b->read_until_close_frame());
  // The close handshake finished on the server before its close frame left, and the socket
  // left its topics as it closed.
  EXPECT_EQ(server.app().subscriber_count("room"), 0u);
}

TEST(Topics, UnsubscribedSocketNoLongerReceives) {
  RoomServer server;
  auto a = join(server), b = join(server);
  a->send_frame(kText, "leave");
  EXPECT_EQ(next_text(*a), "left");
  b->send_frame(kText, "only for subscribers");
  a->send_frame(kText, "join:other");
  EXPECT_EQ(next_text(*a), "topics: other");  // and not the room message before it
}

TEST(Topics, ManyTopicsPerSocketAndManySocketsPerTopic) {
  RoomServer server;
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 10; ++i) clients.push_back(join(server));
  for (auto& client : clients) {
    for (int t = 0; t < 5; ++t) {
      client->send_frame(kText, std::string("join:t").append(std::to_string(t)));
      ASSERT_TRUE(next_text(*client).starts_with("topics: room"));
    }
  }
  EXPECT_EQ(server.app().subscriber_count("t3"), 10u);
  auto sender = join(server);
  const auto text = [](int t) { return std::string("m").append(std::to_string(t)); };
  for (int t = 0; t < 5; ++t) {
    sender->send_frame(kText,
                       std::string("to:t").append(std::to_string(t)).append(":").append(text(t)));
  }
  for (auto& client : clients) {
    for (int t = 0; t < 5; ++t) EXPECT_EQ(next_text(*client), text(t));
  }
}

// Publishing from plain threads while the loops run (also a ThreadSanitizer test): every
// message arrives once, and each publisher's messages arrive in its order.
TEST(Topics, AppPublishFromManyThreadsReachesEverySubscriberOnEveryLoop) {
  RoomServer server(2);
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 6; ++i) clients.push_back(join(server));  // spread over both loops
  constexpr int publishers = 4, per_publisher = 200;
  std::vector<std::thread> threads;
  for (int p = 0; p < publishers; ++p) {
    threads.emplace_back([&, p] {
      for (int n = 0; n < per_publisher; ++n) {
        server.app().publish("room", std::to_string(p).append(":").append(std::to_string(n)));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (auto& client : clients) {
    std::vector<int> next(publishers, 0);
    for (int i = 0; i < publishers * per_publisher; ++i) {
      const std::string text = next_text(*client);
      const int p = std::stoi(text.substr(0, text.find(':')));
      ASSERT_EQ(text, std::to_string(p).append(":").append(std::to_string(next[p]++)));
    }
  }
}

TEST(Topics, PublishRefusesControlOpcodes) {
  App app;
  std::atomic<bool> threw = false;
  app.ws("/x", {.open = [&](WebSocket& ws) {
           try {
             ws.publish("t", "x", OpCode::Close);
           } catch (const std::invalid_argument&) {
             threw = true;
           }
           ws.close();
         }});
  {
    ServerThread running(app);
    RawClient client(running.port());
    client.handshake("/x");
    EXPECT_TRUE(client.read_until_close_frame());
  }
  EXPECT_TRUE(threw);
}

// ---- topics with history ----------------------------------------------------------------------

// An App with /feed (tests/support/topic_feed.hpp), running for the test.
class FeedServer {
 public:
  explicit FeedServer(TopicHistorySettings history = feed_history(), unsigned threads = 1)
      : app_({.threads = threads, .topic_history = std::move(history)}) {
    add_feed_route(app_);
    running_.emplace(app_);
  }
  App& app() { return app_; }
  std::uint16_t port() const { return running_->port(); }
  void publish(int from, int to) {
    for (int n = from; n <= to; ++n) app_.publish("feed", "m" + std::to_string(n));
  }

 private:
  App app_;
  std::optional<ServerThread> running_;
};

std::vector<std::uint64_t> offsets(const std::vector<FeedMessage>& messages) {
  std::vector<std::uint64_t> out;
  for (const FeedMessage& message : messages) out.push_back(message.offset);
  return out;
}

TEST(TopicHistory, AResubscribingSocketGetsExactlyWhatItMissedThenTheLiveOnes) {
  FeedServer server;
  auto first = std::make_unique<FeedClient>(server.port());
  EXPECT_EQ(first->status["recovered"], false);  // no position yet: nothing to recover
  EXPECT_EQ(first->status["reason"], "");
  const std::string epoch = first->status["epoch"];
  server.publish(1, 3);
  for (int n = 1; n <= 3; ++n) {
    const FeedMessage live = first->next();  // formatted once by the rule's formatter
    EXPECT_EQ(live.offset, static_cast<std::uint64_t>(n));
    EXPECT_EQ(live.epoch, epoch);
    EXPECT_EQ(live.text, "m" + std::to_string(n));
  }
  first.reset();  // dropped without a close
  server.publish(4, 8);
  server.app().publish("feed", "bytes", OpCode::Binary);  // 9
  FeedClient again(server.port(), "feed", StreamPosition{epoch, 3});
  EXPECT_EQ(offsets(again.missed), (std::vector<std::uint64_t>{4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(again.missed[0].text, "m4");
  EXPECT_EQ(again.missed[5].opcode, 0x2);  // as published
  EXPECT_EQ(again.status["recovered"], true);
  EXPECT_EQ(again.status["reason"], "");
  EXPECT_EQ(again.status["offset"], 9);
  again.publish("from the socket");  // a stream reaches its publisher too
  const FeedMessage live = again.next();
  EXPECT_EQ(live.offset, 10u);  // no gap, no repeat
  EXPECT_EQ(live.text, "from the socket");
  const HistoryStats stats = server.app().metrics().topic_history;
  EXPECT_EQ(stats.appended, 10u);
  EXPECT_EQ(stats.recovered, 1u);
  EXPECT_EQ(stats.recovery_refused, 0u);  // the first socket asked for nothing
  EXPECT_EQ(stats.streams, 1u);
  EXPECT_EQ(stats.messages, 10u);
}

TEST(TopicHistory, EachRefusalIsToldAndTheSocketIsSubscribedAllTheSame) {
  FeedServer server(feed_history(/*size=*/5, /*max_recover=*/8));
  const std::string epoch = FeedClient(server.port()).status["epoch"];
  server.publish(1, 7);  // 3..7 kept
  auto refused = [&](const StreamPosition& since, std::string_view topic = "feed") {
    auto client = std::make_unique<FeedClient>(server.port(), topic, since);
    EXPECT_EQ(client->status["recovered"], false);
    EXPECT_TRUE(client->missed.empty());
    return client;
  };
  auto trimmed = refused({epoch, 1});
  EXPECT_EQ(trimmed->status["reason"], recovery_refused::history_trimmed);
  EXPECT_EQ(trimmed->status["offset"], 7);
  EXPECT_EQ(refused({"another", 7})->status["reason"], recovery_refused::epoch_changed);
  EXPECT_EQ(refused({epoch, 8})->status["reason"], recovery_refused::epoch_changed);  // ahead
  auto plain = refused({epoch, 7}, "plain");
  EXPECT_EQ(plain->status["reason"], recovery_refused::no_history);
  server.publish(8, 16);  // 16 - 7 = 9 missed, over max_recover 8
  EXPECT_EQ(refused({epoch, 7})->status["reason"], recovery_refused::too_many_missed);
  EXPECT_EQ(trimmed->next().offset, 8u);  // subscribed, at the live ones
  server.app().publish("plain", "no offset");
  EXPECT_EQ(plain->next_text(), "no offset");  // as published: not formatted
  const HistoryStats stats = server.app().metrics().topic_history;
  EXPECT_EQ(stats.recovery_refused, 4u);  // trimmed, two epochs, too many
  EXPECT_EQ(stats.trimmed_by_size, 11u);
}

TEST(TopicHistory, ANewAppIsANewEpoch) {
  std::string epoch;
  {
    FeedServer before;
    FeedClient client(before.port());
    before.publish(1, 2);
    epoch = client.next().epoch;
  }
  FeedServer after;
  FeedClient client(after.port(), "feed", StreamPosition{epoch, 2});
  EXPECT_EQ(client.status["recovered"], false);
  EXPECT_EQ(client.status["reason"], recovery_refused::epoch_changed);
  EXPECT_NE(client.status["epoch"], epoch);
}

TEST(TopicHistory, TopicHistoryReadsTheLastMessagesAsPublished) {
  FeedServer server(feed_history(3));
  server.publish(1, 4);
  std::optional<TopicHistory> read;
  server.app().topic_history("feed", 2, [&](std::optional<TopicHistory> history) {
    read = std::move(history);  // one process: at once
  });
  ASSERT_TRUE(read);
  EXPECT_EQ(read->offset, 4u);
  ASSERT_EQ(read->messages.size(), 2u);
  EXPECT_EQ(read->messages[0].offset, 3u);
  EXPECT_EQ(read->messages[1].message, "m4");  // not formatted
  server.app().topic_history(
      "plain", 2, [&](std::optional<TopicHistory> history) { read = std::move(history); });
  ASSERT_TRUE(read);
  EXPECT_TRUE(read->epoch.empty());
  EXPECT_TRUE(read->messages.empty());
}

// Two loops, publishers on two threads, and a socket dropped every 25 messages that comes back
// (on either loop) at the position it saw (also a ThreadSanitizer test): the offsets it sees,
// recovered and live, are 1, 2, 3... with no gap and no repeat. The publishers stay at most 20
// ahead of the reader, so that subscriptions land among live publishes.
TEST(TopicHistory, ASocketDroppedTwentyTimesAmongPublishesSeesAGapFreeSequence) {
  FeedServer server(feed_history(), 2);
  int drops = 0;
  read_through_drops(
      300, {&server.app(), &server.app()}, server.port(), [&](int) { return server.port(); },
      drops);
  EXPECT_GE(drops, 20);
  EXPECT_EQ(server.app().metrics().dropped, 0u);
}

}  // namespace
}  // namespace wisp::test
