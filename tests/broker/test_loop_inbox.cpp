// LoopInbox: work from any thread runs on the loop in the order it was given.
#include <gtest/gtest.h>

#include <future>
#include <thread>
#include <vector>

#include "broker/loop_inbox.hpp"
#include "net/event_loop.hpp"

namespace wisp::broker {
namespace {

using namespace std::chrono_literals;

TEST(LoopInbox, KeptUntilAttachedThenRunOnTheLoopInOrder) {
  auto inbox = std::make_shared<LoopInbox>();
  std::vector<int> ran;  // touched on the loop thread only, read after join
  inbox->run([&] { ran.push_back(1); });
  std::promise<net::EventLoop*> started;
  std::thread thread([&] {
    net::EventLoop loop;
    started.set_value(&loop);
    loop.run();
  });
  net::EventLoop* loop = started.get_future().get();
  std::promise<void> attached;
  loop->post([&] {
    inbox->attach(*loop);
    attached.set_value();
  });
  ASSERT_EQ(attached.get_future().wait_for(10s), std::future_status::ready);
  // The loop is busy in a task while this thread gives 2 (queued); then the loop gives 3, which
  // must not overtake 2.
  std::promise<void> busy, queued, done;
  loop->post([&] {
    busy.set_value();
    queued.get_future().wait_for(10s);
    inbox->run([&] { ran.push_back(3); });
    inbox->run([&] { done.set_value(); });
  });
  ASSERT_EQ(busy.get_future().wait_for(10s), std::future_status::ready);
  inbox->run([&] { ran.push_back(2); });
  queued.set_value();
  ASSERT_EQ(done.get_future().wait_for(10s), std::future_status::ready);
  loop->stop();
  thread.join();
  EXPECT_EQ(ran, (std::vector<int>{1, 2, 3}));
}

TEST(LoopInbox, ATaskGivenWhileABatchRunsWaitsForTheRestOfTheBatch) {
  auto inbox = std::make_shared<LoopInbox>();
  std::vector<int> ran;
  std::promise<net::EventLoop*> started;
  std::thread thread([&] {
    net::EventLoop loop;
    started.set_value(&loop);
    loop.run();
  });
  net::EventLoop* loop = started.get_future().get();
  // Both kept, so they form one batch at attach: the first gives a task on the loop thread.
  inbox->run([&] {
    inbox->run([&] { ran.push_back(3); });
    ran.push_back(1);
  });
  inbox->run([&] { ran.push_back(2); });
  std::promise<void> done;
  loop->post([&] {
    inbox->attach(*loop);
    inbox->run([&] { done.set_value(); });
  });
  ASSERT_EQ(done.get_future().wait_for(10s), std::future_status::ready);
  loop->stop();
  thread.join();
  EXPECT_EQ(ran, (std::vector<int>{1, 2, 3}));
}

TEST(LoopInbox, AfterDetachTasksRunAtOnceOnTheCallingThread) {
  auto inbox = std::make_shared<LoopInbox>();
  bool ran = false;
  inbox->detach();
  inbox->run([&] { ran = true; });
  EXPECT_TRUE(ran);
}

}  // namespace
}  // namespace wisp::broker
