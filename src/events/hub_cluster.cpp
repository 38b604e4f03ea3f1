// The hub across nodes: this node's part of each call by client id, the commands that carry the
// rest to the node holding the client, and the questions every node answers for its own clients
// (payloads: broker/payload.hpp fields, in this order; kinds are the hub's topic, '.', a name):
//   join, leave       text id, text room
//   send              text id, text message (an envelope)
//   disconnect        text id, text reason
//   broadcast_to      text message, texts ids          (each node sends to its own)
//   clients  ()                      -> number        members  text room, text except -> texts
//   size     text room, text except  -> number        rooms    ()                     -> texts
//   has      text id                 -> number (0 or 1)
#include "broker/payload.hpp"
#include "events/envelope_writer.hpp"
#include "events/hub_impl.hpp"
#include "events/presence.hpp"

namespace wisp {
namespace {

using broker::PayloadReader;
using broker::PayloadWriter;

std::string number(std::uint64_t value) { return PayloadWriter().number(value).take(); }

}  // namespace

std::string events::HubImpl::kind(std::string_view what) const {
  return std::string(topic).append(".").append(what);
}

// The table answers at once; the topic subscription follows on the client's loop, before
// anything posted there after this call (a room emit from this thread included).
bool events::HubImpl::join_here(std::string_view id, std::string_view room) {
  if (const HistoryRule* rule = history.rule_for(room)) return join_in_order(id, room, *rule);
  if (!members.join(id, room)) return false;
  app.with_client(id, [topic = room_topic(room)](WebSocket& ws) { ws.subscribe(topic); });
  events::presence_joined(*this, id, room);
  return true;
}

bool events::HubImpl::leave_here(std::string_view id, std::string_view room) {
  if (history.rule_for(room)) return leave_in_order(id, room);
  if (!members.leave(id, room)) return false;
  app.with_client(id, [topic = room_topic(room)](WebSocket& ws) { ws.unsubscribe(topic); });
  events::presence_left(*this, id, room);
  return true;
}

bool events::HubImpl::send_here(std::string_view id, std::string message) {
  if (!members.has_client(id)) return false;
  return app.with_client(id, [message = std::move(message)](WebSocket& ws) { ws.send(message); });
}

bool events::HubImpl::disconnect_here(std::string_view id, int code, std::string_view reason) {
  if (!members.has_client(id)) return false;
  return app.with_client(id, [notice = events::envelope("disconnect_notice", {{"reason", reason}}),
                              code, reason = std::string(reason)](WebSocket& ws) {
    ws.send(notice);
    ws.close(code, reason);
  });
}

std::size_t events::HubImpl::broadcast_to_here(const std::vector<std::string>& ids,
                                               std::string_view message,
                                               std::vector<std::string>* not_here) {
  return app.broadcast_to(members.known(ids, not_here), message, OpCode::Text);
}

void events::HubImpl::forward(std::string_view id, std::string_view what,
                              const std::function<std::string()>& payload) {
  if (cluster.broker.alone() || members.has_client(id)) return;
  cluster.broker.to_client(id, kind(what), payload(), nullptr);
}

void events::HubImpl::to_all(std::string_view what, std::string_view payload) {
  cluster.broker.to_all(kind(what), payload);
}

void events::HubImpl::gather(std::string_view what, std::string_view payload,
                             std::function<void(std::vector<std::string>)> merge) const {
  cluster.broker.gather(kind(what), payload, cluster.gather_timeout,
                        [merge = broker::answer_to_caller(cluster.return_path, std::move(merge))](
                            std::vector<std::string> answers, bool) { merge(std::move(answers)); });
}

namespace {

// A command whose payload is two texts.
template <class Run>
broker::CommandTable::Command two_texts(Run run) {
  return [run](std::string_view payload) {
    PayloadReader in(payload);
    const std::string_view first = in.text(), second = in.text();
    if (!in.done()) return false;
    run(first, second);
    return true;
  };
}

}  // namespace

void events::HubImpl::add_commands() {
  broker::CommandTable& table = cluster.commands;
  table.add_command(kind("join"), two_texts([this](auto id, auto room) { join_here(id, room); }));
  table.add_command(kind("leave"), two_texts([this](auto id, auto room) { leave_here(id, room); }));
  table.add_command(kind("send"), two_texts([this](auto id, auto message) {
                      send_here(id, std::string(message));
                    }));
  table.add_command(kind("disconnect"), [this](std::string_view payload) {
    PayloadReader in(payload);
    const std::string_view id = in.text();
    const std::uint64_t code = in.number();
    const std::string_view reason = in.text();
    if (!in.done() || code > 4999) return false;
    WebSocket::check_close(static_cast<int>(code), reason);  // throws: counted as malformed
    disconnect_here(id, static_cast<int>(code), reason);
    return true;
  });
  table.add_command(kind("broadcast_to"), [this](std::string_view payload) {
    PayloadReader in(payload);
    const std::string_view message = in.text();
    const std::vector<std::string> ids = in.texts();
    if (!in.done()) return false;
    broadcast_to_here(ids, message);
    return true;
  });
  table.add_question(kind("clients"), [this](std::string_view) {
    return std::optional(number(members.client_count()));
  });
  table.add_question(kind("members"), [this](std::string_view payload) {
    PayloadReader in(payload);
    const std::string_view room = in.text(), except = in.text();
    if (!in.done()) return std::optional<std::string>();
    return std::optional(PayloadWriter().texts(members.members(room, except)).take());
  });
  table.add_question(kind("size"), [this](std::string_view payload) {
    PayloadReader in(payload);
    const std::string_view room = in.text(), except = in.text();
    if (!in.done()) return std::optional<std::string>();
    return std::optional(number(members.size(room, except)));
  });
  table.add_question(kind("rooms"), [this](std::string_view) {
    return std::optional(PayloadWriter().texts(members.rooms()).take());
  });
  table.add_question(kind("has"), [this](std::string_view payload) {
    PayloadReader in(payload);
    const std::string_view id = in.text();
    if (!in.done()) return std::optional<std::string>();
    return std::optional(number(members.has_client(id) ? 1 : 0));
  });
  acks.add_commands();
  events::add_presence_question(*this);
}

}  // namespace wisp
