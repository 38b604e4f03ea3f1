// Service actions through a real redis-server: each call answered by exactly one node of the
// service, errors and timeouts said clearly.
#include <future>
#include <map>

#include "broker/service_actions.hpp"
#include "cluster.hpp"

namespace wisp::test {
namespace {

using broker::ServiceActions;
using Status = ActionResult::Status;

// A ServiceActions on a loop thread of its own, as the App's primary loop would run it.
class ActionsNode {
 public:
  ActionsNode(const RedisOptions& options, std::string service,
              std::function<void(ServiceActions&)> offer = {}) {
    actions = std::make_unique<ServiceActions>(options, std::move(service));
    if (offer) offer(*actions);
    std::promise<net::EventLoop*> started;
    thread_ = std::thread([&] {
      net::EventLoop loop;
      started.set_value(&loop);
      loop.run();
      actions.reset();
    });
    loop_ = started.get_future().get();
    run([this] { actions->start(*loop_); });
  }
  ~ActionsNode() {
    run([this] { actions->stop(); });
    loop_->stop();
    thread_.join();
  }
  void run(std::function<void()> task) {
    std::promise<void> done;
    loop_->post([&] {
      task();
      done.set_value();
    });
    if (done.get_future().wait_for(10s) != std::future_status::ready)
      throw std::runtime_error("the loop did not run a task in 10 s");
  }
  // A call and its result, waited for at most 10 s.
  std::optional<ActionResult> call(const std::string& service, const std::string& action,
                                   json payload, std::chrono::milliseconds timeout = 5s) {
    std::promise<ActionResult> result;
    actions->call(service, action, std::move(payload), timeout,
                  [&](ActionResult answer) { result.set_value(std::move(answer)); });
    auto future = result.get_future();
    if (future.wait_for(10s) != std::future_status::ready) return std::nullopt;
    return future.get();
  }

  std::unique_ptr<ServiceActions> actions;

 private:
  std::thread thread_;
  net::EventLoop* loop_ = nullptr;
};

void offer_who(ServiceActions& actions, std::string name) {
  actions.action("who", [name](const json& payload) -> json {
    return {{"node", name}, {"echo", payload}};
  });
  actions.action("fail", [](const json&) -> json { throw std::runtime_error("no such user"); });
}

class ServiceActionsTest : public ::testing::Test {
 protected:
  RedisServer redis;
  RedisOptions options = test_options(redis.url());
  ActionsNode one{options, "svc", [](ServiceActions& a) { offer_who(a, "one"); }};
  ActionsNode two{options, "svc", [](ServiceActions& a) { offer_who(a, "two"); }};
  ActionsNode caller{options, ""};
  void SetUp() override {
    ASSERT_TRUE(eventually([&] {
      return one.actions->status().up && two.actions->status().up && caller.actions->status().up;
    }));
  }
};

TEST_F(ServiceActionsTest, EachCallIsAnsweredByExactlyOneNodeOfTheService) {
  constexpr int count = 40;
  std::map<std::string, int> by_node;
  for (int i = 0; i < count; ++i) {
    auto result = caller.call("svc", "who", {{"n", i}});
    ASSERT_TRUE(result);
    ASSERT_TRUE(result->ok()) << result->error;
    EXPECT_EQ(result->result["echo"]["n"], i);
    ++by_node[result->result["node"].get<std::string>()];
  }
  EXPECT_EQ(by_node["one"] + by_node["two"], count);
  EXPECT_EQ(one.actions->status().served + two.actions->status().served, count);
  auto status = caller.actions->status();
  EXPECT_EQ(status.calls, count);
  EXPECT_EQ(status.answered, count);
  EXPECT_EQ(status.timeouts, 0u);
}

TEST_F(ServiceActionsTest, CallsInParallelShareTheWork) {
  constexpr int count = 200;
  std::promise<void> all;
  std::atomic<int> answered{0}, ok{0};
  for (int i = 0; i < count; ++i) {
    caller.actions->call("svc", "who", i, 10s, [&](ActionResult result) {
      if (result.ok() && result.result["echo"].is_number()) ++ok;
      if (++answered == count) all.set_value();
    });
  }
  ASSERT_EQ(all.get_future().wait_for(15s), std::future_status::ready);
  EXPECT_EQ(ok, count);
  EXPECT_EQ(one.actions->status().served + two.actions->status().served, count);
}

TEST_F(ServiceActionsTest, AHandlerThatThrowsAnswersAnError) {
  auto result = caller.call("svc", "fail", {});
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, Status::failed);
  EXPECT_EQ(result->error, "no such user");
}

TEST_F(ServiceActionsTest, AnUnknownActionAnswersAnError) {
  auto result = caller.call("svc", "nope", {});
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, Status::failed);
  EXPECT_EQ(result->error, "service \"svc\" has no action \"nope\"");
}

TEST_F(ServiceActionsTest, AServiceWithNoNodeTimesOut) {
  auto result = caller.call("nobody", "who", {}, 200ms);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, Status::timeout);
  EXPECT_EQ(result->error, "no node of service \"nobody\" answered \"who\" within 200 ms");
  EXPECT_EQ(caller.actions->status().timeouts, 1u);
  // The call does not wait in Redis for ever.
  RedisClient client = redis.client();
  EXPECT_TRUE(eventually([&] { return client.integer({"EXISTS", "wisp:svc:nobody"}) == 0; }));
}

TEST_F(ServiceActionsTest, ACallTakenAfterItsDeadlineIsNotRun) {
  RedisClient client = redis.client();
  // Its caller gave up long ago (deadline: 1 ms after the epoch).
  client.command(
      {"RPUSH", "wisp:svc:svc",
       R"({"v":1,"id":"late:1","action":"who","payload":{},"reply":"wisp:reply:late","deadline":1})"});
  ASSERT_TRUE(eventually(
      [&] { return one.actions->status().expired + two.actions->status().expired == 1; }));
  EXPECT_EQ(one.actions->status().served + two.actions->status().served, 0u);
}

TEST_F(ServiceActionsTest, AMalformedCallIsCountedAndIgnored) {
  RedisClient client = redis.client();
  client.command({"RPUSH", "wisp:svc:svc", "{not json"});
  client.command({"RPUSH", "wisp:svc:svc", R"({"v":2,"id":"x","action":"who","reply":"r"})"});
  ASSERT_TRUE(eventually(
      [&] { return one.actions->status().malformed + two.actions->status().malformed == 2; }));
  auto result = caller.call("svc", "who", 1);  // and the service goes on
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->ok());
}

TEST(ServiceActionsFaults, RedisNeverThereTheCallIsUnavailable) {
  std::string url;
  {
    RedisServer gone;
    url = gone.url();
  }
  ActionsNode caller{test_options(url), ""};
  auto result = caller.call("svc", "who", {}, 200ms);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, Status::unavailable);
  EXPECT_EQ(result->error, "Redis was not reachable within 200 ms");
}

TEST(ServiceActionsFaults, ACallMadeBeforeRedisAnswersWaitsForIt) {
  RedisServer redis;
  RedisOptions options = test_options(redis.url());
  ActionsNode one{options, "svc", [](ServiceActions& a) { offer_who(a, "one"); }};
  ASSERT_TRUE(eventually([&] { return one.actions->status().up; }));
  redis.pause();
  ActionsNode caller{options, ""};
  std::promise<ActionResult> result;
  caller.actions->call("svc", "who", 1, 10s, [&](ActionResult r) { result.set_value(r); });
  EXPECT_FALSE(caller.actions->status().up);
  redis.resume();
  auto future = result.get_future();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(future.get().ok());
}

TEST(ServiceActionsOffer, AnActionNeedsAService) {
  ServiceActions actions(test_options("redis://127.0.0.1:1"), "");
  EXPECT_THROW(actions.action("x", [](const json&) { return json(); }), std::logic_error);

  EXPECT_THROW(ServiceActions(test_options("http://x"), "svc"), std::invalid_argument);
}

}  // namespace
}  // namespace wisp::test
