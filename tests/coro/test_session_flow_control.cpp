// Flow control without loss: a session that produces faster than its client reads waits in its
// sends, holds no more than its high-water mark, and drops nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>

#include "coro_server.hpp"

namespace wisp::test {
namespace {

constexpr int kMessages = 2000;           // 16 MB: far more than the socket buffers hold
constexpr std::size_t kChunk = 8 * 1024;  // seed 003's file streaming chunk
constexpr std::size_t kHighWater = 64 * 1024;

TEST(FlowControl, ASlowClientSlowsTheProducerAndNothingIsDropped) {
  Awaited<bool> backpressured;
  std::atomic<std::size_t> max_buffered{0};
  std::atomic<int> dropped{0};
  CoroServer server([&](App& app) {
    app.ws_route(
        "/stream",
        [&](Session& s) -> Task<> {
          co_await s.accept();
          const std::string chunk(kChunk, 'x');
          for (int i = 0; i < kMessages; ++i) {
            const std::string message = std::to_string(i) + ":" + chunk;
            if (co_await s.send_bytes(message) == SendStatus::Dropped) ++dropped;
            const std::size_t buffered = s.buffered_amount();
            if (buffered > 0 && max_buffered.load() == 0) backpressured.set(true);
            max_buffered = std::max(max_buffered.load(), buffered);
          }
          co_await s.close();
        },
        // Without waiting, a producer past 256 KiB unsent would lose messages (policy Drop).
        SessionOptions{.settings = {.max_backpressure = 256 * 1024},
                       .send_high_water = kHighWater});
  });
  auto client = open_session(server.port(), "/stream");
  ASSERT_TRUE(backpressured.get());  // the client has read nothing yet: the socket is full
  for (int i = 0; i < kMessages; ++i) {
    const auto frame = client->read_frame();
    ASSERT_TRUE(frame);
    ASSERT_EQ(frame->opcode, kBinaryFrame);
    ASSERT_EQ(frame->payload.substr(0, frame->payload.find(':')), std::to_string(i));
    ASSERT_EQ(frame->payload.size(), std::to_string(i).size() + 1 + kChunk);
  }
  const auto close = client->read_until_close_frame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 1000);
  EXPECT_EQ(dropped.load(), 0);
  // Memory stays bounded: the high-water mark plus the one message sent past it.
  EXPECT_LE(max_buffered.load(), kHighWater + kChunk + 16);
}

TEST(FlowControl, AClientThatLeavesWakesTheWaitingSendWithDisconnected) {
  Awaited<bool> backpressured;
  Awaited<int> seen;
  CoroServer server([&](App& app) {
    app.ws_route("/flood", [&](Session& s) -> Task<> {
      co_await s.accept();
      const std::string chunk(kChunk, 'y');
      try {
        while (true) {
          co_await s.send_bytes(chunk);
          if (s.buffered_amount() > kHighWater) backpressured.set(true);
        }
      } catch (const Disconnected& gone) {
        seen.set(gone.code());
      }
    });
  });
  auto client = open_session(server.port(), "/flood");
  ASSERT_TRUE(backpressured.get());
  client.reset();
  EXPECT_EQ(seen.get(), 1006);
}

}  // namespace
}  // namespace wisp::test
