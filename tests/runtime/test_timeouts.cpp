// Heartbeat, idle timeout, max lifetime and the backpressure policies on the real server. The
// timers are set short; each test waits for the server's own frames, never for a fixed time.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "raw_client.hpp"
#include "server_thread.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

using std::chrono::milliseconds;
constexpr std::uint8_t kText = 0x1, kClose = 0x8, kPing = 0x9, kPong = 0xA;

// What the server's handlers saw, handed to the test thread.
struct Seen {
  std::mutex mutex;
  std::condition_variable changed;
  std::optional<int> close_code;
  std::string close_reason;
  int dropped = 0;
  int sent_ok = 0;
  std::size_t max_buffered = 0;
  bool flood_done = false;

  std::optional<int> wait_close() {
    std::unique_lock lock(mutex);
    changed.wait_for(lock, std::chrono::seconds(5), [&] { return close_code.has_value(); });
    return close_code;
  }
  bool wait_flood() {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(5), [&] { return flood_done; });
  }
};

class Server {
 public:
  explicit Server(WebSocketBehavior behavior) {
    auto close = std::move(behavior.close);
    behavior.close = [this, close](WebSocket& ws, int code, std::string_view reason) {
      if (close) close(ws, code, reason);
      std::lock_guard lock(seen.mutex);
      seen.close_code = code;
      seen.close_reason = reason;
      seen.changed.notify_all();
    };
    app_.ws("/t", std::move(behavior));
    running_.emplace(app_);
  }
  std::unique_ptr<RawClient> connect() {
    auto client = std::make_unique<RawClient>(running_->port());
    client->handshake("/t");
    return client;
  }
  Seen seen;

 private:
  App app_;
  std::optional<ServerThread> running_;
};

void expect_close(RawClient& client, int code, std::string_view reason) {
  const auto frame = client.read_until_close_frame();
  ASSERT_TRUE(frame);
  EXPECT_EQ(frame->close_code(), code);
  EXPECT_EQ(frame->close_reason(), reason);
}

TEST(Heartbeat, SilentPeerIsPingedThenClosedWhenNoPongComes) {
  Server server(
      {.settings = {.ping_interval = milliseconds(100), .pong_timeout = milliseconds(200)}});
  auto client = server.connect();
  const auto ping = client->read_frame();
  ASSERT_TRUE(ping);
  EXPECT_EQ(ping->opcode, kPing);
  expect_close(*client, 1011, "keepalive ping timeout");
  EXPECT_EQ(server.seen.wait_close(), 1011);
}

TEST(Heartbeat, PeerThatAnswersStaysOpen) {
  // A generous pong_timeout: a slow (sanitized, loaded) test client must not look dead.
  Server server(
      {.settings = {.ping_interval = milliseconds(50), .pong_timeout = milliseconds(2000)}});
  auto client = server.connect();
  for (int i = 0; i < 4; ++i) {  // four rounds: far past one pong_timeout
    const auto ping = client->read_frame();
    ASSERT_TRUE(ping);
    ASSERT_EQ(ping->opcode, kPing);
    client->send_frame(kPong, ping->payload);
  }
  client->send_frame(kClose, close_body(1000));
  expect_close(*client, 1000, "");
  EXPECT_EQ(server.seen.wait_close(), 1000);
}

TEST(IdleTimeout, PeerSendingNoMessagesIsClosed) {
  Server server(
      {.settings = {.ping_interval = milliseconds(0), .idle_timeout = milliseconds(150)}});
  auto client = server.connect();
  client->send_frame(kPing, "pings do not count");
  const auto pong = client->read_frame();
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->opcode, kPong);
  expect_close(*client, 1001, "idle timeout");
}

TEST(MaxLifetime, ExpiringRunsBeforeTheClose) {
  Server server(
      {.settings = {.max_lifetime = milliseconds(300), .lifetime_warning = milliseconds(200)},
       .expiring = [](WebSocket& ws) { ws.send("please re-authenticate"); }});
  auto client = server.connect();
  const auto notice = client->read_frame();
  ASSERT_TRUE(notice);
  EXPECT_EQ(notice->payload, "please re-authenticate");
  expect_close(*client, 1001, "max lifetime reached");
}

// "flood me" gets 25 MiB (more than any socket buffers hold); anything else is echoed.
void flood_or_echo(Seen& seen, WebSocket& ws, std::string_view message) {
  if (message != "flood me") return (void)ws.send(message);
  const std::string chunk(64 * 1024, 'x');
  for (int i = 0; i < 400 && !ws.closed(); ++i) {
    const SendStatus status = ws.send(chunk, OpCode::Binary);
    std::lock_guard lock(seen.mutex);
    if (status != SendStatus::Dropped) ++seen.sent_ok;
    seen.max_buffered = std::max(seen.max_buffered, ws.closed() ? 0 : ws.buffered_amount());
  }
  std::lock_guard lock(seen.mutex);
  seen.flood_done = true;
  seen.changed.notify_all();
}

// A client that stops reading: the server never holds more than the limit plus one message.
WebSocketBehavior flood(Seen& seen, LimitPolicy policy) {
  return {
      .settings = {.max_backpressure = 256 * 1024, .backpressure_policy = policy},
      .message = [&seen](WebSocket& ws, std::string_view message,
                         OpCode) { flood_or_echo(seen, ws, message); },
      .dropped =
          [&seen](WebSocket&, std::string_view, OpCode) {
            std::lock_guard lock(seen.mutex);
            ++seen.dropped;
          },
  };
}

TEST(Backpressure, DropPolicyDropsAndReportsAndBoundsMemory) {
  Seen seen;
  Server server(flood(seen, LimitPolicy::Drop));
  auto slow = server.connect();
  slow->send_frame(kText, "flood me");
  ASSERT_TRUE(seen.wait_flood());
  auto other = server.connect();  // the slow client slows nobody else
  other->send_frame(kText, "hello");
  const auto echo = other->read_frame();
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->payload, "hello");
  std::lock_guard lock(seen.mutex);
  EXPECT_GT(seen.dropped, 0);
  EXPECT_EQ(seen.sent_ok + seen.dropped, 400);
  EXPECT_LE(seen.max_buffered, 256u * 1024 + 64 * 1024 + 16);
}

TEST(Backpressure, ClosePolicyClosesTheSlowSocketWith1008) {
  Seen seen;
  Server server(flood(seen, LimitPolicy::Close));
  auto slow = server.connect();
  slow->send_frame(kText, "flood me");
  EXPECT_EQ(server.seen.wait_close(), 1008);
  EXPECT_EQ(server.seen.close_reason, "backpressure limit");
  EXPECT_EQ(seen.dropped, 0);
}

}  // namespace
}  // namespace wisp::test
