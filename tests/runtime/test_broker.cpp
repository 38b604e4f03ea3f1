// The calls that address clients and topics beyond one loop, through the local broker (the
// default): the asynchronous cluster-wide forms answer as the node-local ones do, on the calling
// loop thread from a handler and at once from a plain thread; calls after the app stopped are
// safe; a command payload that does not decode is counted, never a crash.
#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "broker/payload.hpp"
#include "raw_client.hpp"
#include "server/app_state.hpp"
#include "server/engine_commands.hpp"
#include "server_thread.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

constexpr std::uint8_t kText = 0x1;
constexpr auto kLimit = std::chrono::seconds(5);

std::string joined(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  std::string out;
  for (const std::string& item : items) out.append(out.empty() ? "" : ",").append(item);
  return out;
}

// /chat sockets are registered and subscribed to "news"; they are told their id on open. A
// message "ask:WHAT[:ARG]" runs one asynchronous call from the handler; its callback answers the
// asker "WHAT:VALUE:same" (or ":other" if it ran on another thread than the handler's).
class AsyncServer {
 public:
  AsyncServer() : app_({.threads = 2}) {
    app_.ws("/chat", {.settings = {.client_registry = true},
                      .open =
                          [](WebSocket& ws) {
                            ws.subscribe("news");
                            ws.send(std::string("id:").append(ws.client_id()));
                          },
                      .message = [this](WebSocket& ws, std::string_view m,
                                        OpCode) { ask(std::string(ws.client_id()), m); }});
    running_.emplace(app_);
  }
  App& app() { return app_; }
  ServerThread& running() { return *running_; }

  std::pair<std::unique_ptr<RawClient>, std::string> join() {
    auto client = std::make_unique<RawClient>(app_.port());
    client->handshake("/chat");
    const auto hello = client->read_frame();
    return {std::move(client), hello ? hello->payload.substr(3) : ""};
  }

 private:
  // The callback for `what`: answers `asker` with the value and where the callback ran.
  auto answer(std::string asker, std::string what) {
    return [this, asker, what, thread = std::this_thread::get_id()](const std::string& value) {
      const char* where = std::this_thread::get_id() == thread ? "same" : "other";
      app_.send_to(asker, what + ":" + value + ":" + where);
    };
  }

  void ask(std::string asker, std::string_view message) {
    const std::string what(message.substr(4, message.find(':', 4) - 4));
    const std::string arg(message.size() > 5 + what.size() ? message.substr(5 + what.size()) : "");
    auto reply = answer(asker, what);
    if (what == "count") app_.client_count([=](std::size_t n) { reply(std::to_string(n)); });
    if (what == "subscribers")
      app_.subscriber_count(arg, [=](std::size_t n) { reply(std::to_string(n)); });
    if (what == "ids") app_.client_ids([=](std::vector<std::string> ids) { reply(joined(ids)); });
    if (what == "has") app_.is_connected(arg, [=](bool yes) { reply(yes ? "1" : "0"); });
    if (what == "client") {
      app_.client(arg, [=](std::optional<ClientInfo> info) {
        reply(info ? info->id + "@" + info->route : "none");
      });
    }
    if (what == "send") {
      app_.send_to(arg, "from:" + asker, OpCode::Text, [=](bool sent) { reply(sent ? "1" : "0"); });
    }
  }

  App app_;
  std::optional<ServerThread> running_;
};

std::string next_text(RawClient& client) {
  const auto frame = client.read_frame();
  return frame ? frame->payload : "<no frame>";
}

std::string asked(RawClient& client, std::string_view question) {
  client.send_frame(kText, std::string("ask:").append(question));
  return next_text(client);
}

TEST(LocalBroker, AsyncFormsAnswerOnTheCallingLoopThreadWithThisNodesValues) {
  AsyncServer server;
  auto [a, a_id] = server.join();
  auto [b, b_id] = server.join();
  EXPECT_EQ(asked(*a, "count"), "count:2:same");
  EXPECT_EQ(asked(*a, "subscribers:news"), "subscribers:2:same");
  EXPECT_EQ(asked(*a, "subscribers:none"), "subscribers:0:same");
  EXPECT_EQ(asked(*a, "ids"), "ids:" + joined({a_id, b_id}) + ":same");
  EXPECT_EQ(asked(*a, "has:" + b_id), "has:1:same");
  EXPECT_EQ(asked(*a, "has:nobody"), "has:0:same");
  EXPECT_EQ(asked(*a, "client:" + b_id), "client:" + b_id + "@/chat:same");
  EXPECT_EQ(asked(*a, "client:nobody"), "client:none:same");
  EXPECT_EQ(asked(*a, "send:nobody"), "send:0:same");
  EXPECT_EQ(asked(*a, "send:" + b_id), "send:1:same");
  EXPECT_EQ(next_text(*b), "from:" + a_id);
}

// Waits for a callback's value; nullopt after the limit (a guard against a hang).
template <class T>
std::optional<T> awaited(std::future<T> future) {
  if (future.wait_for(kLimit) != std::future_status::ready) return std::nullopt;
  return future.get();
}

TEST(LocalBroker, AsyncFormsAnswerAtOnceOnAPlainThread) {
  AsyncServer server;
  auto [a, a_id] = server.join();
  auto [b, b_id] = server.join();
  App& app = server.app();
  const auto here = std::this_thread::get_id();

  std::promise<std::pair<std::size_t, bool>> count;
  app.client_count([&](std::size_t n) {
    count.set_value({n, std::this_thread::get_id() == here});
  });
  EXPECT_EQ(awaited(count.get_future()), std::make_pair(std::size_t{2}, true));

  std::promise<std::size_t> subscribers;
  app.subscriber_count("news", [&](std::size_t n) { subscribers.set_value(n); });
  EXPECT_EQ(awaited(subscribers.get_future()), 2u);

  std::promise<std::string> ids;
  app.client_ids([&](std::vector<std::string> all) { ids.set_value(joined(all)); });
  EXPECT_EQ(awaited(ids.get_future()), joined({a_id, b_id}));

  std::promise<bool> connected, gone;
  app.is_connected(a_id, [&](bool yes) { connected.set_value(yes); });
  app.is_connected("nobody", [&](bool yes) { gone.set_value(yes); });
  EXPECT_EQ(awaited(connected.get_future()), true);
  EXPECT_EQ(awaited(gone.get_future()), false);

  std::promise<std::string> info;
  app.client(b_id, [&](std::optional<ClientInfo> i) { info.set_value(i ? i->id : "none"); });
  EXPECT_EQ(awaited(info.get_future()), b_id);

  std::promise<bool> sent;
  app.send_to(b_id, "hello b", OpCode::Text, [&](bool yes) { sent.set_value(yes); });
  EXPECT_EQ(awaited(sent.get_future()), true);
  EXPECT_EQ(next_text(*b), "hello b");

  std::promise<bool> closed;
  app.disconnect(a_id, 4000, "bye", [&](bool yes) { closed.set_value(yes); });
  EXPECT_EQ(awaited(closed.get_future()), true);
  const auto close = a->read_until_close_frame();
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 4000);
}

TEST(LocalBroker, WithClientAndSetMetadataById) {
  AsyncServer server;
  auto [a, a_id] = server.join();
  App& app = server.app();
  EXPECT_FALSE(app.with_client("nobody", [](WebSocket&) {}));
  EXPECT_TRUE(app.with_client(a_id, [](WebSocket&) { throw std::runtime_error("reported"); }));
  EXPECT_TRUE(app.with_client(a_id, [](WebSocket& ws) { ws.send("via with_client"); }));
  EXPECT_EQ(next_text(*a), "via with_client");  // the throwing action hurt nothing
  EXPECT_FALSE(app.set_metadata("nobody", "k", "v"));
  EXPECT_TRUE(app.set_metadata(a_id, "k", "v"));
  EXPECT_EQ(app.client(a_id)->metadata.at("k"), "v");
}

TEST(LocalBroker, CallsAfterTheAppStoppedAreDroppedSafely) {
  auto server = std::make_unique<AsyncServer>();
  auto [a, a_id] = server->join();
  App& app = server->app();
  app.stop();
  EXPECT_EQ(a->read_until_close_frame()->close_code(), 1001);
  a.reset();  // gone without answering: the loops need not wait for it
  ASSERT_TRUE(server->running().stopped_within(kLimit));
  // The loops are gone; the app (and its broker) stay: every call reaches nothing, and says so.
  app.publish("news", "late");
  EXPECT_EQ(app.broadcast("late"), 0u);
  EXPECT_FALSE(app.send_to(a_id, "late"));
  std::promise<std::size_t> count;
  app.client_count([&](std::size_t n) { count.set_value(n); });
  EXPECT_EQ(awaited(count.get_future()), 0u);
  EXPECT_EQ(app.metrics().websockets, 0u);
  server.reset();
}

TEST(LocalBroker, MetricsNameTheBroker) {
  AsyncServer server;
  const Metrics metrics = server.app().metrics();
  EXPECT_EQ(metrics.broker.kind, "local");
  EXPECT_TRUE(metrics.broker.up);
  EXPECT_EQ(metrics.broker.malformed, 0u);
  EXPECT_NE(metrics.prometheus().find("\nwisp_broker_up 1\n"), std::string::npos);
}

// What another node may send: damaged payloads for every engine command, unknown kinds.
TEST(ClusterNode, AMalformedCommandIsCountedAndIgnored) {
  server::AppState state(AppOptions{});
  using broker::PayloadWriter;
  auto malformed = [&] { return state.metrics().broker.malformed; };

  state.node.command(server::kind::send, "\xff\xff\xff");  // cut short
  EXPECT_EQ(malformed(), 1u);
  state.node.command(server::kind::send, PayloadWriter().text("id").number(8).text("x").take());
  EXPECT_EQ(malformed(), 2u);  // a close frame is no message
  state.node.command(server::kind::close, PayloadWriter().text("id").number(1005).text("").take());
  EXPECT_EQ(malformed(), 3u);  // a code that may not be sent
  state.node.command("wisp.no_such_kind", "");
  EXPECT_EQ(malformed(), 4u);
  EXPECT_EQ(state.node.answer("wisp.no_such_question", ""), "");
  EXPECT_EQ(malformed(), 5u);

  // Well-formed, for a client that is not here: nothing to do, nothing wrong.
  state.node.command(server::kind::send, PayloadWriter().text("id").number(1).text("x").take());
  state.node.command(server::kind::broadcast_to,
                     PayloadWriter().number(2).text("x").texts({"a", "b"}).take());
  EXPECT_EQ(malformed(), 5u);

  // Random bytes for every kind: counted (or harmless), never a crash.
  std::mt19937 random(11);
  const std::string_view kinds[] = {server::kind::send, server::kind::close, server::kind::probe,
                                    server::kind::broadcast, server::kind::broadcast_to};
  const std::string_view questions[] = {server::kind::subscribers, server::kind::client};
  for (int i = 0; i < 2000; ++i) {
    std::string bytes(random() % 24, '\0');
    for (char& c : bytes) c = static_cast<char>(random());
    state.node.command(kinds[i % 5], bytes);
    state.node.answer(questions[i % 2], bytes);
  }
  EXPECT_GT(malformed(), 5u);
  EXPECT_FALSE(server::decode_client("\x01"));
}

}  // namespace
}  // namespace wisp::test
