// The loop's inbox: posts from other threads run on the loop in posting order, a batch of them
// costs one wake-up, and posts to a loop that ended are dropped (destroyed, never run).
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "net/event_loop.hpp"
#include "net/inbox.hpp"

namespace wisp::net {
namespace {

constexpr auto kLimit =
    std::chrono::seconds(10);  // every wait is bounded: a bug fails, never hangs

// An EventLoop on a thread of its own: run() until stop(), then kept (not destroyed) until the
// test lets it go, so that posts after the end can be tried.
class LoopThread {
 public:
  LoopThread() {
    std::promise<EventLoop*> made;
    auto loop = made.get_future();
    thread_ = std::thread([this, &made] {
      EventLoop loop;
      made.set_value(&loop);
      loop.run();
      ended_.set_value();
      release_.get_future().wait_for(kLimit);
    });
    loop_ = loop.get();
  }
  ~LoopThread() {
    if (!released_) {
      loop_->stop();
      release_.set_value();
    }
    thread_.join();
  }
  EventLoop& loop() { return *loop_; }
  bool stop_and_wait_until_ended() {
    loop_->stop();
    return ended_.get_future().wait_for(kLimit) == std::future_status::ready;
  }
  // Destroys the loop (and joins its thread).
  void destroy() {
    released_ = true;
    release_.set_value();
    thread_.join();
    thread_ = std::thread([] {});
  }

 private:
  EventLoop* loop_ = nullptr;
  std::promise<void> ended_, release_;
  bool released_ = false;
  std::thread thread_;
};

TEST(Inbox, ManyPostsWhileTheLoopIsBusyRunInOrderInOneBatchWithOneWakeUp) {
  LoopThread thread;
  EventLoop& loop = thread.loop();
  std::promise<void> busy, go_on;
  loop.post([&] {
    busy.set_value();
    go_on.get_future().wait_for(kLimit);
  });
  ASSERT_EQ(busy.get_future().wait_for(kLimit), std::future_status::ready);
  const std::uint64_t wakeups_before = loop.wakeups();

  std::vector<int> order;  // written on the loop thread only
  std::promise<std::uint64_t> batches_seen;
  std::thread poster([&] {
    for (int i = 0; i < 1000; ++i) loop.post([&order, i] { order.push_back(i); });
    loop.post([&] { batches_seen.set_value(loop.batches()); });
  });
  poster.join();
  EXPECT_EQ(loop.wakeups(), wakeups_before + 1);  // the first post of the batch alone woke it
  go_on.set_value();

  auto batches = batches_seen.get_future();
  ASSERT_EQ(batches.wait_for(kLimit), std::future_status::ready);
  EXPECT_EQ(batches.get(), 1u);  // the busy task's batch ended; the 1001 posts are the second
  ASSERT_EQ(order.size(), 1000u);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(order[i], i);
}

TEST(Inbox, PostsFromManyThreadsKeepEachThreadsOrder) {
  LoopThread thread;
  EventLoop& loop = thread.loop();
  constexpr int kThreads = 4, kPosts = 20000;
  std::vector<int> next(kThreads, 0);  // loop thread only
  int out_of_order = 0;
  std::vector<std::thread> posters;
  for (int t = 0; t < kThreads; ++t) {
    posters.emplace_back([&, t] {
      for (int i = 0; i < kPosts; ++i) {
        loop.post([&, t, i] {
          if (next[t] != i) ++out_of_order;
          next[t] = i + 1;
        });
      }
    });
  }
  for (auto& poster : posters) poster.join();
  std::promise<void> all_ran;
  loop.post([&] { all_ran.set_value(); });
  ASSERT_EQ(all_ran.get_future().wait_for(kLimit), std::future_status::ready);
  EXPECT_EQ(out_of_order, 0);
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(next[t], kPosts);
  EXPECT_LT(loop.wakeups(), static_cast<std::uint64_t>(kThreads * kPosts));  // batched
}

TEST(Inbox, PostsToALoopThatEndedAreDroppedNotRun) {
  LoopThread thread;
  ASSERT_TRUE(thread.stop_and_wait_until_ended());
  auto held = std::make_shared<int>(0);
  std::weak_ptr<int> watch = held;
  bool ran = false;
  thread.loop().post([&ran, held = std::move(held)] { ran = true; });
  EXPECT_FALSE(watch.expired());  // queued...
  thread.destroy();
  EXPECT_TRUE(watch.expired());  // ...and destroyed with the loop
  EXPECT_FALSE(ran);
}

TEST(Inbox, PushSaysWhenTheInboxWasEmpty) {
  Inbox inbox;
  std::vector<int> ran;
  EXPECT_TRUE(inbox.push([&] { ran.push_back(1); }));
  EXPECT_FALSE(inbox.push([&] { ran.push_back(2); }));
  EXPECT_EQ(inbox.run_all(), 2u);
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  EXPECT_TRUE(inbox.push([&] { ran.push_back(3); }));
  EXPECT_EQ(inbox.run_all(), 1u);
  EXPECT_EQ(inbox.run_all(), 0u);
}

}  // namespace
}  // namespace wisp::net
