// The Lua scripts of hub room presence in Redis (broker/redis_presence.hpp; EVALSHA, loaded on
// every connection of the command link). Times are Redis' own clock (TIME).
//
// Keys, under the prefix P:
//   P"presence:"K          a hash per room key K: client id -> {"node": node id, "info": {...}}
//   P"node-presence:"N     the set of node N's entries, each "<length of K>:" K client-id
//   P"presence-nodes"      a sorted set node id -> its last presence refresh (ms)
// A node refreshes its entries with each heartbeat; one silent for the presence ttl is reaped by
// the next live node's refresh. Every key expires twice the ttl after its last refresh, so that
// nothing stays when no node is left to reap.
#pragma once

#include <string>
#include <string_view>

namespace wisp::broker::scripts {

// Shared by every presence script.
inline constexpr std::string_view presence_prelude = R"lua(
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function split(entry)
  local colon = string.find(entry, ':', 1, true)
  local n = tonumber(string.sub(entry, 1, colon - 1))
  return string.sub(entry, colon + 1, colon + n), string.sub(entry, colon + n + 1)
end
local function drop(hash, id, node)
  local value = redis.call('HGET', hash, id)
  if value and cjson.decode(value).node == node then
    redis.call('HDEL', hash, id)
    return true
  end
  return false
end
)lua";

// KEYS: the room's hash, this node's set, presence-nodes. ARGV: client id, info (JSON), this node,
// the set's entry, key lifetime (ms).
inline constexpr std::string_view presence_add = R"lua(
redis.call('HSET', KEYS[1], ARGV[1], '{"node":' .. cjson.encode(ARGV[3]) .. ',"info":' .. ARGV[2] .. '}')
redis.call('SADD', KEYS[2], ARGV[4])
redis.call('ZADD', KEYS[3], now_ms(), ARGV[3])
for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, ARGV[5]) end
return 0
)lua";

// KEYS: the room's hash, this node's set. ARGV: client id, this node, the set's entry. (The entry
// stays if another node has taken the id in this room since.)
inline constexpr std::string_view presence_remove = R"lua(
redis.call('SREM', KEYS[2], ARGV[3])
drop(KEYS[1], ARGV[1], ARGV[2])
return 0
)lua";

// KEYS: this node's set. ARGV: this node, the prefix of the room hashes. Forgets this node's
// entries (before they are written again, or at a graceful stop).
inline constexpr std::string_view presence_forget = R"lua(
for _, entry in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key, id = split(entry)
  drop(ARGV[2] .. key, id, ARGV[1])
end
redis.call('DEL', KEYS[1])
return 0
)lua";

// KEYS: presence-nodes, this node's set. ARGV: this node, ttl (ms), the prefix of the room
// hashes, the prefix of the node sets. Refreshes this node's entries and reaps the nodes silent
// for the ttl. Returns {fresh, K1, id1, K2, id2, ...}: fresh is 1 when this node was not known
// (Redis lost its data, or this node was reaped: its entries must be written again), then the
// entries reaped.
inline constexpr std::string_view presence_refresh = R"lua(
local now, ttl = now_ms(), tonumber(ARGV[2])
local fresh = redis.call('ZADD', KEYS[1], now, ARGV[1])
local refreshed = {}
for _, entry in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local key = split(entry)
  if not refreshed[key] then
    refreshed[key] = true
    redis.call('PEXPIRE', ARGV[3] .. key, 2 * ttl)
  end
end
redis.call('PEXPIRE', KEYS[2], 2 * ttl)
redis.call('PEXPIRE', KEYS[1], 2 * ttl)
local answer = {fresh}
for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - ttl)) do
  local set = ARGV[4] .. node
  for _, entry in ipairs(redis.call('SMEMBERS', set)) do
    local key, id = split(entry)
    if drop(ARGV[3] .. key, id, node) then
      table.insert(answer, key)
      table.insert(answer, id)
    end
  end
  redis.call('DEL', set)
  redis.call('ZREM', KEYS[1], node)
end
return answer
)lua";

// KEYS: the room's hash. ARGV: a client id to leave out (may be empty). Its entries, but that one.
inline constexpr std::string_view presence_count = R"lua(
local n = redis.call('HLEN', KEYS[1])
if ARGV[1] ~= '' and redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then n = n - 1 end
return n
)lua";

}  // namespace wisp::broker::scripts
