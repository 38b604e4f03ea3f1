// App::stop_on_signals and reload_on_sighup block their signals as soon as they are called, so a
// thread the program starts before run() cannot take a SIGTERM meant for the app (and die of it).
#include <gtest/gtest.h>
#include <signal.h>

#include <functional>
#include <thread>

#include "wisp/wisp.hpp"

namespace wisp::test {
namespace {

bool blocked(int signal) {
  sigset_t mask;
  pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  return sigismember(&mask, signal) == 1;
}

// Runs `body` on a thread of its own, so that the test process keeps its signal mask.
void on_own_thread(const std::function<void()>& body) { std::thread(body).join(); }

TEST(Signals, StopOnSignalsBlocksSigintAndSigtermAtOnceAndInThreadsStartedAfter) {
  on_own_thread([] {
    App app;
    ASSERT_FALSE(blocked(SIGTERM));
    app.stop_on_signals();
    EXPECT_TRUE(blocked(SIGINT));
    EXPECT_TRUE(blocked(SIGTERM));
    EXPECT_FALSE(blocked(SIGHUP));
    bool worker_blocks = false;
    std::thread([&] { worker_blocks = blocked(SIGINT) && blocked(SIGTERM); }).join();
    EXPECT_TRUE(worker_blocks) << "a thread started before run() could take the app's SIGTERM";
  });
}

TEST(Signals, ReloadOnSighupBlocksSighupAtOnce) {
  on_own_thread([] {
    App app;
    ASSERT_FALSE(blocked(SIGHUP));
    app.reload_on_sighup();
    EXPECT_TRUE(blocked(SIGHUP));
    EXPECT_FALSE(blocked(SIGTERM));
  });
}

}  // namespace
}  // namespace wisp::test
