// What the topic history tests share (tests/runtime/test_topics.cpp one node, tests/cluster_app
// across nodes): topics "feed*" keep history and format each message as "OFFSET EPOCH TEXT"; a
// route /feed whose sockets subscribe at the position in their query; a client of it.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "raw_client.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {

inline std::string format_feed(std::string_view message, const StreamPosition& at) {
  return std::to_string(at.offset) + " " + at.epoch + " " + std::string(message);
}

inline TopicHistorySettings feed_history(std::size_t size = 1000, std::size_t max_recover = 1000) {
  return {.topics = {{.prefix = "feed", .size = size, .format = format_feed}},
          .max_recover = max_recover};
}

// /feed?topic=T&epoch=E&offset=N: subscribes to T at {E, N} ({"", 0} without them: no position,
// so only the stream's position), then sends the TopicRecovery as
// {"recovered","reason","offset","epoch"}. A message "pub:TEXT" is ws.publish'ed to T.
inline void add_feed_route(App& app) {
  app.ws("/feed", {.open =
                       [](WebSocket& ws) {
                         const StreamPosition since{ws.query("epoch").value_or(""),
                                                    std::stoull(ws.query("offset").value_or("0"))};
                         ws.subscribe(ws.query("topic").value_or("feed"), since,
                                      [&ws](const TopicRecovery& recovery) {
                                        ws.send(nlohmann::json{{"recovered", recovery.recovered},
                                                               {"reason", recovery.reason},
                                                               {"offset", recovery.position.offset},
                                                               {"epoch", recovery.position.epoch}}
                                                    .dump());
                                      });
                       },
                   .message =
                       [](WebSocket& ws, std::string_view message, OpCode) {
                         if (message.starts_with("pub:"))
                           ws.publish(ws.query("topic").value_or("feed"), message.substr(4));
                       }});
}

struct FeedMessage {
  std::uint64_t offset = 0;
  std::string epoch;
  std::string text;
  std::uint8_t opcode = 0;
};

// A client of /feed: its constructor reads up to the recovery's status, keeping the messages
// before it (the missed ones).
class FeedClient {
 public:
  FeedClient(std::uint16_t port, std::string_view topic = "feed",
             const std::optional<StreamPosition>& since = std::nullopt)
      : raw_(port) {
    std::string path = "/feed?topic=" + std::string(topic);
    if (since) path += "&epoch=" + since->epoch + "&offset=" + std::to_string(since->offset);
    raw_.handshake(path);
    for (std::string text = read().payload; text.front() != '{'; text = read().payload)
      missed.push_back(parse(text, last_opcode_));
    status = nlohmann::json::parse(last_payload_);
  }
  // The next message; throws on anything else (a status, a close, a timeout).
  FeedMessage next() {
    const std::string text = next_text();
    if (text.starts_with("{")) throw std::runtime_error("a status, not a message: " + text);
    return parse(text, last_opcode_);
  }
  std::string next_text() { return read().payload; }
  void publish(std::string_view text) { raw_.send_frame(0x1, "pub:" + std::string(text)); }
  StreamPosition position() const {
    return {status["epoch"].get<std::string>(), status["offset"].get<std::uint64_t>()};
  }

  std::vector<FeedMessage> missed;
  nlohmann::json status;

 private:
  Frame read() {
    std::optional<Frame> frame = raw_.read_frame();
    if (!frame || frame->opcode == 0x8) throw std::runtime_error("closed, or nothing in time");
    last_opcode_ = frame->opcode;
    last_payload_ = frame->payload;
    return *frame;
  }
  static FeedMessage parse(const std::string& text, std::uint8_t opcode) {
    const auto space = text.find(' '), second = text.find(' ', space + 1);
    if (space == std::string::npos || second == std::string::npos)
      throw std::runtime_error("not a feed message: " + text);
    return {std::stoull(text.substr(0, space)), text.substr(space + 1, second - space - 1),
            text.substr(second + 1), opcode};
  }

  RawClient raw_;
  std::uint8_t last_opcode_ = 0;
  std::string last_payload_;
};

// The stream test of both suites: `each` publishes of "feed" from each of two Apps (the same one
// twice on one node), at most 20 ahead of a reader that is dropped every 25 messages and comes
// back at the position it saw, on the port reopen(drops) names. What it sees, recovered and
// live, must be offsets 1, 2, 3... of the stream's epoch, once each. `drops` counts the drops.
inline void read_through_drops(std::uint64_t each, std::array<App*, 2> publishers,
                               std::uint16_t first_port,
                               const std::function<std::uint16_t(int drops)>& reopen, int& drops) {
  auto reader = std::make_unique<FeedClient>(first_port);
  const StreamPosition start = reader->position();
  ASSERT_EQ(start.offset, 0u);
  std::atomic<std::uint64_t> seen{0}, published{0};
  auto publisher = [&](App& app) {
    return std::jthread([&](std::stop_token stop) {
      for (std::uint64_t n = 0; n < each && !stop.stop_requested(); ++n) {
        while (seen.load() + 20 < published.load() && !stop.stop_requested())
          std::this_thread::yield();
        ++published;
        app.publish("feed", "m");
      }
    });
  };
  std::jthread one = publisher(*publishers[0]), two = publisher(*publishers[1]);
  std::uint64_t last = 0, next_drop = 25;
  auto saw = [&](const FeedMessage& message) {
    if (message.offset != last + 1 || message.epoch != start.epoch) return false;
    seen = last = message.offset;
    return true;
  };
  while (last < 2 * each) {
    ASSERT_TRUE(saw(reader->next())) << "after " << last << ", " << drops << " drops";
    if (last < next_drop) continue;
    next_drop = last + 25;
    ++drops;
    reader = std::make_unique<FeedClient>(reopen(drops), "feed", StreamPosition{start.epoch, last});
    ASSERT_EQ(reader->status["recovered"], true) << reader->status.dump();
    for (const FeedMessage& missed : reader->missed)
      ASSERT_TRUE(saw(missed)) << "recovered after " << last << ", " << drops << " drops";
    ASSERT_EQ(reader->status["offset"], last);
  }
}

}  // namespace wisp::test
