// Reconnection's policy (client/backoff.hpp): web/wisp.js's delays, jitter and final codes.
#include <gtest/gtest.h>

#include "client/backoff.hpp"

namespace wisp::client {
namespace {

using std::chrono::milliseconds;

TEST(Backoff, GrowsByTheFactorUpToTheMaximum) {
  const ReconnectSettings settings{.enabled = true};  // 500 ms, x2, at most 10 s
  EXPECT_EQ(backoff_delay(settings, 0, 0.0), milliseconds(500));
  EXPECT_EQ(backoff_delay(settings, 1, 0.0), milliseconds(1000));
  EXPECT_EQ(backoff_delay(settings, 4, 0.0), milliseconds(8000));
  EXPECT_EQ(backoff_delay(settings, 5, 0.0), milliseconds(10'000));
  EXPECT_EQ(backoff_delay(settings, 60, 0.0), milliseconds(10'000));
}

TEST(Backoff, JitterShortensByUpToItsShare) {
  const ReconnectSettings half{.enabled = true};
  EXPECT_EQ(backoff_delay(half, 1, 0.5), milliseconds(750));
  EXPECT_EQ(backoff_delay(half, 1, 0.999), milliseconds(500));
  const ReconnectSettings full{.enabled = true, .jitter = 1.0};
  EXPECT_EQ(backoff_delay(full, 1, 0.25), milliseconds(750));
  EXPECT_EQ(backoff_delay(full, 1, 0.999), milliseconds(1));
}

TEST(Backoff, StopsOnFinalCodesAndAfterTheAttempts) {
  const ReconnectSettings settings{.enabled = true, .attempts = 3};
  EXPECT_TRUE(should_reconnect(settings, close_code::abnormal, 0));
  EXPECT_TRUE(should_reconnect(settings, close_code::going_away, 2));
  EXPECT_FALSE(should_reconnect(settings, close_code::going_away, 3));
  EXPECT_FALSE(should_reconnect(settings, close_code::normal, 0));
  EXPECT_FALSE(should_reconnect(settings, close_code::policy_violation, 0));
  EXPECT_FALSE(should_reconnect({}, close_code::abnormal, 0));  // off by default
}

}  // namespace
}  // namespace wisp::client
