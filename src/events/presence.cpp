#include "events/presence.hpp"

#include "broker/payload.hpp"
#include "broker/return_path.hpp"
#include "events/envelope_writer.hpp"
#include "events/hub_impl.hpp"

namespace wisp::events {
namespace {

using broker::PayloadReader;
using broker::PayloadWriter;

json info_of(App& app, std::string_view id) {
  json info = json::object();
  if (const auto client = app.client(id))
    for (const auto& [key, value] : client->metadata) info[key] = value;
  return info;
}

std::string presence_answer(const std::vector<Presence>& entries) {
  PayloadWriter out;
  out.number(entries.size());
  for (const Presence& entry : entries) out.text(entry.client_id).text(entry.info.dump());
  return out.take();
}

// Adds one node's answer to `all`; false if it does not decode (an answer from another node).
bool add_answer(std::string_view answer, std::vector<Presence>& all) {
  PayloadReader in(answer);
  for (std::uint64_t n = in.number(); n > 0 && in.ok(); --n) {
    const std::string_view id = in.text();
    json info = json::parse(in.text(), nullptr, false);
    if (info.is_discarded()) return false;
    all.push_back({std::string(id), std::move(info)});
  }
  return in.done();
}

void announce(events::HubImpl& hub, std::string_view room, std::string_view except,
              std::string_view type, const json& data) {
  MessageBuffer buffer;
  append_envelope(buffer.text(), type, data);
  hub.cluster.broker.publish(
      {.topic = hub.room_topic(room), .message = buffer.text(), .except_client = except});
}

// The broker's entries ({"node","info"}, broker/presence_store.hpp) as Presence, but `except`'s.
std::vector<Presence> stored_presence(const std::vector<broker::PresenceStore::Entry>& entries,
                                      std::string_view except, broker::CommandTable& table) {
  std::vector<Presence> all;
  for (const auto& entry : entries) {
    if (entry.client_id == except) continue;
    json value = json::parse(entry.value, nullptr, false);
    if (!value.is_object() || !value.contains("info")) {
      table.count_malformed();
      continue;
    }
    all.push_back({entry.client_id, std::move(value["info"])});
  }
  return all;
}

// A node found dead (by this node's broker) left its clients' entries behind: the members on
// every node learn that they left.
void on_node_lost(events::HubImpl& hub, std::string_view key, std::string_view id) {
  const std::string rooms_prefix = hub.room_topic("");
  if (!hub.settings.presence_events || !key.starts_with(rooms_prefix)) return;
  const std::string_view room = key.substr(rooms_prefix.size());
  announce(hub, room, id, "presence_leave",
           {{"room", room}, {"client_id", id}, {"reason", "node lost"}});
}

}  // namespace

std::vector<Presence> presence_here(events::HubImpl& hub, std::string_view room,
                                    std::string_view except) {
  std::vector<Presence> entries;
  for (std::string& id : hub.members.members(room, except)) {
    json info = info_of(hub.app, id);
    entries.push_back({std::move(id), std::move(info)});
  }
  return entries;
}

void presence_everywhere(events::HubImpl& hub, std::string_view room, std::string_view except,
                         std::function<void(std::vector<Presence>)> done) {
  auto back = broker::answer_to_caller(hub.cluster.return_path, std::move(done));
  if (broker::PresenceStore* store = hub.cluster.broker.presence()) {
    store->list(hub.room_topic(room),
                [&hub, room = std::string(room), except = std::string(except), back](auto entries) {
                  if (!entries) return gather_presence(hub, room, except, back);  // Redis is down
                  back(stored_presence(*entries, except, hub.cluster.commands));
                });
    return;
  }
  gather_presence(hub, room, except, std::move(back));
}

void gather_presence(events::HubImpl& hub, std::string_view room, std::string_view except,
                     std::function<void(std::vector<Presence>)> done) {
  const std::string payload = PayloadWriter().text(room).text(except).take();
  hub.gather("presence", payload,
             [table = &hub.cluster.commands, done](std::vector<std::string> answers) {
               std::vector<Presence> all;
               for (const std::string& answer : answers)
                 if (!add_answer(answer, all)) table->count_malformed();
               done(std::move(all));
             });
}

void presence_count(events::HubImpl& hub, const Room& room, std::string_view except,
                    std::function<void(std::size_t)> done) {
  broker::PresenceStore* store = hub.cluster.broker.presence();
  if (!store) return room.size(std::move(done));
  auto back = broker::answer_to_caller(hub.cluster.return_path, std::move(done));
  store->count(hub.room_topic(room.name()), except, [room, back](std::optional<std::size_t> n) {
    if (!n) return room.size(back);  // Redis is down: the nodes count their own
    back(*n);
  });
}

bool tracks_presence(const events::HubImpl& hub) {
  return hub.settings.presence_events || hub.cluster.broker.presence() != nullptr;
}

void presence_joined(events::HubImpl& hub, std::string_view id, std::string_view room) {
  if (!tracks_presence(hub)) return;
  const json info = info_of(hub.app, id);
  if (broker::PresenceStore* store = hub.cluster.broker.presence())
    store->add(hub.room_topic(room), id, info.dump());
  if (hub.settings.presence_events)
    announce(hub, room, id, "presence_join", {{"room", room}, {"client_id", id}, {"info", info}});
}

void presence_left(events::HubImpl& hub, std::string_view id, std::string_view room) {
  if (broker::PresenceStore* store = hub.cluster.broker.presence())
    store->remove(hub.room_topic(room), id);
  if (hub.settings.presence_events)
    announce(hub, room, id, "presence_leave", {{"room", room}, {"client_id", id}});
}

void remove_member(events::HubImpl& hub, std::string_view id) {
  const auto rooms = tracks_presence(hub) ? hub.members.rooms_of(id) : std::vector<std::string>();
  hub.members.remove_client(id);
  for (const std::string& room : rooms) presence_left(hub, id, room);
}

void add_presence_question(events::HubImpl& hub) {
  if (broker::PresenceStore* store = hub.cluster.broker.presence())
    store->on_lost(
        [&hub](std::string_view key, std::string_view id) { on_node_lost(hub, key, id); });
  hub.cluster.commands.add_question(hub.kind("presence"), [&hub](std::string_view payload) {
    PayloadReader in(payload);
    const std::string_view room = in.text(), except = in.text();
    if (!in.done()) return std::optional<std::string>();
    return std::optional(presence_answer(presence_here(hub, room, except)));
  });
}

}  // namespace wisp::events

namespace wisp {

std::vector<Presence> Room::presence() const {
  return events::presence_here(*hub_->impl_, name_, except_);
}

void Room::presence(std::function<void(std::vector<Presence>)> done) const {
  events::presence_everywhere(*hub_->impl_, name_, except_, std::move(done));
}

std::size_t Room::presence_count() const { return size(); }

void Room::presence_count(std::function<void(std::size_t)> done) const {
  events::presence_count(*hub_->impl_, *this, except_, std::move(done));
}

}  // namespace wisp
