// The Redis broker's streams (Broker::history_append / history_read; docs/redis-wire-format.md):
// per topic T, under the prefix P, a Redis stream P"history:"T (entry id "offset-0", field "e" the
// envelope) and a hash P"history-meta:"T (fields "epoch", "offset": the last one given). Both
// expire HistoryAppend::ttl after the last write. The epoch is made by a script when the hash is
// missing (a new stream, or Redis lost it: restarted empty, expired, evicted), so a lost stream
// never keeps its epoch.
//
// One script appends: it takes the next offset, XADDs the envelope (MAXLEN exact: a room keeps
// what its rule says, as on one node), refreshes the expiry and PUBLISHes the envelope to the
// topic's channel as an ordered topic message (broker_wire.hpp), which every node delivers, the
// publisher's too: all deliver in the order Redis gave the offsets.
//
// Another reads, and PUBLISHes what it read to the asking node's own channel (an 'A' message with
// the read's request id) instead of returning it: on the node's subscriber connection that answer
// comes after every topic message published before the read and before every later one, so the
// node can subscribe a client at exactly the read's offset. The node sends the read once Redis has
// confirmed its subscription of the topic's channel.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "broker/broker.hpp"
#include "broker/broker_wire.hpp"
#include "net/timer_wheel.hpp"

namespace wisp::broker {

class RedisBroker;

namespace scripts {

// The stream's epoch, made (and the stream emptied, for ids to start at 1 again) when its hash is
// missing; and a number as broker/payload.hpp writes it. Both scripts start with them.
inline constexpr std::string_view stream_epoch = R"lua(
local function number(n)
  local out = ''
  repeat
    local low = n % 128
    n = math.floor(n / 128)
    if n > 0 then low = low + 128 end
    out = out .. string.char(low)
  until n == 0
  return out
end
local function stream_epoch(stream, meta, ttl)
  local epoch = redis.call('HGET', meta, 'epoch')
  if epoch then return epoch end
  local t = redis.call('TIME')
  epoch = t[1] .. '-' .. t[2]
  redis.call('DEL', stream)
  redis.call('HSET', meta, 'epoch', epoch, 'offset', 0)
  redis.call('PEXPIRE', meta, ttl)
  return epoch
end
)lua";

// KEYS: stream, meta. ARGV: channel, topic message header, envelope head (a topic's: the kept
// message), size, ttl (ms), PUBLISH or SPUBLISH, "raw" for a topic's. A room's envelope is kept
// and published whole; a topic's message is kept as it is and published positioned
// (broker_wire.hpp): epoch, offset, message. The receivers of the publish.
inline constexpr std::string_view append_body = R"lua(
local epoch = stream_epoch(KEYS[1], KEYS[2], ARGV[5])
local offset = redis.call('HINCRBY', KEYS[2], 'offset', 1)
local kept, published
if ARGV[7] == 'raw' then
  kept = ARGV[3]
  published = number(#epoch) .. epoch .. number(offset) .. number(#kept) .. kept
else
  kept = ARGV[3] .. offset .. ',"epoch":"' .. epoch .. '"}'
  published = kept
end
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[4], offset .. '-0', 'e', kept)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return redis.call(ARGV[6], ARGV[1], ARGV[2] .. published)
)lua";

// KEYS: stream, meta. ARGV: since ("" for none), max, ttl (ms), the node's channel, the answer
// message's header. Publishes, in broker/payload.hpp's fields: epoch, offset, first kept offset,
// the envelopes (texts).
inline constexpr std::string_view read_body = R"lua(
local epoch = stream_epoch(KEYS[1], KEYS[2], ARGV[3])
local top = tonumber(redis.call('HGET', KEYS[2], 'offset'))
local first = top + 1
local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
if #oldest > 0 then first = tonumber(string.match(oldest[1][1], '^%d+')) end
local max = tonumber(ARGV[2])
local entries = {}
if ARGV[1] == '' then
  if max > 0 then
    local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', max)
    for i = #newest, 1, -1 do entries[#entries + 1] = newest[i] end
  end
elseif top - tonumber(ARGV[1]) <= max then
  entries = redis.call('XRANGE', KEYS[1], tostring(tonumber(ARGV[1]) + 1), '+')
end
local out = {ARGV[5], number(#epoch), epoch, number(top), number(first), number(#entries)}
for _, entry in ipairs(entries) do
  local envelope = entry[2][2]
  out[#out + 1] = number(#envelope)
  out[#out + 1] = envelope
end
return redis.call('PUBLISH', ARGV[4], table.concat(out))
)lua";

}  // namespace scripts

// A read waiting for its answer on the node's channel; its own timer node (the gather timeout).
struct StreamReading : net::TimerNode {
  StreamReading(RedisBroker& broker, std::uint64_t id, StreamReadDone done);
  static void expire(net::TimerNode& node);
  RedisBroker& broker;
  std::uint64_t id;
  StreamReadDone done;
  std::vector<std::string> args;  // the script call, sent once the topic is subscribed
};

// A topic's kept message as published by the append script, or nullopt when it does not decode.
std::optional<Publish> decode_positioned(std::string_view topic, const wire::Message& message);

// The answer's payload, or nullopt when it does not decode.
std::optional<StreamRead> decode_stream_read(std::string_view payload);

}  // namespace wisp::broker
