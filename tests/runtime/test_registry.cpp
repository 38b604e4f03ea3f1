// The client registry on the real server: ids, metadata and counters, sends by id, broadcasts
// and disconnects from plain threads, across two loops.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "raw_client.hpp"
#include "server_thread.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

constexpr std::uint8_t kText = 0x1;

// /chat sockets are registered: they are told their id on open, "meta:K=V" sets metadata and
// answers "ok", anything else is echoed. /plain sockets are not registered.
class RegistryServer {
 public:
  explicit RegistryServer(unsigned threads = 2) : app_({.threads = threads}) {
    app_.ws(
        "/chat",
        {.settings = {.client_registry = true},
         .open = [](WebSocket& ws) { ws.send(std::string("id:").append(ws.client_id())); },
         .message = [](WebSocket& ws, std::string_view m, OpCode op) { on_message(ws, m, op); }});
    app_.ws("/plain",
            {.open = [](WebSocket& ws) { ws.send(ws.client_id().empty() ? "no id" : "id!"); }});
    running_.emplace(app_);
  }
  App& app() { return app_; }

  // Connects to /chat; returns the client and its id as the server announced it.
  std::pair<std::unique_ptr<RawClient>, std::string> join() {
    auto client = std::make_unique<RawClient>(app_.port());
    client->handshake("/chat");
    const auto hello = client->read_frame();
    std::string id = hello ? hello->payload.substr(3) : "";
    return {std::move(client), id};
  }

 private:
  static void on_message(WebSocket& ws, std::string_view m, OpCode op) {
    if (m.starts_with("meta:")) {
      const auto eq = m.find('=');
      ws.set_metadata(std::string(m.substr(5, eq - 5)), std::string(m.substr(eq + 1)));
      ws.send("ok");
    } else {
      ws.send(m, op);
    }
  }

  App app_;
  std::optional<ServerThread> running_;
};

std::string next_text(RawClient& client) {
  const auto frame = client.read_frame();
  return frame ? frame->payload : "<no frame>";
}

TEST(Registry, IdsAreUniqueUnguessableAndOnlyOnRegisteredRoutes) {
  RegistryServer server;
  std::set<std::string> ids;
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 20; ++i) {
    auto [client, id] = server.join();
    EXPECT_EQ(id.size(), 22u) << id;  // 128 random bits
    ids.insert(id);
    clients.push_back(std::move(client));
  }
  EXPECT_EQ(ids.size(), 20u);
  EXPECT_EQ(server.app().client_count(), 20u);
  const auto listed = server.app().client_ids();
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()), ids);
  RawClient plain(server.app().port());
  plain.handshake("/plain");
  EXPECT_EQ(next_text(plain), "no id");
  EXPECT_EQ(server.app().client_count(), 20u);
}

TEST(Registry, SendToReachesOneClientOnEitherLoopAndFailsForUnknownIds) {
  RegistryServer server;
  auto [a, a_id] = server.join();
  auto [b, b_id] = server.join();
  std::thread([&] {
    EXPECT_TRUE(server.app().send_to(b_id, "for b"));
    EXPECT_TRUE(server.app().send_to(a_id, "for a"));
    EXPECT_FALSE(server.app().send_to("no-such-client", "lost"));
  }).join();
  EXPECT_EQ(next_text(*a), "for a");
  EXPECT_EQ(next_text(*b), "for b");
}

TEST(Registry, BroadcastAndBroadcastToCountWhomTheyReach) {
  RegistryServer server;
  std::vector<std::pair<std::unique_ptr<RawClient>, std::string>> clients;
  for (int i = 0; i < 6; ++i) clients.push_back(server.join());
  EXPECT_EQ(server.app().broadcast("to all"), 6u);
  for (auto& [client, id] : clients) EXPECT_EQ(next_text(*client), "to all");
  const std::vector<std::string> some = {clients[1].second, "unknown", clients[4].second};
  EXPECT_EQ(server.app().broadcast_to(some, "to some"), 2u);
  clients[0].first->send_frame(kText, "marker");  // a's next frame shows whether it got "to some"
  EXPECT_EQ(next_text(*clients[0].first), "marker");
  EXPECT_EQ(next_text(*clients[1].first), "to some");
  EXPECT_EQ(next_text(*clients[4].first), "to some");
}

TEST(Registry, MetadataAndCountersAreVisibleFromOtherThreads) {
  RegistryServer server;
  auto [a, a_id] = server.join();
  a->send_frame(kText, "meta:name=ada");
  EXPECT_EQ(next_text(*a), "ok");
  a->send_frame(kText, "hello");
  EXPECT_EQ(next_text(*a), "hello");
  const auto info = server.app().client(a_id);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->route, "/chat");
  EXPECT_TRUE(info->remote_address.starts_with("127.0.0.1:")) << info->remote_address;
  EXPECT_EQ(info->metadata.at("name"), "ada");
  EXPECT_EQ(info->messages_in, 2u);
  EXPECT_EQ(info->messages_out, 3u);  // the id, "ok", the echo
  EXPECT_EQ(info->bytes_in, std::string("meta:name=ada").size() + 5);
  EXPECT_GE(info->last_activity, info->connected_at);
  auto [b, b_id] = server.join();
  const auto named =
      server.app().clients([](const ClientInfo& c) { return c.metadata.contains("name"); });
  ASSERT_EQ(named.size(), 1u);
  EXPECT_EQ(named[0].id, a_id);
  EXPECT_FALSE(server.app().client("nobody"));
}

TEST(Registry, DisconnectClosesWithTheCodeAndForgetsTheClient) {
  RegistryServer server;
  auto [a, a_id] = server.join();
  EXPECT_THROW(server.app().disconnect(a_id, 1005), std::invalid_argument);
  EXPECT_TRUE(server.app().disconnect(a_id, 4001, "kicked"));
  const auto close = a->read_until_close_frame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 4001);
  EXPECT_EQ(close->close_reason(), "kicked");
  EXPECT_FALSE(server.app().is_connected(a_id));
  EXPECT_FALSE(server.app().disconnect(a_id));
  EXPECT_EQ(server.app().client_count(), 0u);
}

TEST(Registry, ACustomGeneratorNamesClientsFromTheUpgradeRequestAndIdsStayUnique) {
  App app({.client_id = [](const Request& request) { return request.query("user").value_or(""); }});
  app.ws("/chat", {.settings = {.client_registry = true},
                   .open = [](WebSocket& ws) { ws.send(std::string(ws.client_id())); }});
  ServerThread running(app);
  RawClient ada(running.port());
  ada.handshake("/chat?user=ada");
  EXPECT_EQ(next_text(ada), "ada");
  EXPECT_TRUE(app.is_connected("ada"));
  RawClient again(running.port());
  again.send(RawClient::upgrade_request("/chat?user=ada"));
  EXPECT_EQ(again.read_http_response().status, 409);
  RawClient anonymous(running.port());
  anonymous.handshake("/chat");
  EXPECT_EQ(next_text(anonymous).size(), 22u);
}

// Registry calls from many threads while clients come and go (also a ThreadSanitizer test).
TEST(Registry, ConcurrentUseFromManyThreads) {
  RegistryServer server;
  std::vector<std::pair<std::unique_ptr<RawClient>, std::string>> clients;
  for (int i = 0; i < 8; ++i) clients.push_back(server.join());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int n = 0; n < 50; ++n) {
        for (auto& [client, id] : clients) server.app().send_to(id, "x");
        (void)server.app().clients([](const ClientInfo& c) { return c.messages_out > 0; });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (auto& [client, id] : clients) {
    for (int i = 0; i < 200; ++i) ASSERT_EQ(next_text(*client), "x");
  }
}

}  // namespace
}  // namespace wisp::test
