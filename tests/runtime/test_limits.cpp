// Message rate limits, per-IP connection rate, and graceful shutdown on the real server.
#include <gtest/gtest.h>

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

using std::chrono::milliseconds;
constexpr std::uint8_t kText = 0x1, kClose = 0x8;

class Server {
 public:
  Server(WebSocketBehavior behavior, AppOptions options = {}) : app_(options) {
    app_.ws("/t", std::move(behavior));
    running_.emplace(app_);
  }
  App& app() { return app_; }
  std::uint16_t port() const { return running_->port(); }
  bool stopped_within(milliseconds limit) { return running_->stopped_within(limit); }

 private:
  App app_;
  std::optional<ServerThread> running_;
};

WebSocketBehavior echo(WebSocketSettings settings) {
  return {.settings = settings,
          .message = [](WebSocket& ws, std::string_view m, OpCode op) { ws.send(m, op); },
          .rate_limited = [](WebSocket& ws, std::string_view m,
                             OpCode) { ws.send(std::string("limited:").append(m)); }};
}

std::unique_ptr<RawClient> connect(Server& server) {
  auto client = std::make_unique<RawClient>(server.port());
  client->handshake("/t");
  return client;
}

std::string next_text(RawClient& client) {
  const auto frame = client.read_frame();
  return frame ? frame->payload : "<no frame>";
}

TEST(RateLimit, DropPolicyDeliversUpToTheLimitAndReportsTheRest) {
  Server server(echo({.rate_limit_messages = 3, .rate_limit_window = std::chrono::seconds(60)}));
  auto client = connect(server);
  for (int i = 1; i <= 5; ++i)
    client->send_frame(kText, std::string("m").append(std::to_string(i)));
  for (const char* expected : {"m1", "m2", "m3", "limited:m4", "limited:m5"}) {
    EXPECT_EQ(next_text(*client), expected);
  }
}

TEST(RateLimit, ClosePolicyCloses1008) {
  Server server(echo({.rate_limit_messages = 2,
                      .rate_limit_window = std::chrono::seconds(60),
                      .rate_limit_policy = LimitPolicy::Close}));
  auto client = connect(server);
  for (int i = 1; i <= 3; ++i) client->send_frame(kText, "m");
  EXPECT_EQ(next_text(*client), "m");
  EXPECT_EQ(next_text(*client), "m");
  const auto close = client->read_until_close_frame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 1008);
  EXPECT_EQ(close->close_reason(), "rate limit");
}

TEST(RateLimit, WindowRestartsTheCount) {
  Server server(echo({.rate_limit_messages = 1, .rate_limit_window = milliseconds(100)}));
  auto client = connect(server);
  client->send(client_frame(kText, "a") + client_frame(kText, "b"));  // one read: one window
  EXPECT_EQ(next_text(*client), "a");
  EXPECT_EQ(next_text(*client), "limited:b");
  std::this_thread::sleep_for(milliseconds(150));  // the test is about a window of time passing
  client->send_frame(kText, "c");
  EXPECT_EQ(next_text(*client), "c");
}

TEST(ConnectionRate, ConnectionsPastThePerIpLimitGet429WithRetryAfter) {
  Server server(echo({}), {.connections_per_ip_per_minute = 2});
  auto first = connect(server);
  auto second = connect(server);
  RawClient third(server.port());
  third.send(RawClient::upgrade_request("/t"));
  const HttpResponse response = third.read_http_response();
  EXPECT_EQ(response.status, 429) << response.head;
  EXPECT_EQ(response.header("Retry-After"), "60");
  first->send_frame(kText, "still served");
  EXPECT_EQ(next_text(*first), "still served");
}

TEST(Shutdown, EveryClientGetsTheMessageAndTheCodeThenRunReturns) {
  Server server(echo({}));
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(connect(server));
  auto silent = connect(server);  // never answers the close: dropped at the timeout
  server.app().shutdown({.message = "restarting, see you soon",
                         .code = close_code::service_restart,
                         .reason = "restart",
                         .timeout = milliseconds(300)});
  for (auto& client : clients) {
    EXPECT_EQ(next_text(*client), "restarting, see you soon");
    const auto close = client->read_until_close_frame();
    ASSERT_TRUE(close);
    EXPECT_EQ(close->close_code(), 1012);
    EXPECT_EQ(close->close_reason(), "restart");
    client->send_frame(kClose, close_body(1012));
  }
  EXPECT_TRUE(server.stopped_within(std::chrono::seconds(5)));
  EXPECT_EQ(silent->wait_tcp_end() == TcpEnd::Timeout, false);
  EXPECT_THROW(RawClient late(server.port()), std::exception);  // no longer accepting
}

TEST(Shutdown, RefusesACodeThatMayNotBeSent) {
  Server server(echo({}));
  EXPECT_THROW(server.app().shutdown({.code = 1006}), std::invalid_argument);
}

}  // namespace
}  // namespace wisp::test
