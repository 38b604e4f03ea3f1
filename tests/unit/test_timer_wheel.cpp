// The timer wheel (net/timer_wheel.hpp), driven by explicit time points: no sleeping.
#include "net/timer_wheel.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace wisp::net {
namespace {

using namespace std::chrono_literals;
using Clock = TimerWheel::Clock;

struct Probe : TimerNode {
  Probe(std::vector<int>& log, int id) : TimerNode(&Probe::fired), log(log), id(id) {}
  static void fired(TimerNode& node) {
    auto& self = static_cast<Probe&>(node);
    self.log.push_back(self.id);
    if (self.on_fire) self.on_fire();
  }
  std::vector<int>& log;
  int id;
  std::function<void()> on_fire;
};

struct WheelTest : testing::Test {
  Clock::time_point t0 = Clock::now();
  TimerWheel wheel{10ms, 8, t0};  // small wheel: 80 ms a turn, so long delays take several turns
  std::vector<int> log;
};

TEST_F(WheelTest, FiresAtItsTickNotBefore) {
  Probe a(log, 1);
  wheel.schedule(a, 30ms);
  wheel.advance(t0 + 29ms);
  EXPECT_TRUE(log.empty());
  wheel.advance(t0 + 30ms);
  EXPECT_EQ(log, std::vector{1});
  EXPECT_FALSE(a.scheduled());
  EXPECT_EQ(wheel.size(), 0u);
}

TEST_F(WheelTest, DelaysLongerThanATurnWaitForTheirTurn) {
  Probe a(log, 1), b(log, 2);
  wheel.schedule(a, 250ms);  // same slot as 10 ms, three turns later
  wheel.schedule(b, 10ms);
  wheel.advance(t0 + 249ms);
  EXPECT_EQ(log, std::vector{2});
  wheel.advance(t0 + 250ms);
  EXPECT_EQ(log, (std::vector{2, 1}));
}

TEST_F(WheelTest, FiresInTickOrderAcrossAJump) {
  Probe a(log, 1), b(log, 2), c(log, 3);
  wheel.schedule(c, 70ms);
  wheel.schedule(a, 20ms);
  wheel.schedule(b, 40ms);
  wheel.advance(t0 + 1s);
  EXPECT_EQ(log, (std::vector{1, 2, 3}));
}

TEST_F(WheelTest, CancelAndReschedule) {
  Probe a(log, 1);
  wheel.schedule(a, 20ms);
  wheel.cancel(a);
  wheel.cancel(a);  // twice is fine
  wheel.advance(t0 + 30ms);
  EXPECT_TRUE(log.empty());
  wheel.schedule(a, 20ms);
  wheel.schedule(a, 60ms);  // moves it
  wheel.advance(t0 + 80ms);
  EXPECT_TRUE(log.empty());
  wheel.advance(t0 + 90ms);
  EXPECT_EQ(log, std::vector{1});
}

TEST_F(WheelTest, CallbackMayCancelATimerDueInTheSameTick) {
  Probe a(log, 1), b(log, 2);
  a.on_fire = [&] { wheel.cancel(b); };
  wheel.schedule(a, 10ms);
  wheel.schedule(b, 10ms);
  wheel.advance(t0 + 10ms);
  EXPECT_EQ(log, std::vector{1});
  EXPECT_EQ(wheel.size(), 0u);
}

TEST_F(WheelTest, CallbackMayRescheduleItself) {
  Probe a(log, 1);
  a.on_fire = [&] {
    if (log.size() < 3) wheel.schedule(a, 10ms);
  };
  wheel.schedule(a, 10ms);
  for (int ms = 10; ms <= 100; ms += 10) wheel.advance(t0 + std::chrono::milliseconds(ms));
  EXPECT_EQ(log, (std::vector{1, 1, 1}));
}

TEST_F(WheelTest, WaitIsUntilTheNextTickOrForeverWhenEmpty) {
  EXPECT_EQ(wheel.wait_ms(t0), -1);
  Probe a(log, 1);
  wheel.schedule(a, 50ms);
  EXPECT_EQ(wheel.wait_ms(t0 + 3ms), 7);
  EXPECT_EQ(wheel.wait_ms(t0 + 10ms), 0);
}

TEST_F(WheelTest, ZeroDelayFiresOnTheNextTick) {
  Probe a(log, 1);
  wheel.schedule(a, 0ms);
  wheel.advance(t0 + 9ms);
  EXPECT_TRUE(log.empty());
  wheel.advance(t0 + 10ms);
  EXPECT_EQ(log, std::vector{1});
}

}  // namespace
}  // namespace wisp::net
