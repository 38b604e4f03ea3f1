// Client management through the hub on the real server with two loops: sends by id, broadcasts,
// disconnect with a notice, metadata and filters, custom ids, rate limiting.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "hub_client.hpp"

namespace wisp::test {
namespace {

void add_marker(App& app, Hub& hub) {
  hub.on("marker", [](Event&) -> json { return "marker"; });
  // A raw route with a registry of its own: its clients are the app's, not the hub's.
  app.ws("/raw", {.settings = {.client_registry = true}});
}

void expect_nothing_pending(HubClient& c) {
  EXPECT_EQ(c.request("marker", {}, "m")["data"], "marker");
}

class ClientsTest : public ::testing::Test {
 protected:
  ClientsTest() : server_(add_marker, {}, {.threads = 2}) {
    for (int i = 0; i < 3; ++i) clients_.push_back(server_.connect());
  }
  HubClient& client(int i) { return *clients_[i]; }
  Hub& hub() { return server_.hub(); }

  HubServer server_;
  std::vector<std::unique_ptr<HubClient>> clients_;
};

TEST_F(ClientsTest, SendReachesOneClientFromAnyThread) {
  std::thread([&] {
    EXPECT_TRUE(hub().send_to(client(1).id(), "notification", {{"text", "hello"}}));
    EXPECT_FALSE(hub().send_to("no-such-client", "notification", {}));
  }).join();
  EXPECT_EQ(client(1).next(), json({{"type", "notification"}, {"data", {{"text", "hello"}}}}));
  expect_nothing_pending(client(0));
}

TEST_F(ClientsTest, BroadcastsCountWhomTheyReach) {
  RawClient raw(server_.port());
  raw.handshake("/raw");
  EXPECT_EQ(hub().client_count(), 3u);  // not the /raw client
  EXPECT_EQ(server_.app().client_count(), 4u);
  EXPECT_EQ(hub().broadcast({{"all", true}}), 3u);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(client(i).next(), json({{"type", "broadcast"}, {"data", {{"all", true}}}}));
  const std::vector<std::string> some = {client(0).id(), "unknown", client(2).id()};
  EXPECT_EQ(hub().broadcast_to(some, "some", 1), 2u);
  EXPECT_EQ(client(0).next()["type"], "some");
  EXPECT_EQ(client(2).next()["type"], "some");
  expect_nothing_pending(client(1));
  const auto ids = hub().client_ids();
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()),
            std::set<std::string>({client(0).id(), client(1).id(), client(2).id()}));
}

TEST_F(ClientsTest, DisconnectSendsANoticeThenClosesWithTheCodeAndReason) {
  std::thread([&] {
    EXPECT_TRUE(hub().disconnect(client(0).id(), 4001, "kicked"));
    EXPECT_TRUE(hub().disconnect(client(2).id()));
    EXPECT_FALSE(hub().disconnect("no-such-client"));
    EXPECT_THROW(hub().disconnect(client(1).id(), close_code::normal, std::string(200, 'x')),
                 std::invalid_argument);
    EXPECT_THROW(hub().disconnect(client(1).id(), close_code::no_status), std::invalid_argument);
  }).join();
  EXPECT_EQ(client(0).next(),
            json({{"type", "disconnect_notice"}, {"data", {{"reason", "kicked"}}}}));
  const auto close = client(0).raw().read_frame();
  ASSERT_TRUE(close.has_value());
  EXPECT_EQ(close->close_code(), 4001);
  EXPECT_EQ(close->close_reason(), "kicked");
  EXPECT_EQ(client(2).next(), json({{"type", "disconnect_notice"}, {"data", {{"reason", ""}}}}));
  const auto by_default = client(2).raw().read_frame();
  ASSERT_TRUE(by_default.has_value());
  EXPECT_EQ(by_default->close_code(), close_code::normal);
  expect_nothing_pending(client(1));
}

TEST_F(ClientsTest, MetadataAndFilters) {
  std::thread([&] {
    EXPECT_TRUE(hub().set_metadata(client(1).id(), "role", "admin"));
    EXPECT_FALSE(hub().set_metadata("no-such-client", "role", "admin"));
  }).join();
  expect_nothing_pending(client(1));  // one message in
  const auto admins =
      hub().clients([](const ClientInfo& info) { return info.metadata.contains("role"); });
  ASSERT_EQ(admins.size(), 1u);
  EXPECT_EQ(admins[0].id, client(1).id());
  EXPECT_EQ(admins[0].route, "/ws");
  EXPECT_EQ(admins[0].messages_in, 1u);
  EXPECT_EQ(hub().clients([](const ClientInfo&) { return true; }).size(), 3u);
  const auto info = hub().client(client(0).id());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->id, client(0).id());
  EXPECT_FALSE(hub().client("no-such-client").has_value());
}

TEST(HubClients, ACustomIdGeneratorNamesClients) {
  HubServer server(add_marker, {}, {.client_id = [](const Request& request) {
                     return "user-" + request.query("name").value_or("anon");
                   }});
  HubClient ada(server.port(), "/ws?name=ada");
  EXPECT_EQ(ada.id(), "user-ada");
  EXPECT_TRUE(server.hub().is_connected("user-ada"));
  EXPECT_TRUE(server.hub().send_to("user-ada", "hello", 1));
  EXPECT_EQ(ada.next()["type"], "hello");
}

TEST(HubClients, PastTheRateLimitAMessageIsAnsweredRateLimited) {
  HubSettings settings;
  settings.websocket.rate_limit_messages = 2;
  settings.websocket.rate_limit_window = std::chrono::minutes(1);
  HubServer server(add_marker, settings);
  HubClient client(server.port());
  EXPECT_EQ(client.request("marker", {}, 1)["type"], "response");
  EXPECT_EQ(client.request("marker", {}, 2)["type"], "response");
  const json limited = client.request("marker", {}, 3);
  EXPECT_EQ(limited["type"], "error");
  EXPECT_EQ(limited["data"]["code"], hub_error::rate_limited);
  EXPECT_EQ(limited["id"], 3);
  client.send_text("not json");  // past the limit, even a bad message gets rate_limited only
  const json second = client.next();
  EXPECT_EQ(second["data"]["code"], hub_error::rate_limited);
  EXPECT_FALSE(second.contains("id"));
}

}  // namespace
}  // namespace wisp::test
