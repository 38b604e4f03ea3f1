// Background tasks (App::every, App::after), and the client registry used from one.
#include <gtest/gtest.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <type_traits>

#include "raw_client.hpp"
#include "server_thread.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

using std::chrono::milliseconds;

// A value the server's threads change and the test waits on.
struct Shared {
  std::mutex mutex;
  std::condition_variable changed;
  int ticks = 0;
  int ticks_seen_after_cancel = -1;

  void tick() {
    std::lock_guard lock(mutex);
    ++ticks;
    changed.notify_all();
  }
  template <class Pred>
  bool wait(Pred pred) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, std::chrono::seconds(5), pred);
  }
};

// Handles come from App::every and App::after only (the constructor is not public API).
static_assert(!std::is_constructible_v<TimerHandle, std::shared_ptr<server::ScheduledTask>>);

TEST(Tasks, EveryRepeatsUntilCancelledAndAfterRunsOnce) {
  App app;
  Shared shared;
  TimerHandle ticker = app.every(milliseconds(20), [&] { shared.tick(); });  // before run()
  ServerThread running(app);
  ASSERT_TRUE(shared.wait([&] { return shared.ticks >= 3; }));
  ticker.cancel();
  EXPECT_FALSE(ticker.active());
  int at_cancel;
  {
    std::lock_guard lock(shared.mutex);
    at_cancel = shared.ticks;
  }
  // Several of the old interval later, on the same timer thread, the count has not moved.
  TimerHandle check = app.after(milliseconds(100), [&] {
    std::lock_guard lock(shared.mutex);
    shared.ticks_seen_after_cancel = shared.ticks;
    shared.changed.notify_all();
  });
  ASSERT_TRUE(shared.wait([&] { return shared.ticks_seen_after_cancel >= 0; }));
  EXPECT_LE(shared.ticks_seen_after_cancel, at_cancel + 1);  // a run under way may finish
  EXPECT_FALSE(check.active());
}

TEST(Tasks, AThrowingTaskKeepsItsSchedule) {
  App app;
  Shared shared;
  app.every(milliseconds(10), [&] {
    shared.tick();
    throw std::runtime_error("task failed");
  });
  ServerThread running(app);
  EXPECT_TRUE(shared.wait([&] { return shared.ticks >= 3; }));
}

TEST(Tasks, EveryRefusesANonPositiveInterval) {
  App app;
  EXPECT_THROW(app.every(milliseconds(0), [] {}), std::invalid_argument);
}

TEST(Tasks, RegistryUsedFromATimerReachesTheClient) {
  App app({.threads = 2});
  app.ws("/c", {.settings = {.client_registry = true}});
  app.every(milliseconds(10), [&] {
    for (const auto& id : app.client_ids()) app.send_to(id, "tick");
  });
  ServerThread running(app);
  RawClient client(running.port());
  client.handshake("/c");
  for (int i = 0; i < 3; ++i) {
    const auto frame = client.read_frame();
    ASSERT_TRUE(frame);
    EXPECT_EQ(frame->payload, "tick");
  }
}

}  // namespace
}  // namespace wisp::test
