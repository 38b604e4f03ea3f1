// Sends with an ack and the answers' way back (events/acks.hpp), and the public calls on them.
#include "events/acks.hpp"

#include "broker/answers.hpp"
#include "broker/payload.hpp"
#include "events/envelope_writer.hpp"
#include "events/hub_event.hpp"
#include "events/hub_impl.hpp"
#include "events/json_reader.hpp"

namespace wisp {
namespace events {
namespace {

using broker::PayloadReader;
using broker::PayloadWriter;

std::uint64_t milliseconds(std::chrono::milliseconds timeout) {
  return static_cast<std::uint64_t>(timeout.count());
}

// The ack id as the client echoed it (a number, or a string), in OwedAcks' form.
std::string echoed_ack_id(std::string_view raw_id) {
  if (raw_id.starts_with('"')) return read_valid_json(raw_id).get<std::string>();
  return std::string(raw_id);
}

// What a client answered: its data, or with an error {"error": {"code", "message"}} its code.
std::pair<std::string, std::string> client_answer(HubEvent& event) {
  if (!event.raw_data().empty()) return {std::string(), std::string(event.raw_data())};
  const json& payload = event.payload();
  const auto error = payload.find("error");
  if (error == payload.end()) return {};  // an answer of null
  const json* code = error->is_object() && error->contains("code") ? &(*error)["code"] : nullptr;
  return {code && code->is_string() ? code->get<std::string>() : "client_error", error->dump()};
}

}  // namespace

HubAcks::HubAcks(events::HubImpl& hub)
    : hub_(hub),
      node_(hub.cluster.broker.status().node_id),
      owed_(hub.settings.max_pending_acks),
      waits_(hub.app) {}

std::chrono::milliseconds HubAcks::timeout_or_default(std::chrono::milliseconds timeout) const {
  return timeout.count() > 0 ? timeout : hub_.settings.ack_timeout;
}

std::string HubAcks::ack_id(const AckAsker& asker) const {
  std::string id = std::to_string(asker.key);
  if (!asker.node.empty()) id.append("@").append(asker.node);
  return id;
}

// {"type":..,"data":..,"ack":id}: the envelope without its closing brace, then the id.
std::string HubAcks::message(std::string_view type, const json& data, std::uint64_t key) const {
  std::string text = envelope(type, data);
  text.pop_back();
  text.append(",\"ack\":");
  if (node_.empty())
    text.append(std::to_string(key));
  else
    append_string(text, ack_id({node_, key}));
  text.push_back('}');
  return text;
}

bool HubAcks::send(std::string_view client_id, std::string_view type, const json& data,
                   AckHandler on_ack, std::chrono::milliseconds timeout) {
  timeout = timeout_or_default(timeout);
  auto back = broker::answer_to_caller(hub_.cluster.return_path, std::move(on_ack));
  const std::uint64_t key =
      waits_.open(std::string(client_id), 1, Clock::now() + timeout,
                  [back](std::vector<Ack> answers, bool) { back(std::move(answers.front())); });
  const AckAsker asker{node_, key};
  std::string text = message(type, data, key);
  if (hub_.members.has_client(client_id)) {
    deliver(client_id, std::move(text), asker, timeout);
    return true;
  }
  if (hub_.cluster.broker.alone()) {
    settle(asker, client_id, ack_error::disconnected, {});
    return false;
  }
  const std::string payload = PayloadWriter()
                                  .text(client_id)
                                  .text(text)
                                  .text(node_)
                                  .number(key)
                                  .number(milliseconds(timeout))
                                  .take();
  hub_.cluster.broker.to_client(client_id, hub_.kind("ack_send"), payload,
                                [this, asker, id = std::string(client_id)](bool delivered) {
                                  if (!delivered) settle(asker, id, ack_error::disconnected, {});
                                });
  return false;
}

// A gather tells how many members each node sent it to; their answers come on their own.
void HubAcks::emit(std::string_view room, std::string_view except, std::string_view type,
                   const json& data, RoomAckHandler on_acks, std::chrono::milliseconds timeout) {
  timeout = timeout_or_default(timeout);
  auto back = broker::answer_to_caller(hub_.cluster.return_path, std::move(on_acks));
  const std::uint64_t key = waits_.open({}, AckWaits::unknown, Clock::now() + timeout,
                                        [back](std::vector<Ack> answers, bool complete) {
                                          back({std::move(answers), complete});
                                        });
  const std::string payload = PayloadWriter()
                                  .text(room)
                                  .text(except)
                                  .text(message(type, data, key))
                                  .text(node_)
                                  .number(key)
                                  .number(milliseconds(timeout))
                                  .take();
  hub_.cluster.broker.gather(hub_.kind("ack_emit"), payload, hub_.cluster.gather_timeout,
                             [this, key](std::vector<std::string> counts, bool complete) {
                               const std::size_t members =
                                   broker::sum_of(counts, hub_.cluster.commands);
                               waits_.expect(key, members, complete);
                             });
}

void HubAcks::deliver(std::string_view id, std::string message, AckAsker asker,
                      std::chrono::milliseconds timeout) {
  std::string owed_id = ack_id(asker);
  const std::string_view refused = owed_.owe(id, owed_id, asker, Clock::now() + timeout);
  if (!refused.empty()) return settle(asker, id, refused, {});
  const bool here =
      hub_.app.with_client(id, [this, owed_id, message = std::move(message)](WebSocket& ws) {
        if (ws.send(message) == SendStatus::Dropped)
          fail(ws.client_id(), owed_id, ack_error::dropped);
      });
  if (!here) fail(id, owed_id, ack_error::disconnected);
}

void HubAcks::fail(std::string_view id, std::string_view ack_id, std::string_view error) {
  if (const auto asker = owed_.take(id, ack_id)) settle(*asker, id, error, {});
}

void HubAcks::settle(const AckAsker& asker, std::string_view id, std::string_view error,
                     std::string_view data) {
  if (asker.node == node_) {
    return waits_.answer(asker.key, {.client_id = std::string(id),
                                     .error = std::string(error),
                                     .data = data.empty() ? json() : read_valid_json(data)});
  }
  hub_.cluster.broker.to_node(
      asker.node, hub_.kind("ack_answer"),
      PayloadWriter().number(asker.key).text(id).text(error).text(data).take());
}

void HubAcks::client_closed(std::string_view id) {
  for (const AckAsker& asker : owed_.remove_client(id))
    settle(asker, id, ack_error::disconnected, {});
}

void HubAcks::client_answered(HubEvent& event) {
  const std::string_view id = event.client_id();
  const auto asker =
      event.raw_id().empty() ? std::nullopt : owed_.take(id, echoed_ack_id(event.raw_id()));
  if (!asker) {
    unmatched_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const auto [error, data] = client_answer(event);
  settle(*asker, id, error, data);
}

AckStats HubAcks::stats() const {
  AckStats stats;
  waits_.add_to(stats);
  stats.owed = owed_.owed();
  stats.unmatched = unmatched_.load(std::memory_order_relaxed);
  return stats;
}

void HubAcks::add_commands() {
  broker::CommandTable& table = hub_.cluster.commands;
  table.add_command(hub_.kind("ack_send"), [this](std::string_view payload) {
    PayloadReader in(payload);
    const std::string_view id = in.text(), text = in.text(), node = in.text();
    const std::uint64_t key = in.number(), timeout = in.number();
    if (!in.done()) return false;
    deliver(id, std::string(text), {std::string(node), key}, std::chrono::milliseconds(timeout));
    return true;
  });
  table.add_question(hub_.kind("ack_emit"), [this](std::string_view payload) {
    PayloadReader in(payload);
    const std::string_view room = in.text(), except = in.text(), text = in.text(), node = in.text();
    const std::uint64_t key = in.number(), timeout = in.number();
    if (!in.done()) return std::optional<std::string>();
    const std::vector<std::string> members = hub_.members.members(room, except);
    for (const std::string& id : members)
      deliver(id, std::string(text), {std::string(node), key}, std::chrono::milliseconds(timeout));
    return std::optional(PayloadWriter().number(members.size()).take());
  });
  // From another node: its data is checked here (a local answer was checked by the scan).
  table.add_command(hub_.kind("ack_answer"), [this](std::string_view payload) {
    PayloadReader in(payload);
    const std::uint64_t key = in.number();
    const std::string_view id = in.text(), error = in.text(), data = in.text();
    if (!in.done()) return false;
    json value = data.empty() ? json() : json::parse(data, nullptr, false);
    if (value.is_discarded()) return false;
    waits_.answer(key, {.client_id = std::string(id), .error = std::string(error), .data = value});
    return true;
  });
}

}  // namespace events

// ---- the public calls ---------------------------------------------------------------------------

bool Hub::send_to(std::string_view client_id, std::string_view type, const json& data,
                  AckHandler on_ack, std::chrono::milliseconds timeout) {
  return impl_->acks.send(client_id, type, data, std::move(on_ack), timeout);
}

detail::CallbackAwaiter<Ack> Hub::send_to_with_ack(std::string_view client_id,
                                                   std::string_view type, const json& data,
                                                   std::chrono::milliseconds timeout) {
  return detail::CallbackAwaiter<Ack>(
      [this, id = std::string(client_id), type = std::string(type), data,
       timeout](AckHandler done) { send_to(id, type, data, std::move(done), timeout); });
}

AckStats Hub::ack_stats() const { return impl_->acks.stats(); }

void Event::send(std::string_view type, const json& data, AckHandler on_ack,
                 std::chrono::milliseconds timeout) {
  hub_.send_to(client_id(), type, data, std::move(on_ack), timeout);
}

void Room::emit(std::string_view type, const json& data, RoomAckHandler on_acks,
                std::chrono::milliseconds timeout) const {
  hub_->impl_->acks.emit(name_, except_, type, data, std::move(on_acks), timeout);
}

detail::CallbackAwaiter<RoomAcks> Room::emit_with_ack(std::string_view type, const json& data,
                                                      std::chrono::milliseconds timeout) const {
  return detail::CallbackAwaiter<RoomAcks>(
      [room = *this, type = std::string(type), data, timeout](RoomAckHandler done) {
        room.emit(type, data, std::move(done), timeout);
      });
}

}  // namespace wisp
