#include "server/metrics.hpp"

#include <string>
#include <string_view>
#include <utility>

namespace wisp {
namespace {

void header(std::string& out, const char* name, const char* help, const char* type) {
  out.append("# HELP wisp_").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE wisp_").append(name).append(" ").append(type).append("\n");
}

void counter(std::string& out, const char* name, const char* help, std::uint64_t value,
             const char* type = "counter") {
  header(out, name, help, type);
  out.append("wisp_").append(name).append(" ").append(std::to_string(value)).append("\n");
}

// A label value as the text format wants it: backslash, double quote and newline escaped.
void append_label_value(std::string& out, std::string_view value) {
  for (const char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out.append("\\n");
      continue;
    }
    out.push_back(c);
  }
}

// One sample of a hub's series: wisp_<name>{hub="<path>"[,outcome="<outcome>"]} value.
void hub_sample(std::string& out, const char* name, std::string_view hub, std::uint64_t value,
                const char* outcome = nullptr) {
  out.append("wisp_").append(name).append("{hub=\"");
  append_label_value(out, hub);
  out.append("\"");
  if (outcome != nullptr) out.append(",outcome=\"").append(outcome).append("\"");
  out.append("} ").append(std::to_string(value)).append("\n");
}

void append_hub_acks(std::string& out, const std::map<std::string, AckStats>& hubs) {
  header(out, "hub_acks_waiting", "Ack callbacks of this node waiting for answers, by hub.",
         "gauge");
  for (const auto& [hub, acks] : hubs) hub_sample(out, "hub_acks_waiting", hub, acks.waiting);
  header(out, "hub_acks_owed", "Answers this node's clients owe, by hub.", "gauge");
  for (const auto& [hub, acks] : hubs) hub_sample(out, "hub_acks_owed", hub, acks.owed);
  header(out, "hub_acks_total", "Outcomes of this node's ack callbacks, by hub and outcome.",
         "counter");
  for (const auto& [hub, acks] : hubs) {
    const std::pair<const char*, std::uint64_t> outcomes[] = {{"answered", acks.answered},
                                                              {"timed_out", acks.timed_out},
                                                              {"disconnected", acks.disconnected},
                                                              {"refused", acks.refused},
                                                              {"dropped", acks.dropped}};
    for (const auto& [outcome, count] : outcomes)
      hub_sample(out, "hub_acks_total", hub, count, outcome);
  }
  header(out, "hub_acks_late_total", "Answers after their callback had timed out, by hub.",
         "counter");
  for (const auto& [hub, acks] : hubs) hub_sample(out, "hub_acks_late_total", hub, acks.late);
  header(out, "hub_acks_unmatched_total",
         "Ack messages from this node's clients that matched nothing owed, by hub.", "counter");
  for (const auto& [hub, acks] : hubs)
    hub_sample(out, "hub_acks_unmatched_total", hub, acks.unmatched);
}

void append_topic_history(std::string& out, const HistoryStats& topics) {
  counter(out, "topic_history_streams", "Topic streams kept on this node now.", topics.streams,
          "gauge");
  counter(out, "topic_history_messages", "Messages kept in this node's topic streams now.",
          topics.messages, "gauge");
  counter(out, "topic_history_bytes", "Bytes kept in this node's topic streams now.", topics.bytes,
          "gauge");
  counter(out, "topic_history_appended_total", "Publishes to topics with history from this node.",
          topics.appended);
  counter(out, "topic_history_trimmed_by_size_total",
          "Kept topic messages pushed out by their rule's size.", topics.trimmed_by_size);
  counter(out, "topic_history_trimmed_by_age_total",
          "Kept topic messages older than their rule's ttl.", topics.trimmed_by_age);
  counter(out, "topic_history_streams_evicted_total",
          "Topic streams dropped whole past max_streams or max_bytes.", topics.streams_evicted);
  counter(out, "topic_history_evicted_messages_total", "Messages of the evicted topic streams.",
          topics.evicted_messages);
  counter(out, "topic_history_recovered_total", "Subscriptions at a position that recovered.",
          topics.recovered);
  counter(out, "topic_history_recovery_refused_total",
          "Subscriptions at a position that could not recover.", topics.recovery_refused);
}

}  // namespace

std::string Metrics::prometheus() const {
  std::string out;
  counter(out, "connections", "TCP connections now.", connections, "gauge");
  counter(out, "websockets", "WebSockets open now.", websockets, "gauge");
  counter(out, "websockets_opened_total", "WebSockets opened.", opened);
  out.append("# HELP wisp_websockets_closed_total WebSockets closed, by close code.\n");
  out.append("# TYPE wisp_websockets_closed_total counter\n");
  for (const auto& [code, count] : closes) {
    out.append("wisp_websockets_closed_total{code=\"").append(std::to_string(code)).append("\"} ");
    out.append(std::to_string(count)).append("\n");
  }
  counter(out, "handshakes_refused_total", "Upgrade requests answered with an error.",
          handshakes_refused);
  counter(out, "messages_in_total", "Messages received.", messages_in);
  counter(out, "messages_out_total", "Messages sent.", messages_out);
  counter(out, "bytes_in_total", "Message bytes received.", bytes_in);
  counter(out, "bytes_out_total", "Message bytes sent.", bytes_out);
  counter(out, "dropped_total", "Messages dropped by the backpressure policy.", dropped);
  out.append(
      "# HELP wisp_route_dropped_total Messages dropped by the backpressure policy, by route.\n");
  out.append("# TYPE wisp_route_dropped_total counter\n");
  for (const auto& [route, count] : dropped_by_route) {
    out.append("wisp_route_dropped_total{route=\"");
    append_label_value(out, route);
    out.append("\"} ").append(std::to_string(count)).append("\n");
  }
  counter(out, "backpressure_closes_total", "Sockets closed by the backpressure policy.",
          backpressure_closes);
  counter(out, "rate_limited_total", "Messages past a rate limit.", rate_limited);
  counter(out, "input_paused",
          "Sockets not read now: their unsent bytes are over the high-water mark.", input_paused,
          "gauge");
  counter(out, "input_pauses_total", "Times a socket stopped being read for its backlog.",
          input_pauses);
  counter(out, "threads", "Event-loop threads.", threads, "gauge");
  counter(out, "broker_up", "Whether the broker is connected (1) or not (0).", broker.up ? 1 : 0,
          "gauge");
  counter(out, "broker_reconnects_total", "Broker connection attempts after a loss.",
          broker.reconnects);
  counter(out, "broker_published_total", "Messages sent to other nodes.", broker.published);
  counter(out, "broker_received_total", "Messages received from other nodes.", broker.received);
  counter(out, "broker_lost_total", "Messages that could not reach other nodes.", broker.lost);
  counter(out, "broker_malformed_total", "Messages from other nodes that could not be used.",
          broker.malformed);
  counter(out, "broker_pending", "Messages waiting for the broker to come back.", broker.pending,
          "gauge");
  counter(out, "action_up", "Whether service actions' Redis connections are ready (1) or not (0).",
          actions.up ? 1 : 0, "gauge");
  counter(out, "action_reconnects_total", "Service actions' Redis connection attempts.",
          actions.reconnects);
  counter(out, "action_calls_total", "Service action calls made from here.", actions.calls);
  counter(out, "action_answered_total", "Calls made from here that a node answered (ok or failed).",
          actions.answered);
  counter(out, "action_failed_total", "Answered calls whose handler failed, or had no such action.",
          actions.failed);
  counter(out, "action_timeouts_total", "Calls made from here that no node answered in time.",
          actions.timeouts);
  counter(out, "action_unavailable_total",
          "Calls made from here that could not reach Redis in time (or the app stopped).",
          actions.unavailable);
  counter(out, "action_handled_total", "Calls this node's handlers answered.", actions.handled);
  counter(out, "action_expired_total", "Calls taken after their caller's deadline (not run).",
          actions.expired);
  counter(out, "action_answers_lost_total", "Answers that could not be sent back.",
          actions.answers_lost);
  counter(out, "action_malformed_total", "Service action messages that could not be used.",
          actions.malformed);
  append_hub_acks(out, hub_acks);
  append_topic_history(out, topic_history);
  return out;
}

namespace server {
namespace {

std::size_t close_slot(int code) {
  if (code >= 1000 && code <= 1015) return static_cast<std::size_t>(code - 1000);
  if (code >= 3000 && code <= 3999) return 16;
  if (code >= 4000 && code <= 4999) return 17;
  return 18;
}

int slot_code(std::size_t slot) {
  if (slot < 16) return 1000 + static_cast<int>(slot);
  return slot == 16 ? 3000 : slot == 17 ? 4000 : 0;
}

}  // namespace

void LoopMetrics::closed(int code) {
  subtract(websockets);
  add(closes_[close_slot(code)]);
}

void LoopMetrics::add_to(Metrics& total) const {
  const auto get = [](const Counter& c) { return c.load(std::memory_order_relaxed); };
  total.connections += get(connections);
  total.websockets += get(websockets);
  total.opened += get(opened);
  total.handshakes_refused += get(handshakes_refused);
  total.messages_in += get(messages_in);
  total.messages_out += get(messages_out);
  total.bytes_in += get(bytes_in);
  total.bytes_out += get(bytes_out);
  total.dropped += get(dropped);
  total.backpressure_closes += get(backpressure_closes);
  total.rate_limited += get(rate_limited);
  total.input_paused += get(input_paused);
  total.input_pauses += get(input_pauses);
  for (std::size_t slot = 0; slot < closes_.size(); ++slot) {
    if (const auto count = get(closes_[slot])) total.closes[slot_code(slot)] += count;
  }
}

}  // namespace server
}  // namespace wisp
