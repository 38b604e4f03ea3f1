// The broker's log events (docs/logs.md): its Redis links lost and retried, the broker up or
// down. Rare by nature (a retry waits at least RedisOptions::reconnect_min), so at info/warn.
#pragma once

#include <chrono>
#include <string_view>

#include "broker/redis_url.hpp"

namespace wisp::broker::broker_log {

// "redis.lost" (warn): a ready connection to Redis failed.
void lost(const RedisEndpoint& endpoint, std::string_view why);
// "redis.retry" (info): the next connection attempt, after `delay`; `why` the last failure.
void retrying(const RedisEndpoint& endpoint, std::string_view why, std::chrono::milliseconds delay,
              unsigned failures);
// "broker.up" (info) / "broker.down" (warn): every link of the node's broker ready, or not.
void state(bool up, std::string_view node_id);

}  // namespace wisp::broker::broker_log
