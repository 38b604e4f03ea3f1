#include "events/presence.hpp"

#include "broker/payload.hpp"
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

void announce(Hub::Impl& hub, std::string_view room, std::string_view except, std::string_view type,
              const json& data) {
  MessageBuffer buffer;
  append_envelope(buffer.text(), type, data);
  hub.cluster.broker.publish(
      {.topic = hub.room_topic(room), .message = buffer.text(), .except_client = except});
}

}  // namespace

std::vector<Presence> presence_here(Hub::Impl& hub, std::string_view room,
                                    std::string_view except) {
  std::vector<Presence> entries;
  for (std::string& id : hub.members.members(room, except)) {
    json info = info_of(hub.app, id);
    entries.push_back({std::move(id), std::move(info)});
  }
  return entries;
}

void presence_everywhere(Hub::Impl& hub, std::string_view room, std::string_view except,
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

void announce_join(Hub::Impl& hub, std::string_view id, std::string_view room) {
  if (!hub.settings.presence_events) return;
  announce(hub, room, id, "presence_join",
           {{"room", room}, {"client_id", id}, {"info", info_of(hub.app, id)}});
}

void announce_leave(Hub::Impl& hub, std::string_view id, std::string_view room) {
  if (!hub.settings.presence_events) return;
  announce(hub, room, id, "presence_leave", {{"room", room}, {"client_id", id}});
}

void add_presence_question(Hub::Impl& hub) {
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

}  // namespace wisp
