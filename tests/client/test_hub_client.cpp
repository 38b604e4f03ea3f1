// wisp::HubClient against a real hub (an App in this process): requests and their errors and
// timeouts, handlers and the server's acks, the queue while the server is gone, the register and
// joins sent again after a reconnect, a room with history recovered, and closing for good.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "wisp/wisp.hpp"

namespace wisp {
namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 5s;  // every wait of these tests: a regression fails, never hangs

// Values a client's handlers produce, in order, for the test thread to wait on.
template <class T>
class Inbox {
 public:
  void put(T value) {
    std::lock_guard lock(mutex_);
    values_.push_back(std::move(value));
    changed_.notify_all();
  }
  T take() {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_for(lock, kWait, [&] { return !values_.empty(); }))
      throw std::runtime_error("timed out waiting for the client");
    T value = std::move(values_.front());
    values_.erase(values_.begin());
    return value;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<T> values_;
};

// A hub on /ws of an App that runs on its own thread (and may be stopped and started again on
// the same port, as a restarted server).
class HubServer {
 public:
  explicit HubServer(std::function<void(Hub&)> setup, HubSettings settings = {})
      : setup_(std::move(setup)), settings_(std::move(settings)) {
    start();
  }
  void start(std::uint16_t port = 0) {
    app_.emplace();
    hub_ = &app_->hub("/ws", settings_);
    setup_(*hub_);
    app_->listen("127.0.0.1", port);
    port_ = app_->port();
    stopped_ = std::async(std::launch::async, [this] { app_->run(); });
  }
  void stop() {
    app_->stop();
    stopped_.wait();
    app_.reset();
  }
  ~HubServer() {
    if (app_) stop();
  }
  App& app() { return *app_; }
  Hub& hub() { return *hub_; }
  std::string url() const { return "ws://127.0.0.1:" + std::to_string(port_) + "/ws"; }
  std::uint16_t port() const { return port_; }

 private:
  std::function<void(Hub&)> setup_;
  HubSettings settings_;
  std::optional<App> app_;
  Hub* hub_ = nullptr;
  std::uint16_t port_ = 0;
  std::future<void> stopped_;
};

HubClientSettings quick_reconnect() {
  HubClientSettings settings;
  settings.connection.reconnect.initial_delay = 20ms;
  settings.connection.reconnect.max_delay = 100ms;
  return settings;
}

// The client's state changes, and the wait for one.
struct States {
  Inbox<HubStateChange> changes;
  void watch(HubClient& client) {
    client.on_state([this](const HubStateChange& change) { changes.put(change); });
  }
  HubStateChange until(HubClientState state) {
    for (;;) {
      HubStateChange change = changes.take();
      if (change.state == state) return change;
    }
  }
};

HubResponse request(HubClient& client, std::string_view type, json data,
                    std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
  auto answer = std::make_shared<std::promise<HubResponse>>();
  client.request(
      type, std::move(data), [answer](HubResponse r) { answer->set_value(std::move(r)); }, timeout);
  auto future = answer->get_future();
  if (future.wait_for(kWait) != std::future_status::ready) throw std::runtime_error("no answer");
  return future.get();
}

void add_math(Hub& hub) {
  hub.on("add",
         [](Event& ev) -> json { return ev.data()[0].get<int>() + ev.data()[1].get<int>(); });
  hub.on("refuse", [](Event&) -> json { throw HubError("not_allowed", "no, thanks"); });
}

TEST(HubClient, RequestsGetTheirResponseOrTheServersError) {
  HubServer server(add_math);
  HubClient client;
  States states;
  states.watch(client);
  client.connect(server.url());
  states.until(HubClientState::open);

  const HubResponse sum = request(client, "add", {2, 3});
  ASSERT_TRUE(sum.ok()) << sum.error;
  EXPECT_EQ(sum.data, 5);

  const HubResponse refused = request(client, "refuse", nullptr);
  EXPECT_EQ(refused.error, "not_allowed");
  EXPECT_EQ(refused.message, "no, thanks");
  EXPECT_EQ(refused.data["code"], "not_allowed");

  EXPECT_EQ(request(client, "no_such_type", nullptr).error, hub_error::unknown_type);
  EXPECT_FALSE(client.client_id().empty());
}

TEST(HubClient, ARequestWithoutAnAnswerTimesOut) {
  std::vector<Reply> kept;  // answered never (until the server goes)
  std::mutex kept_mutex;
  HubServer server([&](Hub& hub) {
    hub.on("slow", [&](Event& ev) -> json {
      std::lock_guard lock(kept_mutex);
      kept.push_back(ev.defer());
      return nullptr;
    });
  });
  HubClient client;
  client.connect(server.url());
  const HubResponse late = request(client, "slow", nullptr, 50ms);
  EXPECT_EQ(late.error, hub_client_error::timeout);
  std::lock_guard lock(kept_mutex);
  kept.clear();  // Replies must not outlive the App: they answer (too late) before it goes
}

TEST(HubClient, HandlersGetEventsAndTheirReturnAnswersTheServersAck) {
  Inbox<Ack> acks;
  Inbox<std::string> joined;
  HubServer server([&](Hub& hub) {
    hub.on("ready", [&](Event& ev) -> json {
      const std::string id(ev.client_id());
      hub.send_to(id, "double", 21, [&](Ack a) { acks.put(std::move(a)); });
      hub.send_to(id, "later", "x", [&](Ack a) { acks.put(std::move(a)); });
      hub.send_to(id, "nobody_handles_this", 0, [&](Ack a) { acks.put(std::move(a)); });
      hub.send_to(id, "news", "hello");
      return "ok";
    });
  });
  HubClient client;
  Inbox<std::string> news;
  Inbox<std::string> seen_by_all;
  HubAck saved;
  client.on("double", [](HubMessage& m) -> json { return m.data.get<int>() * 2; })
      .on("later", [&](HubMessage& m) { saved = m.defer(); })
      .on("news",
          [&](HubMessage& m) {
            news.put(m.data.get<std::string>());
            EXPECT_FALSE(m.ack.wanted());
            saved.ack("done later");  // "later" came before, and waits for this
            saved.ack("twice");       // only the first answer goes
          })
      .on("*", [&](HubMessage& m) { seen_by_all.put(m.type); });
  client.connect(server.url());
  ASSERT_EQ(request(client, "ready", nullptr).data, "ok");

  const Ack doubled = acks.take();
  ASSERT_TRUE(doubled.ok()) << doubled.error;
  EXPECT_EQ(doubled.data, 42);
  const Ack unknown = acks.take();  // "later" waits for its deferred answer
  EXPECT_EQ(unknown.error, hub_error::unknown_type);
  EXPECT_EQ(news.take(), "hello");
  const Ack later = acks.take();
  ASSERT_TRUE(later.ok()) << later.error;
  EXPECT_EQ(later.data, "done later");
  std::vector<std::string> all;
  for (int i = 0; i < 5; ++i) all.push_back(seen_by_all.take());  // welcome and the four sends
  EXPECT_EQ(all[0], "welcome");
  EXPECT_EQ(all[4], "news");
}

// A server that is not quite a hub: what is not an envelope ({"type": string, ...} as JSON
// text), binary frames, and answers to requests never made are passed over; the envelopes around
// them still reach their handlers and the request its answer.
TEST(HubClient, PassesOverWhatIsNotAnEnvelope) {
  App app;
  app.ws("/ws", {.message = [](WebSocket& ws, std::string_view message, OpCode) {
           const json request = json::parse(message);
           for (const char* junk : {"not json", "[1,2]", R"({"data":1})", R"({"type":7})",
                                    R"({"type":"response","id":999,"data":"stray"})"})
             ws.send(junk);
           ws.send("\x01\x02", OpCode::Binary);
           ws.send(json{{"type", "news"}, {"data", 1}}.dump());
           ws.send(json{{"type", "response"}, {"id", request["id"]}, {"data", "ok"}}.dump());
         }});
  app.listen("127.0.0.1", 0);
  auto running = std::async(std::launch::async, [&] { app.run(); });
  {
    HubClient client;
    Inbox<std::string> seen;
    client.on("*", [&](HubMessage& m) { seen.put(m.type + " " + m.data.dump()); });
    client.connect("ws://127.0.0.1:" + std::to_string(app.port()) + "/ws");
    const HubResponse answer = request(client, "hello", nullptr);
    ASSERT_TRUE(answer.ok()) << answer.error;
    EXPECT_EQ(answer.data, "ok");
    EXPECT_EQ(seen.take(), "response \"stray\"");  // an envelope, answering nothing of ours
    EXPECT_EQ(seen.take(), "news 1");
  }
  app.stop();
  running.wait();
}

// The server is stopped and started again on its port: what was sent meanwhile waits and goes
// out after the register and the joins, which the new server learns again.
TEST(HubClient, ComesBackAfterAServerRestartWithItsRegisterJoinsAndQueue) {
  Inbox<std::string> registered;
  Inbox<json> notes;
  HubServer server(
      [&](Hub& hub) {
        hub.on_register([&](Event& ev) -> json {
          registered.put(ev.data()["name"].get<std::string>());
          return "welcome back";
        });
        hub.on("note", [&](Event& ev) -> json {
          notes.put(json{{"note", ev.data()}, {"rooms", hub.rooms_of(ev.client_id())}});
          return nullptr;
        });
      },
      {.builtin_rooms = true});
  HubClient client(quick_reconnect());
  States states;
  states.watch(client);
  client.connect(server.url());
  client.send("register", {{"name", "ada"}});
  ASSERT_TRUE(request(client, "join", {{"room", "lobby"}}).ok());
  EXPECT_EQ(registered.take(), "ada");
  EXPECT_EQ(client.rooms(), std::vector<std::string>{"lobby"});

  const std::uint16_t port = server.port();
  server.stop();
  const HubStateChange down = states.until(HubClientState::reconnecting);
  EXPECT_EQ(down.attempt, 1);
  client.send("note", 1);  // queued while the server is gone
  client.send("note", 2);
  server.start(port);

  EXPECT_TRUE(states.until(HubClientState::open).reconnected);
  EXPECT_EQ(registered.take(), "ada");
  const json first = notes.take();
  EXPECT_EQ(first["note"], 1);
  EXPECT_EQ(first["rooms"], json({"lobby"}));  // joined again before the queue went out
  EXPECT_EQ(notes.take()["note"], 2);
  EXPECT_EQ(client.unsent(), 0u);
}

TEST(HubClient, ARoomWithHistoryIsRecoveredAfterAReconnect) {
  HubSettings settings{.builtin_rooms = true,
                       .history = {.rooms = {{.prefix = "h:", .size = 100, .ttl = 1min}}}};
  HubServer server([](Hub&) {}, settings);
  HubClient client(quick_reconnect());
  Inbox<int> news;
  Inbox<RoomRecovery> recoveries;
  States states;
  states.watch(client);
  client.on("news", [&](HubMessage& m) { news.put(m.data.get<int>()); })
      .on_recovery([&](const RoomRecovery& r) { recoveries.put(r); });
  // While the client is down (its close handler ran), the room goes on: 4, 5, 6.
  bool emitted = false;
  client.on_state([&](const HubStateChange& change) {
    if (change.state != HubClientState::reconnecting || std::exchange(emitted, true)) return;
    for (int n = 4; n <= 6; ++n) server.hub().room("h:news").emit("news", n);
  });
  client.connect(server.url());
  ASSERT_TRUE(request(client, "join", {{"room", "h:news"}}).ok());
  for (int n = 1; n <= 3; ++n) server.hub().room("h:news").emit("news", n);
  for (int n = 1; n <= 3; ++n) EXPECT_EQ(news.take(), n);
  ASSERT_TRUE(client.position("h:news"));
  EXPECT_EQ(client.position("h:news")->offset, 3u);

  ASSERT_TRUE(server.app().disconnect(client.client_id(), close_code::service_restart, "restart"));
  const RoomRecovery recovery = recoveries.take();
  EXPECT_TRUE(recovery.recovered) << recovery.reason;
  EXPECT_EQ(recovery.room, "h:news");
  EXPECT_EQ(recovery.position.offset, 6u);
  for (int n = 4; n <= 6; ++n) EXPECT_EQ(news.take(), n);  // each once, in order
  server.hub().room("h:news").emit("news", 7);
  EXPECT_EQ(news.take(), 7);
  EXPECT_EQ(client.position("h:news")->offset, 7u);
}

TEST(HubClient, AFinalCloseCodeEndsItAndWhatWaitsFailsClosed) {
  HubServer server(add_math);
  HubClient client(quick_reconnect());
  States states;
  states.watch(client);
  Inbox<std::string> welcomed;  // the client id comes with the welcome, after the open
  client.on("welcome", [&](HubMessage& m) { welcomed.put(m.data["client_id"]); });
  client.connect(server.url());
  const std::string id = welcomed.take();
  EXPECT_EQ(client.client_id(), id);
  ASSERT_TRUE(server.hub().disconnect(id, close_code::normal, "bye"));  // 1000: final
  const HubStateChange closed = states.until(HubClientState::closed);
  EXPECT_EQ(closed.code, close_code::normal);
  EXPECT_EQ(closed.reason, "bye");
  EXPECT_EQ(request(client, "add", {1, 1}).error, hub_client_error::closed);
  client.send("add", {1, 1});
  EXPECT_EQ(request(client, "add", {1, 1}).error, hub_client_error::closed);  // after the send
  EXPECT_EQ(client.unsent(), 1u);
}

TEST(HubClient, CloseWhileTheServerIsGoneFailsTheQueueAndStopsReconnecting) {
  HubServer server(add_math);
  HubClientSettings settings = quick_reconnect();
  settings.queue_limit = 1;
  HubClient client(settings);
  States states;
  states.watch(client);
  client.connect(server.url());
  states.until(HubClientState::open);
  server.stop();
  states.until(HubClientState::reconnecting);
  auto queued = std::make_shared<std::promise<HubResponse>>();
  client.request("add", {1, 2}, [queued](HubResponse r) { queued->set_value(std::move(r)); });
  EXPECT_EQ(request(client, "add", {3, 4}).error, hub_client_error::queue_full);
  client.close(close_code::going_away, "done");
  EXPECT_EQ(states.until(HubClientState::closed).code, close_code::going_away);
  auto answer = queued->get_future();
  ASSERT_EQ(answer.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(answer.get().error, hub_client_error::closed);
  EXPECT_EQ(client.state(), HubClientState::closed);
}

TEST(HubClient, GivesUpAfterItsAttemptsAndSaysWhy) {
  HubClientSettings settings = quick_reconnect();
  settings.connection.reconnect.attempts = 2;
  HubClient client(settings);
  States states;
  states.watch(client);
  client.connect("ws://127.0.0.1:1/ws");  // nothing listens on port 1
  EXPECT_EQ(states.until(HubClientState::reconnecting).attempt, 1);
  EXPECT_EQ(states.until(HubClientState::reconnecting).attempt, 2);
  const HubStateChange closed = states.until(HubClientState::closed);
  EXPECT_EQ(closed.code, close_code::abnormal);
  EXPECT_NE(closed.reason.find("refused"), std::string::npos) << closed.reason;
}

}  // namespace
}  // namespace wisp
