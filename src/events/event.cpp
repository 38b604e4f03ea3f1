// Event: what a handler can do with the message it handles (events/hub_event.hpp parses it).
#include <stdexcept>

#include "events/hub_event.hpp"
#include "events/hub_impl.hpp"
#include "events/json_reader.hpp"
#include "events/reply_state.hpp"

namespace wisp {

std::string_view Event::client_id() const { return socket_.client_id(); }

std::string_view Event::type() const { return type_; }

void Event::send(std::string_view type, const json& data) {
  events::HubImpl::send_now(socket_, type, data);
}

bool Event::join(std::string_view room) { return hub_.join(client_id(), room); }

json Event::join(std::string_view room, const json& since) {
  events::HubImpl& hub = *hub_.impl_;
  const HistoryRule* rule = hub.history.rule_for(room);
  if (hub.in_cluster_stream(rule))
    throw std::logic_error(
        "wisp::Event::join: with the Redis broker a room's history is in Redis: use "
        "join(room, since, done)");
  if (rule) return hub.join_recovering(socket_, room, *rule, since);
  join(room);
  return json::object();
}

void Event::join(std::string_view room, const json& since, std::function<void(json)> done) {
  events::HubImpl& hub = *hub_.impl_;
  const HistoryRule* rule = hub.history.rule_for(room);
  if (!hub.in_cluster_stream(rule)) return done(join(room, since));
  hub.join_recovering_later(socket_, room, *rule, since, std::move(done));
}

bool Event::leave(std::string_view room) { return hub_.leave(client_id(), room); }

Reply Event::defer() {
  if (deferred_) throw std::logic_error("wisp::Event::defer: already deferred");
  deferred_ = true;
  const json& request_id = id();
  return Reply(std::make_shared<Reply::State>(hub_.impl_->app, std::string(client_id()),
                                              request_id.is_null() ? "" : request_id.dump()));
}

namespace events {

HubEvent::HubEvent(Hub& hub, WebSocket& socket, std::string_view message, const EnvelopeScan& scan)
    : Event(hub, socket, scan.type), message_(message), scan_(scan) {
  if (scan.type_escaped) {
    decoded_type_ =
        read_valid_json({scan.type.data() - 1, scan.type.size() + 2}).get<std::string>();
    type_ = decoded_type_;
  }
}

const json& HubEvent::parsed(std::optional<json>& slot, std::string_view text) {
  static const json null_json;
  if (slot) return *slot;
  if (text.empty()) return null_json;
  return slot.emplace(read_valid_json(text));
}

}  // namespace events
}  // namespace wisp
