// Heartbeat, idle timeout, max lifetime and the backpressure policies on the real server (what a
// socket's own handlers send it is never dropped: see also test_flow_control.cpp). The
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
  int backpressured = 0;
  std::size_t max_buffered = 0;
  bool flood_done = false;
  bool drained = false;
  WebSocket* slow = nullptr;  // the loop thread's only

  std::optional<int> wait_close() {
    std::unique_lock lock(mutex);
    changed.wait_for(lock, std::chrono::seconds(5), [&] { return close_code.has_value(); });
    return close_code;
  }
  bool wait_flood() {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(5), [&] { return flood_done; });
  }
  bool wait_drained() {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(5), [&] { return drained; });
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
  Metrics metrics() const { return app_.metrics(); }
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

// 400 messages of 64 KiB (25 MiB: more than any socket buffers hold) to `target`, each send's
// status and the target's backlog kept.
void flood(Seen& seen, WebSocket& target) {
  const std::string chunk(64 * 1024, 'x');
  for (int i = 0; i < 400 && !target.closed(); ++i) {
    const SendStatus status = target.send(chunk, OpCode::Binary);
    std::lock_guard lock(seen.mutex);
    if (status != SendStatus::Dropped) ++seen.sent_ok;
    if (status == SendStatus::Backpressure) ++seen.backpressured;
    seen.max_buffered = std::max(seen.max_buffered, target.closed() ? 0 : target.buffered_amount());
  }
  std::lock_guard lock(seen.mutex);
  seen.flood_done = true;
  seen.changed.notify_all();
}

// The first socket to open is the slow one (its client never reads). "flood" from another socket
// floods it from that socket's handler: not an answer to the slow one, so its backpressure policy
// applies. "flood me" floods the sender itself: an answer, never dropped. Anything else is echoed.
WebSocketBehavior flood_route(Seen& seen, LimitPolicy policy) {
  return {
      .settings = {.max_backpressure = 256 * 1024, .backpressure_policy = policy},
      .open =
          [&seen](WebSocket& ws) {
            if (!seen.slow) seen.slow = &ws;
          },
      .message =
          [&seen](WebSocket& ws, std::string_view message, OpCode) {
            if (message == "flood" && seen.slow) return flood(seen, *seen.slow);
            if (message == "flood me") return flood(seen, ws);
            ws.send(message);
          },
      .close =
          [&seen](WebSocket& ws, int code, std::string_view reason) {
            if (seen.slow != &ws) return;
            seen.slow = nullptr;
            std::lock_guard lock(seen.mutex);
            seen.close_code = code;
            seen.close_reason = reason;
            seen.changed.notify_all();
          },
      .drain =
          [&seen](WebSocket&) {
            std::lock_guard lock(seen.mutex);
            seen.drained = true;
            seen.changed.notify_all();
          },
      .dropped =
          [&seen](WebSocket& ws, std::string_view message, OpCode) {
            std::lock_guard lock(seen.mutex);
            if (&ws == seen.slow && message.size() == 64 * 1024) ++seen.dropped;
          },
  };
}

TEST(Backpressure, DropPolicyDropsAndReportsSendsFromElsewhereAndBoundsMemory) {
  Seen seen;
  Server server(flood_route(seen, LimitPolicy::Drop));
  auto slow = server.connect();
  auto other = server.connect();
  other->send_frame(kText, "flood");
  ASSERT_TRUE(seen.wait_flood());
  other->send_frame(kText, "hello");  // the slow client slows nobody else
  const auto echo = other->read_frame();
  ASSERT_TRUE(echo);
  EXPECT_EQ(echo->payload, "hello");
  std::lock_guard lock(seen.mutex);
  EXPECT_GT(seen.dropped, 0);
  EXPECT_EQ(seen.sent_ok + seen.dropped, 400);
  const Metrics metrics = server.metrics();
  EXPECT_EQ(metrics.dropped, static_cast<std::uint64_t>(seen.dropped));
  EXPECT_EQ(metrics.dropped_by_route.at("/t"), metrics.dropped);
  EXPECT_NE(metrics.prometheus().find("wisp_route_dropped_total{route=\"/t\"} " +
                                      std::to_string(seen.dropped) + "\n"),
            std::string::npos);
  EXPECT_LE(seen.max_buffered, 256u * 1024 + 64 * 1024 + 16);  // the limit plus one message
}

TEST(Backpressure, ClosePolicyClosesTheSlowSocketWith1008) {
  Seen seen;
  Server server(flood_route(seen, LimitPolicy::Close));
  auto slow = server.connect();
  auto other = server.connect();
  other->send_frame(kText, "flood");
  EXPECT_EQ(seen.wait_close(), 1008);               // the slow socket's close handler
  expect_close(*slow, 1008, "backpressure limit");  // behind what it was sent before
  std::lock_guard lock(seen.mutex);
  EXPECT_EQ(seen.close_reason, "backpressure limit");
  EXPECT_EQ(seen.dropped, 0);
  EXPECT_EQ(server.metrics().backpressure_closes, 1u);
}

// What a socket's own handler sends it is an answer: past max_backpressure it still goes out (the
// socket stops being read instead), send() says Backpressure, and drain follows.
TEST(Backpressure, AnswersAreNeverDroppedButReportBackpressureAndDrain) {
  Seen seen;
  Server server(flood_route(seen, LimitPolicy::Close));
  auto client = server.connect();
  client->send_frame(kText, "flood me");
  ASSERT_TRUE(seen.wait_flood());
  for (int i = 0; i < 400; ++i) {
    const auto frame = client->read_frame();
    ASSERT_TRUE(frame);
    ASSERT_EQ(frame->payload.size(), 64u * 1024);
  }
  EXPECT_TRUE(seen.wait_drained());
  std::lock_guard lock(seen.mutex);
  EXPECT_EQ(seen.sent_ok, 400);
  EXPECT_GT(seen.backpressured, 0);
  EXPECT_EQ(seen.dropped, 0);
  EXPECT_EQ(server.metrics().dropped, 0u);
  EXPECT_EQ(server.metrics().backpressure_closes, 0u);
}

// A publish is never an answer, even from a subscriber's own handler: one slow subscriber does not
// stall the publisher nor grow without bound; what it cannot take is dropped, counted and
// reported, while a subscriber that reads gets everything.
TEST(Backpressure, PublishToASlowSubscriberDropsCountsAndReports) {
  Seen seen;
  WebSocketBehavior route = flood_route(seen, LimitPolicy::Drop);
  route.open = [&seen](WebSocket& ws) {
    if (!seen.slow) seen.slow = &ws;
    ws.subscribe("news");
  };
  route.message = [&seen](WebSocket& ws, std::string_view message, OpCode) {
    ws.publish("news", std::string(64 * 1024, 'x'), OpCode::Binary);
    std::lock_guard lock(seen.mutex);
    if (seen.slow) seen.max_buffered = std::max(seen.max_buffered, seen.slow->buffered_amount());
    ws.send(message);  // the publisher's own answer, after its publishes
  };
  Server server(std::move(route));
  auto slow = server.connect();
  auto reader = server.connect();
  auto publisher = server.connect();
  for (int round = 0; round < 400; ++round) {
    publisher->send_frame(kText, "go");
    const auto frame = reader->read_frame();
    ASSERT_TRUE(frame);
    ASSERT_EQ(frame->payload.size(), 64u * 1024);
    const auto answer = publisher->read_frame();
    ASSERT_TRUE(answer);
    ASSERT_EQ(answer->payload, "go");
  }
  std::lock_guard lock(seen.mutex);
  EXPECT_GT(seen.dropped, 0);
  EXPECT_EQ(server.metrics().dropped, static_cast<std::uint64_t>(seen.dropped));
  EXPECT_EQ(server.metrics().dropped_by_route.at("/t"), static_cast<std::uint64_t>(seen.dropped));
  EXPECT_LE(seen.max_buffered, 256u * 1024 + 64 * 1024 + 16);
}

}  // namespace
}  // namespace wisp::test
