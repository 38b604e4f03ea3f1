#include "broker/service_actions.hpp"

#include <algorithm>
#include <stdexcept>

#include "broker/action_messages.hpp"
#include "broker/random_id.hpp"
#include "broker/redis_connector.hpp"
#include "broker/redis_scripts.hpp"
#include "net/event_loop.hpp"

namespace wisp::broker {
namespace {

using Outcome = ActionResult::Status;

// KEYS: the service's queue. ARGV: the call, its timeout (ms). The queue lives as long as its
// longest-waiting call could still be answered: calls nobody takes do not pile up for ever.
constexpr std::string_view push_script = R"lua(
redis.call('RPUSH', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
)lua";

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string_view text_of(const redisReply& reply) { return {reply.str, reply.len}; }

bool is_string(const redisReply* reply) {
  return reply != nullptr && reply->type == REDIS_REPLY_STRING;
}

void bump(std::atomic<std::uint64_t>& counter) { counter.fetch_add(1, std::memory_order_relaxed); }

ActionResult failure(Outcome status, std::string error) {
  ActionResult result;
  result.status = status;
  result.error = std::move(error);
  return result;
}

}  // namespace

struct ServiceActions::PendingCall : net::TimerNode {
  PendingCall(ServiceActions& owner) : TimerNode(&expire), owner(owner) {}
  static void expire(net::TimerNode& node) {
    auto& self = static_cast<PendingCall&>(node);
    self.owner.expire_call(self);
  }
  ServiceActions& owner;
  std::string id, queue, service, action, message;
  std::chrono::milliseconds timeout{};
  bool sent = false;
  ActionCallback done;
};

ServiceActions::ServiceActions(const RedisOptions& options, std::string service)
    : options_(options),
      endpoint_(parse_redis_url(options.url)),
      service_(std::move(service)),
      prefix_(options.prefix),
      caller_id_(options.node_id.empty() ? random_id() : options.node_id + "-" + random_id()),
      reply_channel_(prefix_ + "reply:" + caller_id_),
      push_sha_(scripts::sha1_hex(push_script)) {}

ServiceActions::~ServiceActions() { stop(); }

void ServiceActions::action(std::string name, ActionHandler handler) {
  if (service_.empty())
    throw std::logic_error("action \"" + name + "\": no service to offer it (AppOptions::service)");
  handlers_[std::move(name)] = std::move(handler);
}

void ServiceActions::start(net::EventLoop& loop) {
  loop_ = &loop;
  const RedisConnector connector(loop, endpoint_, options_, reconnects_);
  auto link_change = [this] { on_link_change(); };
  commands_ = connector.make({[this] {
                                std::string_view load[] = {"SCRIPT", "LOAD", push_script};
                                commands_->command(load, {});
                                on_link_change();
                              },
                              link_change,
                              {}});
  replies_ = connector.make({[this] {
                               std::string_view subscribe[] = {"SUBSCRIBE", reply_channel_};
                               replies_->push_command(subscribe);
                             },
                             [this] {
                               reply_subscribed_ = false;
                               on_link_change();
                             },
                             [this](const redisReply& push) { on_reply_push(push); }});
  if (!handlers_.empty()) {
    worker_ = connector.make({[this] {
                                take_next();
                                on_link_change();
                              },
                              link_change,
                              {}});
  }
  for (auto* connection : {commands_.get(), replies_.get(), worker_.get()})
    if (connection != nullptr) connection->open();
  inbox_->attach(loop);
}

void ServiceActions::stop() {
  if (stopped_.exchange(true, std::memory_order_acq_rel)) return;
  inbox_->detach();
  std::vector<std::string> open;
  for (auto& [id, call] : calls_) open.push_back(id);
  for (auto& id : open) finish_call(id, failure(Outcome::unavailable, "the app stopped"));
  for (auto* connection : {commands_.get(), replies_.get(), worker_.get()})
    if (connection != nullptr) connection->close();
  up_ = false;
}

void ServiceActions::on_link_change() {
  bool up = commands_->ready() && replies_->ready() && reply_subscribed_ &&
            (worker_ == nullptr || worker_->ready());
  up_.store(up, std::memory_order_relaxed);
  if (!commands_->ready() || !reply_subscribed_ || unsent_ == 0) return;
  for (auto& [id, call] : calls_)
    if (!call->sent) send_call(*call);
}

// --- calling ---

void ServiceActions::call(std::string_view service, std::string_view action, json payload,
                          std::chrono::milliseconds timeout, ActionCallback done) {
  bump(made_);
  auto call = std::make_shared<PendingCall>(*this);
  call->id = caller_id_ + ":" + std::to_string(next_call_.fetch_add(1, std::memory_order_relaxed));
  call->queue = prefix_ + "svc:" + std::string(service);
  call->service = std::string(service);
  call->action = std::string(action);
  call->timeout = std::max(timeout, std::chrono::milliseconds(1));
  call->done = std::move(done);
  call->message = actions::encode(actions::Call{call->id, call->action, std::move(payload),
                                                reply_channel_, unix_ms() + call->timeout.count()});
  inbox_->run([this, call = std::move(call)]() mutable {
    if (accepting()) return begin_call(std::move(call));
    bump(unavailable_);
    call->done(failure(Outcome::unavailable, "the app stopped"));
  });
}

void ServiceActions::begin_call(std::shared_ptr<PendingCall> call) {
  if (unsent_ >= options_.max_pending && !(commands_->ready() && reply_subscribed_)) {
    bump(unavailable_);
    return call->done(failure(Outcome::unavailable, "too many calls waiting for Redis"));
  }
  loop_->timers().schedule(*call, call->timeout);
  PendingCall& pending = *call;
  calls_.emplace(call->id, std::move(call));
  ++unsent_;
  if (commands_->ready() && reply_subscribed_) send_call(pending);
}

void ServiceActions::send_call(PendingCall& call) {
  call.sent = true;
  --unsent_;
  std::string timeout = std::to_string(call.timeout.count());
  std::string_view push[] = {"EVALSHA", push_sha_, "1", call.queue, call.message, timeout};
  commands_->command(push, [this, id = call.id](const redisReply* reply) {
    if (reply != nullptr && reply->type != REDIS_REPLY_ERROR) return;
    finish_call(id,
                failure(Outcome::unavailable, reply == nullptr ? "the connection to Redis was lost"
                                                               : std::string(text_of(*reply))));
  });
}

void ServiceActions::expire_call(PendingCall& call) {
  if (!call.sent)
    return finish_call(
        call.id, failure(Outcome::unavailable, "Redis was not reachable within " +
                                                   std::to_string(call.timeout.count()) + " ms"));
  finish_call(call.id, failure(Outcome::timeout, "no node of service \"" + call.service +
                                                     "\" answered \"" + call.action + "\" within " +
                                                     std::to_string(call.timeout.count()) + " ms"));
}

void ServiceActions::finish_call(const std::string& id, ActionResult result) {
  auto found = calls_.find(id);
  if (found == calls_.end()) return;
  std::shared_ptr<PendingCall> call = std::move(found->second);
  calls_.erase(found);
  loop_->timers().cancel(*call);
  if (!call->sent) --unsent_;
  auto& counter = result.ok() || result.status == Outcome::failed ? answered_
                  : result.status == Outcome::timeout             ? timeouts_
                                                                  : unavailable_;
  bump(counter);
  if (result.status == Outcome::failed) bump(failed_);
  call->done(std::move(result));
}

void ServiceActions::on_reply_push(const redisReply& push) {
  if (push.type != REDIS_REPLY_ARRAY || push.elements < 3 || !is_string(push.element[0])) {
    bump(malformed_);
    return;
  }
  std::string_view type = text_of(*push.element[0]);
  if (type == "subscribe") {
    reply_subscribed_ = true;
    return on_link_change();
  }
  if (type != "message" || !is_string(push.element[2])) {
    bump(malformed_);
    return;
  }
  auto answer = actions::decode_answer(text_of(*push.element[2]));
  if (!answer) {
    bump(malformed_);
    return;
  }
  ActionResult result;
  result.status = answer->ok ? Outcome::ok : Outcome::failed;
  result.result = std::move(answer->result);
  result.error = std::move(answer->error);
  finish_call(answer->id, std::move(result));  // a late answer finds no call, and is dropped
}

// --- serving ---

void ServiceActions::take_next() {
  if (stopped_ || !worker_->ready()) return;
  std::string queue = prefix_ + "svc:" + service_;
  auto seconds = std::max<long long>(
      1, std::chrono::duration_cast<std::chrono::seconds>(options_.heartbeat_interval).count());
  std::string wait = std::to_string(seconds);
  std::string_view pop[] = {"BLPOP", queue, wait};
  worker_->command(pop, [this](const redisReply* reply) { on_taken(reply); });
}

void ServiceActions::on_taken(const redisReply* reply) {
  if (reply == nullptr) return;  // lost: taking starts again when the worker is ready
  if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 && is_string(reply->element[1]))
    serve(text_of(*reply->element[1]));
  else if (reply->type != REDIS_REPLY_NIL) {  // an error: start again on a new connection
    bump(malformed_);
    return worker_->reset("BLPOP failed");
  }
  take_next();
}

void ServiceActions::serve(std::string_view request) {
  auto call = actions::decode_call(request);
  if (!call) {
    bump(malformed_);
    return;
  }
  if (call->deadline != 0 && unix_ms() > call->deadline) {
    bump(expired_);
    return;
  }
  actions::Answer answer{call->id, false, {}, {}};
  auto handler = handlers_.find(call->action);
  if (handler == handlers_.end()) {
    answer.error = "service \"" + service_ + "\" has no action \"" + call->action + "\"";
  } else {
    try {
      answer.result = handler->second(call->payload);
      answer.ok = true;
    } catch (const std::exception& error) {
      answer.error = error.what();
    }
  }
  bump(served_);
  std::string text = actions::encode(answer);
  std::string_view publish[] = {"PUBLISH", call->reply, text};
  commands_->command(publish, [this](const redisReply* reply) {
    if (reply == nullptr || reply->type == REDIS_REPLY_ERROR) bump(answers_lost_);
  });
}

ServiceActions::Status ServiceActions::status() const {
  Status status;
  status.up = up_.load(std::memory_order_relaxed);
  status.reconnects = reconnects_.load(std::memory_order_relaxed);
  status.calls = made_.load(std::memory_order_relaxed);
  status.answered = answered_.load(std::memory_order_relaxed);
  status.failed = failed_.load(std::memory_order_relaxed);
  status.timeouts = timeouts_.load(std::memory_order_relaxed);
  status.unavailable = unavailable_.load(std::memory_order_relaxed);
  status.served = served_.load(std::memory_order_relaxed);
  status.expired = expired_.load(std::memory_order_relaxed);
  status.malformed = malformed_.load(std::memory_order_relaxed);
  status.answers_lost = answers_lost_.load(std::memory_order_relaxed);
  return status;
}

}  // namespace wisp::broker
