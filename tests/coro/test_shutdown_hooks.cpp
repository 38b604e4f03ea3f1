// App::on_shutdown: at a graceful shutdown the hooks run on the primary loop, in order, before the
// sockets are closed (so a farewell published there reaches them), bounded together by
// ShutdownOptions::hooks_timeout; a hook that throws does not stop the others.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "coro_server.hpp"

namespace wisp::test {
namespace {

using namespace std::chrono_literals;

// A /news route whose sockets subscribe to "news"; `subscribed` is set once one has.
void add_news(App& app, Awaited<bool>& subscribed) {
  app.ws("/news", {.open = [&subscribed](WebSocket& ws) {
           ws.subscribe("news");
           subscribed.set(true);
         }});
}

// The frames a client reads up to the close, answered: "text:... " and "close:CODE".
std::string frames_until_the_end(RawClient& client) {
  std::string log;
  while (const auto frame = client.read_frame()) {
    if (frame->opcode == 0x8) {
      client.send_frame(0x8, frame->payload);  // answer the close: the server need not wait
      return log + "close:" + std::to_string(frame->close_code());
    }
    log += "text:" + frame->payload + " ";
  }
  return log + "end";
}

TEST(ShutdownHooks, RunInOrderBeforeTheSocketsCloseAndAFarewellReachesThem) {
  App app({.threads = 2});
  Awaited<bool> subscribed;
  add_news(app, subscribed);
  std::string log;  // written on the primary loop only, read after run() returned
  std::thread::id hook_thread;
  app.on_shutdown([&]() -> Task<> {
    hook_thread = std::this_thread::get_id();
    co_await sleep(20ms);  // the sockets are still open while a hook awaits
    app.publish("news", "farewell");
    log += "coroutine ";
  });
  app.on_shutdown([&] { throw std::runtime_error("a failing hook"); });
  app.on_shutdown([&] { log += "plain"; });
  EXPECT_THROW(app.on_shutdown(std::function<void()>()), std::invalid_argument);
  ServerThread running(app);
  auto client = open_session(running.port(), "/news");
  ASSERT_TRUE(subscribed.get());

  app.stop();
  EXPECT_EQ(frames_until_the_end(*client), "text:farewell close:1001");
  client.reset();  // TCP ends: the server has nothing left to wait for
  ASSERT_TRUE(running.stopped_within(10s));
  EXPECT_EQ(log, "coroutine plain");
  EXPECT_NE(hook_thread, std::thread::id());
  EXPECT_THROW(app.on_shutdown([] {}), std::logic_error);
}

// Set when the coroutine frame holding it is destroyed (the hook was cancelled).
struct Destroyed {
  std::atomic<bool>& flag;
  ~Destroyed() { flag = true; }
};

TEST(ShutdownHooks, AHookPastTheBoundIsCancelledAndTheShutdownGoesOn) {
  App app;
  Awaited<bool> subscribed;
  add_news(app, subscribed);
  std::atomic<bool> cancelled{false}, later_ran{false};
  app.on_shutdown([&]() -> Task<> {
    Destroyed guard{cancelled};
    co_await sleep(3600s);
  });
  app.on_shutdown([&] { later_ran = true; });
  ServerThread running(app);
  auto client = open_session(running.port(), "/news");
  ASSERT_TRUE(subscribed.get());

  app.shutdown({.code = 1012, .hooks_timeout = 50ms});
  app.shutdown({.code = 1001});  // the first call's terms stand
  EXPECT_EQ(frames_until_the_end(*client), "close:1012");
  client.reset();
  ASSERT_TRUE(running.stopped_within(10s));
  EXPECT_TRUE(cancelled);
  EXPECT_FALSE(later_ran) << "the hooks after the one cut short do not run";
}

}  // namespace
}  // namespace wisp::test
