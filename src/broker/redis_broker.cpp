#include "broker/redis_broker.hpp"

#include <algorithm>
#include <stdexcept>

#include "broker/broker_log.hpp"
#include "broker/random_id.hpp"
#include "broker/redis_connector.hpp"
#include "broker/redis_scripts.hpp"
#include "net/event_loop.hpp"

namespace wisp::broker {
namespace {

constexpr std::size_t max_node_id = 255;
constexpr std::size_t directory_batch = 512;  // ids per HSET/SADD when the directory is rewritten
constexpr std::size_t subscribe_batch = 512;  // channels per SUBSCRIBE after a reconnection

std::string checked_node_id(const RedisOptions& options) {
  if (options.node_id.size() > max_node_id)
    throw std::invalid_argument("redis node id longer than 255 bytes");
  return options.node_id.empty() ? random_id() : options.node_id;
}

std::string_view text_of(const redisReply& reply) { return {reply.str, reply.len}; }

bool is_text(const redisReply* reply) {
  return reply != nullptr &&
         (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS);
}

std::string milliseconds(std::chrono::milliseconds value) { return std::to_string(value.count()); }

}  // namespace

// A gather waiting for the other nodes' answers; its own timer node, so that expiry needs no
// allocation and may destroy it from the wheel's callback.
struct RedisBroker::Gathering : net::TimerNode {
  Gathering(RedisBroker& broker, std::uint64_t id) : TimerNode(&expire), broker(broker), id(id) {}
  static void expire(net::TimerNode& node) {
    auto& self = static_cast<Gathering&>(node);
    self.broker.finish_gather(self.id, false);
  }
  RedisBroker& broker;
  std::uint64_t id;
  std::vector<std::string> answers;  // this node's first
  long long receivers = -1;          // nodes the question reached; -1 until PUBLISH answered
  bool own_question_seen = false;    // this node's subscriber got the question too
  Gathered done;
};

RedisBroker::RedisBroker(const RedisOptions& options, Node& node)
    : options_(options),
      endpoint_(parse_redis_url(options.url)),
      node_(node),
      node_id_(checked_node_id(options)),
      topic_prefix_(options.prefix + "t:"),
      node_channel_prefix_(options.prefix + "n:"),
      node_channel_(node_channel_prefix_ + node_id_),
      all_channel_(options.prefix + "all"),
      clients_key_(options.prefix + "clients"),
      nodes_key_(options.prefix + "nodes"),
      node_clients_prefix_(options.prefix + "node-clients:"),
      node_clients_key_(node_clients_prefix_ + node_id_),
      route_sha_(scripts::sha1_hex(scripts::route)),
      heartbeat_sha_(scripts::sha1_hex(scripts::heartbeat)),
      forget_sha_(scripts::sha1_hex(scripts::forget)),
      remove_sha_(scripts::sha1_hex(scripts::remove_client)),
      append_script_(std::string(scripts::stream_epoch).append(scripts::append_body)),
      read_script_(std::string(scripts::stream_epoch).append(scripts::read_body)),
      append_sha_(scripts::sha1_hex(append_script_)),
      read_sha_(scripts::sha1_hex(read_script_)),
      heartbeat_timer_([this] { heartbeat(); }) {}

RedisBroker::~RedisBroker() { stop(); }

void RedisBroker::start(net::EventLoop& loop) {
  loop_ = &loop;
  const RedisConnector connector(loop, endpoint_, options_, reconnects_);
  auto link_change = [this] { on_link_change(); };
  commands_ = connector.make({[this] { on_commands_ready(); }, link_change, {}});
  subscriber_ = connector.make({[this] { on_subscriber_ready(); }, link_change,
                                [this](const redisReply& push) { on_push(push); }});
  commands_->open();
  subscriber_->open();
  heartbeat_timer_.schedule(loop.timers(), options_.heartbeat_interval);
  inbox_->attach(loop);
}

// Everything not yet acknowledged by Redis is counted lost; a graceful farewell (this node's
// directory entries and liveness) is written without waiting for it.
void RedisBroker::stop() {
  if (stopped_.exchange(true, std::memory_order_acq_rel)) return;
  presence_.stop();  // first: its tasks run on the caller's thread once the inbox is detached
  inbox_->detach();
  heartbeat_timer_.cancel();
  std::vector<std::uint64_t> open;
  for (auto& [id, gathering] : gatherings_) open.push_back(id);
  for (auto id : open) finish_gather(id, false);
  open.clear();
  for (auto& [id, reading] : readings_) open.push_back(id);
  for (auto id : open) finish_read(id, std::nullopt);
  for (auto& message : backlog_) give_up(message);
  pending_.fetch_sub(backlog_.size(), std::memory_order_relaxed);
  backlog_.clear();
  if (commands_ && commands_->ready()) {
    std::string_view leave[] = {"EVALSHA",         forget_sha_, "3",      clients_key_,
                                node_clients_key_, nodes_key_,  node_id_, "1"};
    directory_command(leave);
    commands_->flush_now();
  }
  if (commands_) commands_->close();
  if (subscriber_) subscriber_->close();
  up_ = false;
}

// --- messages for other nodes ---

void RedisBroker::submit(Outgoing message) {
  inbox_->run([this, message = std::move(message)]() mutable { send(std::move(message)); });
}

void RedisBroker::send(Outgoing message) {
  if (!accepting() || pending_.load(std::memory_order_relaxed) >= options_.max_pending)
    return give_up(message);
  pending_.fetch_add(1, std::memory_order_relaxed);
  if (commands_->ready() && backlog_.empty())
    issue(std::move(message));
  else
    backlog_.push_back(std::move(message));
}

void RedisBroker::give_up(Outgoing& message) {
  lost_.fetch_add(1, std::memory_order_relaxed);
  if (message.sent) message.sent(-1);
}

void RedisBroker::issue(Outgoing message) {
  args_.assign(message.args.begin(), message.args.end());
  commands_->command(args_, [this, sent = std::move(message.sent)](const redisReply* reply) {
    pending_.fetch_sub(1, std::memory_order_relaxed);
    if (reply == nullptr || reply->type == REDIS_REPLY_ERROR) {
      lost_.fetch_add(1, std::memory_order_relaxed);
      // Someone ran SCRIPT FLUSH: load them again for the next messages.
      if (reply != nullptr && text_of(*reply).starts_with("NOSCRIPT")) load_scripts();
      if (sent) sent(-1);
      return;
    }
    published_.fetch_add(1, std::memory_order_relaxed);
    if (sent) sent(reply->type == REDIS_REPLY_INTEGER ? reply->integer : 0);
  });
}

void RedisBroker::publish(const Publish& message) {
  node_.deliver(message);
  std::string bytes;
  try {
    bytes = wire::encode_topic(node_id_, message.op, message.compress, message.except_client,
                               message.message);
  } catch (const std::length_error&) {
    lost_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  submit({{options_.sharded_pubsub ? "SPUBLISH" : "PUBLISH", topic_channel(message.topic),
           std::move(bytes)},
          {}});
}

// A command message from this node; nullopt (counted lost) when a field is too long for it.
std::optional<std::string> RedisBroker::command_bytes(std::string_view kind,
                                                      std::string_view payload) {
  try {
    return wire::encode_command(node_id_, kind, payload);
  } catch (const std::length_error&) {
    lost_.fetch_add(1, std::memory_order_relaxed);
    return std::nullopt;
  }
}

void RedisBroker::to_client(std::string_view client_id, std::string_view kind,
                            std::string_view payload, Delivered done) {
  if (node_.holds(client_id)) {
    node_.command(kind, payload);
    if (done) done(true);
    return;
  }
  std::optional<std::string> bytes = command_bytes(kind, payload);
  if (!bytes) {
    if (done) done(false);
    return;
  }
  Sent sent;
  if (done) sent = [done = std::move(done)](long long receivers) { done(receivers > 0); };
  submit({{"EVALSHA", route_sha_, "2", clients_key_, nodes_key_, std::string(client_id),
           std::move(*bytes), node_channel_prefix_, milliseconds(options_.node_timeout)},
          std::move(sent)});
}

void RedisBroker::to_node(std::string_view node_id, std::string_view kind,
                          std::string_view payload) {
  if (node_id == node_id_) return node_.command(kind, payload);
  std::optional<std::string> bytes = command_bytes(kind, payload);
  if (!bytes) return;
  submit({{"PUBLISH", node_channel_prefix_ + std::string(node_id), std::move(*bytes)}, {}});
}

void RedisBroker::to_all(std::string_view kind, std::string_view payload) {
  node_.command(kind, payload);
  std::optional<std::string> bytes = command_bytes(kind, payload);
  if (!bytes) return;
  submit({{"PUBLISH", all_channel_, std::move(*bytes)}, {}});
}

// --- gathers ---

void RedisBroker::gather(std::string_view kind, std::string_view payload,
                         std::chrono::milliseconds timeout, Gathered done) {
  std::string own = node_.answer(kind, payload);
  std::uint64_t id = next_request_.fetch_add(1, std::memory_order_relaxed);
  std::string question;
  try {
    question = wire::encode_question(node_id_, id, kind, payload);
  } catch (const std::length_error&) {
    done({std::move(own)}, false);
    return;
  }
  if (timeout <= std::chrono::milliseconds::zero()) timeout = options_.gather_timeout;
  inbox_->run([this, id, own = std::move(own), question = std::move(question), timeout,
               done = std::move(done)]() mutable {
    if (!accepting()) return done({std::move(own)}, false);
    start_gather(id, std::move(own), std::move(question), timeout, std::move(done));
  });
}

// Only this node answers while Redis is down. Otherwise PUBLISH's reply says how many nodes got
// the question; the gather is complete when all of them but this one have answered.
void RedisBroker::start_gather(std::uint64_t id, std::string own, std::string question,
                               std::chrono::milliseconds timeout, Gathered done) {
  if (!commands_->ready()) return done({std::move(own)}, false);
  auto gathering = std::make_unique<Gathering>(*this, id);
  gathering->answers.push_back(std::move(own));
  gathering->done = std::move(done);
  loop_->timers().schedule(*gathering, timeout);
  gatherings_.emplace(id, std::move(gathering));
  send({{"PUBLISH", all_channel_, std::move(question)}, [this, id](long long receivers) {
          auto found = gatherings_.find(id);
          if (found == gatherings_.end()) return;
          if (receivers < 0) return finish_gather(id, false);
          found->second->receivers = receivers;
          check_gather(id);
        }});
}

void RedisBroker::check_gather(std::uint64_t request) {
  auto found = gatherings_.find(request);
  if (found == gatherings_.end()) return;
  const Gathering& gathering = *found->second;
  if (gathering.receivers < 0) return;
  auto others = static_cast<long long>(gathering.answers.size()) - 1;
  if (others >= gathering.receivers - (gathering.own_question_seen ? 1 : 0))
    finish_gather(request, true);
}

void RedisBroker::finish_gather(std::uint64_t request, bool complete) {
  auto found = gatherings_.find(request);
  if (found == gatherings_.end()) return;
  std::unique_ptr<Gathering> gathering = std::move(found->second);
  gatherings_.erase(found);
  loop_->timers().cancel(*gathering);
  gathering->done(std::move(gathering->answers), complete);
}

void RedisBroker::on_answer(std::uint64_t request, std::string_view answer) {
  if (on_read_answer(request, answer)) return;
  auto found = gatherings_.find(request);
  if (found == gatherings_.end()) return;  // late: the gather timed out already
  found->second->answers.emplace_back(answer);
  check_gather(request);
}

void RedisBroker::answer_question(std::string_view reply_node, std::uint64_t request,
                                  std::string_view kind, std::string_view payload) {
  std::string answer = wire::encode_answer(node_id_, request, node_.answer(kind, payload));
  send({{"PUBLISH", node_channel_prefix_ + std::string(reply_node), std::move(answer)}, {}});
}

// --- topics and the directory ---

std::string RedisBroker::topic_channel(std::string_view topic) const {
  std::string channel = topic_prefix_;
  channel += topic;
  return channel;
}

void RedisBroker::topic_active(std::string_view topic) {
  inbox_->run([this, topic = std::string(topic)] {
    if (accepting() && topics_.insert(topic).second) subscribe_topics({topic}, true);
  });
}

void RedisBroker::topic_idle(std::string_view topic) {
  inbox_->run([this, topic = std::string(topic)] {
    if (accepting() && topics_.erase(topic) != 0) subscribe_topics({topic}, false);
  });
}

// Sharded channels are (un)subscribed one per command: in a cluster, one SSUBSCRIBE's channels
// must share a slot.
void RedisBroker::subscribe_topics(const std::vector<std::string>& topics, bool on) {
  if (!subscriber_->ready()) return;  // on_subscriber_ready() subscribes them all
  std::string_view verb = options_.sharded_pubsub ? (on ? "SSUBSCRIBE" : "SUNSUBSCRIBE")
                                                  : (on ? "SUBSCRIBE" : "UNSUBSCRIBE");
  std::size_t batch = options_.sharded_pubsub ? 1 : subscribe_batch;
  std::vector<std::string> channels;
  std::vector<std::string_view> args;
  for (std::size_t first = 0; first < topics.size(); first += batch) {
    channels.clear();
    args.assign({verb});
    for (std::size_t i = first; i < std::min(topics.size(), first + batch); ++i)
      channels.push_back(topic_channel(topics[i]));
    args.insert(args.end(), channels.begin(), channels.end());
    subscriber_->push_command(args);
  }
}

void RedisBroker::client_added(std::string_view client_id) {
  inbox_->run([this, id = std::string(client_id)] {
    if (!accepting() || !client_ids_.insert(id).second || !commands_->ready()) return;
    std::string_view hset[] = {"HSET", clients_key_, id, node_id_};
    std::string_view sadd[] = {"SADD", node_clients_key_, id};
    directory_command(hset);
    directory_command(sadd);
  });
}

void RedisBroker::client_removed(std::string_view client_id) {
  inbox_->run([this, id = std::string(client_id)] {
    if (!accepting() || client_ids_.erase(id) == 0 || !commands_->ready()) return;
    std::string_view remove[] = {"EVALSHA",         remove_sha_, "2",     clients_key_,
                                 node_clients_key_, id,          node_id_};
    directory_command(remove);
  });
}

void RedisBroker::directory_command(std::span<const std::string_view> args) {
  commands_->command(args, {});
}

// --- connections ---

void RedisBroker::on_commands_ready() {
  load_scripts();
  write_directory();
  send_heartbeat(false);
  presence_.connected(*commands_);
  while (!backlog_.empty() && commands_->ready()) {
    Outgoing message = std::move(backlog_.front());
    backlog_.pop_front();
    issue(std::move(message));
  }
  on_link_change();
}

void RedisBroker::on_subscriber_ready() {
  subscriber_ping_waiting_ = false;
  all_subscribed_ = false;
  confirmed_.clear();
  std::string_view own[] = {"SUBSCRIBE", node_channel_, all_channel_};
  subscriber_->push_command(own);
  subscribe_topics(std::vector<std::string>(topics_.begin(), topics_.end()), true);
  on_link_change();
}

void RedisBroker::on_link_change() {
  const bool up = commands_->ready() && subscriber_->ready() && all_subscribed_;
  if (up_.exchange(up, std::memory_order_relaxed) != up) broker_log::state(up, node_id_);
}

void RedisBroker::load_scripts() {
  for (std::string_view text :
       {scripts::route, scripts::heartbeat, scripts::forget, scripts::remove_client,
        std::string_view(append_script_), std::string_view(read_script_)}) {
    std::string_view load[] = {"SCRIPT", "LOAD", text};
    directory_command(load);
  }
}

// Redis may have restarted empty, or taken this node for dead: this node's entries are written
// again from what it holds now.
void RedisBroker::write_directory() {
  std::string_view forget[] = {"EVALSHA",         forget_sha_, "3",      clients_key_,
                               node_clients_key_, nodes_key_,  node_id_, "0"};
  directory_command(forget);
  std::vector<std::string_view> hset, sadd;
  auto flush = [&] {
    if (sadd.size() > 2) {
      directory_command(hset);
      directory_command(sadd);
    }
    hset.assign({"HSET", clients_key_});
    sadd.assign({"SADD", node_clients_key_});
  };
  flush();
  for (const auto& id : client_ids_) {
    hset.insert(hset.end(), {id, node_id_});
    sadd.push_back(id);
    if (sadd.size() - 2 == directory_batch) flush();
  }
  flush();
}

// Whether a connection has received nothing for node_timeout since `asked` (a command still
// unanswered): Redis stopped, or the connection died without a word.
bool RedisBroker::silent_since(const RedisConnection& connection,
                               std::chrono::steady_clock::time_point asked) const {
  return loop_->now() - std::max(asked, connection.last_read()) >= options_.node_timeout;
}

void RedisBroker::heartbeat() {
  heartbeat_timer_.schedule(loop_->timers(), options_.heartbeat_interval);
  ping_subscriber();
  if (!commands_->ready()) return;
  presence_.refresh();
  if (!heartbeat_waiting_) return send_heartbeat(true);
  // A connection that stays up but stops answering (a stopped or wedged Redis) is dropped.
  if (silent_since(*commands_, heartbeat_sent_))
    commands_->reset("Redis did not answer a heartbeat");
}

// The subscriber connection is checked too (PING in subscribe mode answers a "pong" push): one
// that died silently would otherwise leave this node deaf for ever.
void RedisBroker::ping_subscriber() {
  if (!subscriber_->ready()) return;
  if (!subscriber_ping_waiting_) {
    subscriber_ping_waiting_ = true;
    subscriber_ping_sent_ = loop_->now();
    std::string_view ping[] = {"PING"};
    return subscriber_->push_command(ping);
  }
  if (silent_since(*subscriber_, subscriber_ping_sent_))
    subscriber_->reset("Redis did not answer a PING on the subscriber connection");
}

void RedisBroker::send_heartbeat(bool rewrite_if_unknown) {
  heartbeat_waiting_ = true;
  heartbeat_sent_ = loop_->now();
  std::string timeout = milliseconds(options_.node_timeout);
  std::string_view beat[] = {"EVALSHA",    heartbeat_sha_, "2",     nodes_key_,
                             clients_key_, node_id_,       timeout, node_clients_prefix_};
  commands_->command(beat, [this, rewrite_if_unknown](const redisReply* reply) {
    heartbeat_waiting_ = false;
    if (rewrite_if_unknown && reply != nullptr && reply->type == REDIS_REPLY_INTEGER &&
        reply->integer == 1)
      write_directory();
  });
}

// --- what arrives ---

void RedisBroker::on_push(const redisReply& push) {
  if (push.type == REDIS_REPLY_ARRAY && push.elements == 2 && is_text(push.element[0]) &&
      text_of(*push.element[0]) == "pong") {
    subscriber_ping_waiting_ = false;
    return;
  }
  if (push.type != REDIS_REPLY_ARRAY || push.elements < 3 || !is_text(push.element[0]) ||
      !is_text(push.element[1])) {
    malformed_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::string_view type = text_of(*push.element[0]);
  if ((type == "message" || type == "smessage") && is_text(push.element[2]))
    return on_message(text_of(*push.element[1]), text_of(*push.element[2]));
  if (type == "subscribe" && text_of(*push.element[1]) == all_channel_) {
    all_subscribed_ = true;  // SUBSCRIBE's channels are confirmed in order: the node's too
    return on_link_change();
  }
  if (type == "subscribe" || type == "ssubscribe") return on_subscribed(text_of(*push.element[1]));
  if (type == "unsubscribe" || type == "sunsubscribe") {
    confirmed_.erase(std::string(text_of(*push.element[1])));
    return;
  }
  malformed_.fetch_add(1, std::memory_order_relaxed);
}

void RedisBroker::on_message(std::string_view channel, std::string_view bytes) {
  auto message = wire::decode(bytes);
  bool understood = false;
  if (message) {
    if (channel == node_channel_)
      understood = on_node_message(*message);
    else if (channel == all_channel_)
      understood = on_all_message(*message);
    else if (channel.starts_with(topic_prefix_))
      understood = on_topic_message(channel.substr(topic_prefix_.size()), *message);
  }
  if (!understood) malformed_.fetch_add(1, std::memory_order_relaxed);
}

// This node's own publishes come back when it subscribes the topic too: its subscribers had
// them at once, so they are dropped here (never delivered twice); but not the ordered ones
// (a stream's, broker/redis_history.hpp), which this node delivers from Redis only.
bool RedisBroker::on_topic_message(std::string_view topic, const wire::Message& message) {
  if (message.type != wire::Type::topic) return false;
  const bool own = message.origin == node_id_;
  if (own && !message.ordered) return true;
  if (!own) received_.fetch_add(1, std::memory_order_relaxed);
  if (message.positioned) {
    const std::optional<Publish> kept = decode_positioned(topic, message);
    if (kept) node_.deliver(*kept);
    return kept.has_value();
  }
  node_.deliver(Publish{.topic = topic,
                        .message = message.payload,
                        .op = message.op,
                        .compress = message.compress,
                        .except_client = message.except_client,
                        .ordered = message.ordered});
  return true;
}

bool RedisBroker::on_node_message(const wire::Message& message) {
  if (message.type == wire::Type::command) {
    received_.fetch_add(1, std::memory_order_relaxed);
    node_.command(message.kind, message.payload);
    return true;
  }
  if (message.type == wire::Type::answer) {
    received_.fetch_add(1, std::memory_order_relaxed);
    on_answer(message.request, message.payload);
    return true;
  }
  return false;
}

bool RedisBroker::on_all_message(const wire::Message& message) {
  bool own = message.origin == node_id_;
  if (message.type == wire::Type::command) {
    if (own) return true;  // ran here when it was sent
    received_.fetch_add(1, std::memory_order_relaxed);
    node_.command(message.kind, message.payload);
    return true;
  }
  if (message.type == wire::Type::question) {
    if (own) {
      auto found = gatherings_.find(message.request);
      if (found != gatherings_.end()) found->second->own_question_seen = true;
      check_gather(message.request);
      return true;
    }
    received_.fetch_add(1, std::memory_order_relaxed);
    answer_question(message.origin, message.request, message.kind, message.payload);
    return true;
  }
  return false;
}

BrokerStatus RedisBroker::status() const {
  BrokerStatus status;
  status.kind = "redis";
  status.node_id = node_id_;
  status.up = up_.load(std::memory_order_relaxed);
  status.reconnects = reconnects_.load(std::memory_order_relaxed);
  status.published = published_.load(std::memory_order_relaxed);
  status.received = received_.load(std::memory_order_relaxed);
  status.lost = lost_.load(std::memory_order_relaxed);
  status.malformed = malformed_.load(std::memory_order_relaxed);
  status.pending = pending_.load(std::memory_order_relaxed);
  return status;
}

std::unique_ptr<Broker> make_redis_broker(const RedisOptions& options, Node& node) {
  return std::make_unique<RedisBroker>(options, node);
}

}  // namespace wisp::broker
