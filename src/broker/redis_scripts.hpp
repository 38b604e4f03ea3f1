// The Lua scripts the Redis broker runs (EVALSHA; loaded on every connection). Each does in one
// round trip what would otherwise need several, and atomically. Times are Redis' own clock
// (TIME), so that the nodes' clocks need not agree.
//
// Keys, under the prefix P:  P"clients" a hash client id -> node id;  P"node-clients:"N the set of
// node N's client ids;  P"nodes" a sorted set node id -> last heartbeat (ms).
#pragma once

#include <string>
#include <string_view>

namespace wisp::broker::scripts {

// KEYS: clients, nodes. ARGV: client id, message, node channel prefix, node timeout (ms).
// PUBLISHes the message to the channel of the live node holding the id: the receivers (0: unknown
// id or dead node).
inline constexpr std::string_view route = R"lua(
local node = redis.call('HGET', KEYS[1], ARGV[1])
if not node then return 0 end
local seen = redis.call('ZSCORE', KEYS[2], node)
if not seen then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if tonumber(seen) < now - tonumber(ARGV[4]) then return 0 end
return redis.call('PUBLISH', ARGV[3] .. node, ARGV[2])
)lua";

// KEYS: nodes, clients. ARGV: this node, node timeout (ms), prefix of the node-clients keys.
// Records this node's heartbeat and forgets the nodes silent for the timeout (their directory
// entries, unless another node has taken the id since). 1 when this node was not known (Redis
// lost its data, or this node was taken for dead): its entries must be written again.
inline constexpr std::string_view heartbeat = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local fresh = redis.call('ZADD', KEYS[1], now, ARGV[1])
for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))) do
  local set = ARGV[3] .. node
  for _, id in ipairs(redis.call('SMEMBERS', set)) do
    if redis.call('HGET', KEYS[2], id) == node then redis.call('HDEL', KEYS[2], id) end
  end
  redis.call('DEL', set)
  redis.call('ZREM', KEYS[1], node)
end
return fresh
)lua";

// KEYS: clients, this node's clients, nodes. ARGV: this node, "1" to leave the cluster too.
// Forgets this node's directory entries (before they are written again, or at a graceful stop).
inline constexpr std::string_view forget = R"lua(
for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('HGET', KEYS[1], id) == ARGV[1] then redis.call('HDEL', KEYS[1], id) end
end
redis.call('DEL', KEYS[2])
if ARGV[2] == '1' then redis.call('ZREM', KEYS[3], ARGV[1]) end
return 0
)lua";

// KEYS: clients, this node's clients. ARGV: client id, this node. A client left this node (the id
// stays if another node has taken it since).
inline constexpr std::string_view remove_client = R"lua(
redis.call('SREM', KEYS[2], ARGV[1])
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
)lua";

std::string sha1_hex(std::string_view text);

}  // namespace wisp::broker::scripts
