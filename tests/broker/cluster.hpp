// What the Redis broker tests share: settings short enough for faults to show within a test, and
// waits on Redis' own view (subscriptions) before a message is sent.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "broker_node.hpp"
#include "redis_server.hpp"

namespace wisp::test {

inline RedisOptions test_options(const std::string& url) {
  RedisOptions options;
  options.url = url;
  // A node is taken for dead after 2 s of silence: long enough that a sanitizer build on a busy
  // CI machine is not, short enough for the tests that kill one.
  options.heartbeat_interval = 200ms;
  options.node_timeout = 2s;
  options.reconnect_min = 20ms;
  options.reconnect_max = 200ms;
  options.gather_timeout = 2s;
  return options;
}

inline bool all_up(std::initializer_list<const BrokerNode*> nodes) {
  return eventually([&] {
    for (auto* node : nodes)
      if (!node->status().up) return false;
    return true;
  });
}

// Until Redis counts `count` subscribers of the channel (PUBSUB NUMSUB).
inline bool subscribed(RedisClient& redis, const std::string& channel, long long count) {
  return eventually([&] { return redis.subscribers(channel) == count; });
}

inline broker::Publish text(std::string_view topic, std::string_view message) {
  return broker::Publish{topic, message, OpCode::Text, true, {}};
}

}  // namespace wisp::test
