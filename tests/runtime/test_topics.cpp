// Topics (pub/sub) on the real server: subscribe, publish from a handler and from other threads,
// counts across threads, and leaving on close.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "raw_client.hpp"
#include "server_thread.hpp"
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

}  // namespace
}  // namespace wisp::test
