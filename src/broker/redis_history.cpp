// The Redis broker's streams: appends and reads by script (broker/redis_history.hpp).
#include <algorithm>

#include "broker/payload.hpp"
#include "broker/redis_broker.hpp"
#include "net/event_loop.hpp"

namespace wisp::broker {

StreamReading::StreamReading(RedisBroker& broker, std::uint64_t id, StreamReadDone done)
    : TimerNode(&expire), broker(broker), id(id), done(std::move(done)) {}

void StreamReading::expire(net::TimerNode& node) {
  auto& self = static_cast<StreamReading&>(node);
  self.broker.finish_read(self.id, std::nullopt);
}

std::optional<StreamRead> decode_stream_read(std::string_view payload) {
  PayloadReader in(payload);
  StreamRead read;
  read.epoch = in.text();
  read.offset = in.number();
  read.first = in.number();
  read.envelopes = in.texts();
  if (!in.done()) return std::nullopt;
  return read;
}

std::optional<Publish> decode_positioned(std::string_view topic, const wire::Message& message) {
  PayloadReader in(message.payload);
  const std::string_view epoch = in.text();
  const std::uint64_t offset = in.number();
  const std::string_view kept = in.text();
  if (!in.done() || kept.empty() || offset == 0) return std::nullopt;
  return Publish{.topic = topic,
                 .message = kept.substr(1),  // after its opcode
                 .op = message.op,
                 .compress = message.compress,
                 .ordered = true,
                 .offset = offset,
                 .epoch = epoch};
}

std::vector<std::string> RedisBroker::stream_keys(std::string_view topic) const {
  return {options_.prefix + "history:" + std::string(topic),
          options_.prefix + "history-meta:" + std::string(topic)};
}

// Like publish(), but this node's subscribers get it from Redis too (an ordered message).
void RedisBroker::history_append(const HistoryAppend& message) {
  std::string header;
  try {
    header = wire::encode_topic(node_id_, message.op, true, message.except_client, {}, true,
                                message.raw);
  } catch (const std::length_error&) {
    lost_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::vector<std::string> keys = stream_keys(message.topic);
  submit({{"EVALSHA", append_sha_, "2", std::move(keys[0]), std::move(keys[1]),
           topic_channel(message.topic), std::move(header), std::string(message.head),
           std::to_string(message.size), std::to_string(message.ttl.count()),
           options_.sharded_pubsub ? "SPUBLISH" : "PUBLISH", message.raw ? "raw" : ""},
          {}});
}

void RedisBroker::history_read(const HistoryRead& read, StreamReadDone done) {
  const std::uint64_t id = next_request_.fetch_add(1, std::memory_order_relaxed);
  std::vector<std::string> keys = stream_keys(read.topic);
  std::vector<std::string> args = {"EVALSHA",
                                   read_sha_,
                                   "2",
                                   std::move(keys[0]),
                                   std::move(keys[1]),
                                   read.since ? std::to_string(*read.since) : "",
                                   std::to_string(read.max),
                                   std::to_string(std::max<long long>(read.ttl.count(), 1)),
                                   node_channel_,
                                   wire::encode_answer(node_id_, id, {})};
  inbox_->run([this, id, args = std::move(args), done = std::move(done),
               topic = std::string(read.topic), subscribe = read.subscribe]() mutable {
    if (!accepting()) return done(std::nullopt);
    auto reading = std::make_unique<StreamReading>(*this, id, std::move(done));
    reading->args = std::move(args);
    start_read(std::move(reading), std::move(topic), subscribe);
  });
}

// A read that subscribes waits for Redis to confirm the subscription: then every message
// published after the read reaches this node.
void RedisBroker::start_read(std::unique_ptr<StreamReading> reading, std::string topic,
                             bool subscribe) {
  const std::uint64_t id = reading->id;
  loop_->timers().schedule(*reading, options_.gather_timeout);
  readings_.emplace(id, std::move(reading));
  if (!subscribe) return send_read(id);
  std::string channel = topic_channel(topic);
  if (topics_.insert(topic).second) {
    confirmed_.erase(channel);  // an unsubscription may be on its way still
    subscribe_topics({topic}, true);
  }
  if (confirmed_.contains(channel)) return send_read(id);
  reads_waiting_[std::move(channel)].push_back(id);
}

void RedisBroker::send_read(std::uint64_t request) {
  const auto found = readings_.find(request);
  if (found == readings_.end()) return;  // timed out meanwhile
  send({std::move(found->second->args), [this, request](long long receivers) {
          if (receivers <= 0) finish_read(request, std::nullopt);  // never to be answered
        }});
}

void RedisBroker::on_subscribed(std::string_view channel) {
  const auto confirmed = confirmed_.emplace(channel).first;
  const auto waiting = reads_waiting_.find(*confirmed);
  if (waiting == reads_waiting_.end()) return;
  const std::vector<std::uint64_t> reads = std::move(waiting->second);
  reads_waiting_.erase(waiting);
  for (const std::uint64_t request : reads) send_read(request);
}

bool RedisBroker::on_read_answer(std::uint64_t request, std::string_view payload) {
  if (!readings_.contains(request)) return false;
  std::optional<StreamRead> read = decode_stream_read(payload);
  if (!read) malformed_.fetch_add(1, std::memory_order_relaxed);
  finish_read(request, std::move(read));
  return true;
}

void RedisBroker::finish_read(std::uint64_t request, std::optional<StreamRead> read) {
  const auto found = readings_.find(request);
  if (found == readings_.end()) return;
  std::unique_ptr<StreamReading> reading = std::move(found->second);
  readings_.erase(found);
  loop_->timers().cancel(*reading);
  reading->done(std::move(read));
}

}  // namespace wisp::broker
