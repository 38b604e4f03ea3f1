#include "server/topic_streams.hpp"

#include <memory>
#include <utility>

#include "log/log.hpp"
#include "server/connection.hpp"
#include "server/loop_server.hpp"
#include "server/loops.hpp"

namespace wisp::server {
namespace {

HistorySettings store_settings(const TopicHistorySettings& topics) {
  return {.rooms = topics.topics,
          .max_streams = topics.max_streams,
          .max_bytes = topics.max_bytes,
          .max_recover = topics.max_recover};
}

// A kept message: its opcode, then its bytes.
std::string kept(OpCode op, std::string_view message) {
  std::string out;
  out.reserve(message.size() + 1);
  out.push_back(static_cast<char>(op));
  return out.append(message);
}
OpCode kept_op(std::string_view kept) { return static_cast<OpCode>(kept.front()); }
std::string_view kept_message(std::string_view kept) { return kept.substr(1); }

// A formatter that throws is reported, and its message goes as it is: never lost for it.
std::optional<std::string> format(const HistoryRule& rule, std::string_view message,
                                  const StreamPosition& at) {
  if (!rule.format) return std::nullopt;
  try {
    return rule.format(message, at);
  } catch (const std::exception& error) {
    logs::exception("a topic history formatter", error.what());
    return std::nullopt;
  }
}

TopicHistory history_of(events::Kept kept) {
  TopicHistory history{std::move(kept.now.epoch), kept.now.offset, {}};
  std::uint64_t offset = kept.now.offset - kept.messages.size();
  for (const std::string& message : kept.messages)
    history.messages.push_back({++offset, kept_op(message), std::string(kept_message(message))});
  return history;
}

// A position with an empty epoch is none: a socket that never saw the stream.
const StreamPosition* asked(const StreamPosition& since) {
  return since.epoch.empty() ? nullptr : &since;
}

void report(const TopicStreams::Subscribed& done, TopicRecovery recovery) {
  try {
    done(std::move(recovery));
  } catch (const std::exception& error) {
    logs::exception("a topic subscription's callback", error.what());
  }
}

// A subscription at a position, run on its socket's loop once its place among the deliveries is
// reached: the missed messages (an answer to the socket's own request: never dropped for
// backpressure), then the subscription, then `done`.
struct TopicJoin {
  std::shared_ptr<Connection*> socket;
  const HistoryRule* rule;
  std::string topic;
  std::uint64_t since;
  TopicStreams::Subscribed done;
  events::Recovery recovery{};  // set before the join runs

  void run() {
    Connection* on = *socket;
    if (!on) return;
    if (on->is_subscribed(topic))
      return report(done, {false, recovery_refused::already_subscribed, recovery.now});
    std::uint64_t offset = since;
    for (const std::string& missed : recovery.missed) {
      const std::optional<std::string> bytes =
          format(*rule, kept_message(missed), {recovery.now.epoch, ++offset});
      on->send_answer(bytes ? *bytes : kept_message(missed), kept_op(missed), true);
    }
    on->subscribe(topic);
    report(done, {recovery.recovered, recovery.reason, recovery.now});
  }
};

}  // namespace

TopicStreams::TopicStreams(const TopicHistorySettings& settings, broker::Broker& broker,
                           Loops& loops)
    : broker_(broker), loops_(loops), store_(store_settings(settings)) {}

bool TopicStreams::publish(const broker::Publish& message) {
  const HistoryRule* rule = store_.rule_for(message.topic);
  if (!rule) return false;
  const std::string message_kept = kept(message.op, message.message);
  if (clustered()) {
    store_.count_appended();
    broker_.history_append({.topic = message.topic,
                            .head = message_kept,
                            .raw = true,
                            .op = message.op,
                            .size = rule->size,
                            .ttl = rule->ttl});
    return true;
  }
  StreamPosition at;
  store_.append(
      message.topic, *rule,
      [&](std::uint64_t offset, std::string_view epoch) {
        at = {std::string(epoch), offset};
        return message_kept;
      },
      [&](std::string_view) {
        broker_.publish({.topic = message.topic,
                         .message = message.message,
                         .op = message.op,
                         .compress = message.compress,
                         .ordered = true,
                         .offset = at.offset,
                         .epoch = at.epoch});
      });
  return true;
}

std::optional<std::string> TopicStreams::formatted(const broker::Publish& message) const {
  const HistoryRule* rule = message.offset ? store_.rule_for(message.topic) : nullptr;
  if (!rule) return std::nullopt;
  return format(*rule, message.message, {std::string(message.epoch), message.offset});
}

void TopicStreams::subscribe(Connection& socket, std::string_view topic,
                             const StreamPosition& since, Subscribed done) {
  if (socket.closed()) return;
  const HistoryRule* rule = store_.rule_for(topic);
  if (socket.is_subscribed(topic))
    return report(done, {false, recovery_refused::already_subscribed, {}});
  if (!rule) {
    socket.subscribe(topic);
    return report(done, {false, recovery_refused::no_history, {}});
  }
  if (clustered()) return subscribe_clustered(socket, topic, *rule, since, std::move(done));
  auto join = std::make_shared<TopicJoin>(
      TopicJoin{socket.handle(), rule, std::string(topic), since.offset, std::move(done)});
  LoopServer& loop = LoopServer::current();
  // The join runs on this thread, later: it reads `recovery` after recover() returned.
  join->recovery = store_.recover(topic, *rule, asked(since),
                                  [&] { loops_.post(loop, [join] { join->run(); }); });
}

void TopicStreams::subscribe_clustered(Connection& socket, std::string_view topic,
                                       const HistoryRule& rule, const StreamPosition& since,
                                       Subscribed done) {
  auto join = std::make_shared<TopicJoin>(
      TopicJoin{socket.handle(), &rule, std::string(topic), since.offset, std::move(done)});
  const bool with_position = asked(since) != nullptr;
  broker_.history_read({.topic = topic,
                        .since = since.offset,
                        .max = with_position ? store_.settings().max_recover : 0,
                        .ttl = rule.ttl,
                        .subscribe = true},
                       [this, join, since, with_position,
                        loop = &LoopServer::current()](std::optional<broker::StreamRead> read) {
                         if (read) {
                           join->recovery = events::recovery_of(
                               {read->epoch, read->offset}, read->first, std::move(read->envelopes),
                               with_position ? &since : nullptr, store_.settings().max_recover);
                         } else {
                           join->recovery.reason = recovery_refused::unavailable;
                         }
                         if (with_position) store_.count_recovery(join->recovery.recovered);
                         loops_.post(*loop, [join] { join->run(); });
                       });
}

void TopicStreams::read(std::string_view topic, std::size_t limit, Read done) {
  const HistoryRule* rule = store_.rule_for(topic);
  if (!rule) return done(TopicHistory{});
  if (!clustered()) return done(history_of(store_.last_kept(topic, limit)));
  broker_.history_read(
      {.topic = topic, .max = limit, .ttl = rule->ttl},
      [done = std::move(done)](std::optional<broker::StreamRead> read) {
        if (!read) return done(std::nullopt);
        done(history_of({{read->epoch, read->offset}, std::move(read->envelopes)}));
      });
}

}  // namespace wisp::server
