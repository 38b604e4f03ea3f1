// App::action and App::call through a real redis-server: the Apps of one service share its calls
// (each answered by exactly one), a service with no node times out with a clear error, a handler
// that throws answers an error, and the calls refuse what cannot work (std::logic_error).
#include <atomic>
#include <future>
#include <optional>
#include <stdexcept>
#include <string>

#include "cluster.hpp"
#include "server_thread.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

using Status = ActionResult::Status;

AppOptions service_options(const std::string& url, std::string service) {
  AppOptions options;
  options.redis = test_options(url);
  options.service = std::move(service);
  return options;
}

// An App of service "svc" whose "who" names it (and counts its calls) and whose "fail" throws.
struct ServiceApp {
  ServiceApp(const std::string& url, std::string name) : app(service_options(url, "svc")) {
    app.action("who", [this, name](const json& payload) -> json {
      served.fetch_add(1);
      return {{"node", name}, {"echo", payload}};
    });
    app.action("fail", [](const json&) -> json { throw std::runtime_error("no such user"); });
    running.emplace(app);
  }
  App app;
  std::atomic<int> served{0};
  std::optional<ServerThread> running;
};

// A call from this (non-loop) thread and its result, waited for at most 10 s.
std::optional<ActionResult> call(App& app, const std::string& service, const std::string& action,
                                 json payload, std::chrono::milliseconds timeout = 5s) {
  auto result = std::make_shared<std::promise<ActionResult>>();
  auto future = result->get_future();
  app.call(service, action, std::move(payload), timeout,
           [result](ActionResult answer) { result->set_value(std::move(answer)); });
  if (future.wait_for(10s) != std::future_status::ready) return std::nullopt;
  return future.get();
}

// Until `count` nodes wait for calls (Redis counts their BLPOPs as blocked clients).
bool nodes_waiting(RedisClient& client, int count) {
  return eventually([&] {
    auto info = client.command({"INFO", "clients"}).value_or("");
    return info.find("blocked_clients:" + std::to_string(count) + "\r") != std::string::npos;
  });
}

class AppActionsTest : public ::testing::Test {
 protected:
  RedisServer redis;
  RedisClient client = redis.client();
  ServiceApp one{redis.url(), "one"};
  ServiceApp two{redis.url(), "two"};
  App caller{service_options(redis.url(), "")};
  std::optional<ServerThread> caller_running;

  void SetUp() override {
    caller_running.emplace(caller);
    ASSERT_TRUE(nodes_waiting(client, 2));  // before the first call
  }
};

TEST_F(AppActionsTest, TheAppsOfAServiceShareItsCallsEachAnsweredOnce) {
  constexpr int calls = 20;
  int by_one = 0;
  for (int i = 0; i < calls; ++i) {
    auto result = call(caller, "svc", "who", {{"n", i}});
    ASSERT_TRUE(result.has_value()) << "call " << i << " never ended";
    ASSERT_TRUE(result->ok()) << result->error;
    EXPECT_EQ(result->result["echo"]["n"], i);
    if (result->result["node"] == "one") ++by_one;
  }
  EXPECT_EQ(one.served.load() + two.served.load(), calls);  // none ran twice
  EXPECT_EQ(one.served.load(), by_one);
  // Redis hands each call to the node that has waited longest: both take a share.
  EXPECT_GT(one.served.load(), 0);
  EXPECT_GT(two.served.load(), 0);
}

TEST_F(AppActionsTest, ANodeOfTheServiceCallsItToo) {
  auto result = call(one.app, "svc", "who", "hello");
  ASSERT_TRUE(result.has_value());
  ASSERT_TRUE(result->ok()) << result->error;
  EXPECT_EQ(result->result["echo"], "hello");
}

TEST_F(AppActionsTest, AServiceWithNoNodeTimesOutWithAClearError) {
  auto result = call(caller, "nobody", "who", {}, 300ms);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status, Status::timeout);
  EXPECT_EQ(result->error, "no node of service \"nobody\" answered \"who\" within 300 ms");
}

TEST_F(AppActionsTest, AHandlerThatThrowsAnswersItsError) {
  auto result = call(caller, "svc", "fail", {});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status, Status::failed);
  EXPECT_EQ(result->error, "no such user");
}

TEST_F(AppActionsTest, AnActionTheServiceDoesNotOfferAnswersAnError) {
  auto result = call(caller, "svc", "nope", {});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status, Status::failed);
  EXPECT_EQ(result->error, "service \"svc\" has no action \"nope\"");
}

TEST_F(AppActionsTest, AfterTheAppStoppedACallAnswersUnavailableAtOnce) {
  caller_running.reset();
  std::optional<ActionResult> seen;
  caller.call("svc", "who", {}, 1s, [&](ActionResult result) { seen = std::move(result); });
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->status, Status::unavailable);
  EXPECT_EQ(caller.metrics().actions.unavailable, 1u);
  EXPECT_NE(caller.metrics().prometheus().find("\nwisp_action_unavailable_total 1\n"),
            std::string::npos);
}

// Every call ends in exactly one counter, on the calling node; the node that ran it counts it.
TEST_F(AppActionsTest, MetricsCountTheCallsMadeAndHowTheyEndedAndTheCallsHandledHere) {
  ASSERT_TRUE(call(caller, "svc", "who", {}).value().ok());
  ASSERT_EQ(call(caller, "svc", "fail", {}).value().status, Status::failed);
  ASSERT_EQ(call(caller, "nobody", "who", {}, 300ms).value().status, Status::timeout);

  const ActionMetrics made = caller.metrics().actions;
  EXPECT_TRUE(made.up);
  EXPECT_EQ(made.calls, 3u);
  EXPECT_EQ(made.answered, 2u);
  EXPECT_EQ(made.failed, 1u);
  EXPECT_EQ(made.timeouts, 1u);
  EXPECT_EQ(made.unavailable, 0u);
  EXPECT_EQ(made.handled, 0u);  // the caller offers nothing
  EXPECT_EQ(one.app.metrics().actions.handled + two.app.metrics().actions.handled, 2u);
  EXPECT_EQ(one.app.metrics().actions.calls, 0u);

  const std::string text = caller.metrics().prometheus();
  for (const char* line :
       {"\nwisp_action_up 1\n", "\nwisp_action_calls_total 3\n", "\nwisp_action_answered_total 2\n",
        "\nwisp_action_failed_total 1\n", "\nwisp_action_timeouts_total 1\n",
        "\nwisp_action_unavailable_total 0\n", "\nwisp_action_handled_total 0\n",
        "\nwisp_action_expired_total 0\n", "\nwisp_action_answers_lost_total 0\n",
        "\nwisp_action_malformed_total 0\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line << " in\n" << text;
}

TEST(AppActions, ActionsNeedAServiceRedisAndToBeAddedBeforeRun) {
  auto handler = [](const json&) -> json { return nullptr; };
  App local;
  EXPECT_THROW(local.action("a", handler), std::logic_error);
  EXPECT_THROW(local.call("svc", "a", {}, 1s, [](ActionResult) {}), std::logic_error);

  RedisServer redis;
  App no_service(service_options(redis.url(), ""));
  EXPECT_THROW(no_service.action("a", handler), std::logic_error);

  App running_app(service_options(redis.url(), "svc"));
  running_app.action("a", handler);
  ServerThread running(running_app);
  RedisClient client = redis.client();
  ASSERT_TRUE(nodes_waiting(client, 1));  // it runs
  EXPECT_THROW(running_app.action("b", handler), std::logic_error);
}

}  // namespace
}  // namespace wisp::test
