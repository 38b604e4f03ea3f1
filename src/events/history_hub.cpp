// The hub's rooms with history: emits that keep their message and publish it in offset order,
// and joins ordered with those publishes, with recovery of what a client missed.
//
// Why a join cannot miss or repeat a message: under the store's lock, an emit takes the next
// offset and posts the message to every loop's inbox (Publish::ordered), and a join reads the
// stream's last offset T and posts the client's subscription to its loop's inbox. Each inbox
// runs in posting order, so the loop delivers every message up to T before it subscribes the
// client, and every later one after: the client gets exactly the offsets after T live, and the
// missed ones up to T from the store, sent before its subscription runs.
#include <optional>
#include <string>

#include "events/envelope_writer.hpp"
#include "events/hub_impl.hpp"
#include "events/presence.hpp"

namespace wisp {

// {"offset": n, "epoch": "..."} as the client sent it.
events::StreamPosition events::HubImpl::read_position(const json& since) {
  const auto offset = since.is_object() ? since.find("offset") : since.end();
  const auto epoch = since.is_object() ? since.find("epoch") : since.end();
  if (offset == since.end() || !offset->is_number_unsigned() || epoch == since.end() ||
      !epoch->is_string()) {
    throw HubError(std::string(hub_error::invalid_data),
                   "expected \"since\": {\"offset\": n, \"epoch\": string}");
  }
  return {epoch->get<std::string>(), offset->get<std::uint64_t>()};
}

// The envelope {"type","data"} gets ,"room":...,"offset":n,"epoch":"..." before its last brace;
// the JSON is written outside the lock, the offset and epoch (hex) under it.
bool events::HubImpl::emit_with_history(std::string_view room, std::string_view except,
                                        std::string& envelope) {
  const HistoryRule* rule = history.rule_for(room);
  if (!rule) return false;
  envelope.pop_back();
  envelope.append(",\"room\":");
  events::append_string(envelope, room);
  envelope.append(",\"offset\":");
  if (in_cluster_stream(rule)) {
    emit_to_stream(room, except, *rule, envelope);
    return true;
  }
  const std::string topic = room_topic(room);
  history.append(
      room, *rule,
      [&](std::uint64_t offset, std::string_view epoch) {
        return std::string(envelope)
            .append(std::to_string(offset))
            .append(",\"epoch\":\"")
            .append(epoch)
            .append("\"}");
      },
      [&](std::string_view message) {
        cluster.broker.publish(
            {.topic = topic, .message = message, .except_client = except, .ordered = true});
      });
  return true;
}

// Null when the client is in the room already (or not here).
std::optional<events::Recovery> events::HubImpl::join_at(std::string_view id, std::string_view room,
                                                         const HistoryRule& rule,
                                                         const events::StreamPosition* since) {
  if (!members.join(id, room)) return std::nullopt;
  events::presence_joined(*this, id, room);
  return history.recover(room, rule, since, [&] {
    cluster.post_to_client(id, [topic = room_topic(room)](WebSocket& ws) { ws.subscribe(topic); });
  });
}

bool events::HubImpl::join_in_order(std::string_view id, std::string_view room,
                                    const HistoryRule& rule) {
  if (!in_cluster_stream(&rule)) return join_at(id, room, rule, nullptr).has_value();
  if (!members.join(id, room)) return false;
  join_stream(id, room, rule, nullptr, true, {});
  return true;
}

bool events::HubImpl::leave_in_order(std::string_view id, std::string_view room) {
  if (!members.leave(id, room)) return false;
  cluster.post_to_client(id, [topic = room_topic(room)](WebSocket& ws) { ws.unsubscribe(topic); });
  events::presence_left(*this, id, room);
  return true;
}

// A client already in the room is subscribed already: it only learns the position.
json events::HubImpl::join_recovering(WebSocket& ws, std::string_view room, const HistoryRule& rule,
                                      const json& since) {
  const std::optional<events::StreamPosition> from =
      since.is_null() ? std::nullopt : std::optional(read_position(since));
  const auto recovery = join_at(ws.client_id(), room, rule, from ? &*from : nullptr);
  if (!recovery) {
    const RoomHistory now = history.last(room, 0);
    return {{"offset", now.offset}, {"epoch", now.epoch}};
  }
  for (const std::string& missed : recovery->missed) ws.send(missed);
  return join_fields(&*recovery, from.has_value());
}

json events::HubImpl::join_fields(const events::Recovery* recovery, bool asked) {
  json fields = json::object();
  if (recovery) fields = {{"offset", recovery->now.offset}, {"epoch", recovery->now.epoch}};
  if (!asked) return fields;
  fields["recovered"] = recovery && recovery->recovered;
  if (!fields["recovered"])
    fields["reason"] = recovery ? recovery->reason : recovery_refused::unavailable;
  return fields;
}

}  // namespace wisp
