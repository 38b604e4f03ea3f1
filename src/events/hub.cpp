// Hub and Room: registration before the app runs, and rooms and clients from any thread.
#include <algorithm>
#include <stdexcept>

#include "broker/answers.hpp"
#include "broker/payload.hpp"
#include "events/envelope_writer.hpp"
#include "events/hub_impl.hpp"

namespace wisp {
namespace {

// The reserved "join" / "leave" with {"room": name}, when HubSettings::builtin_rooms is on. A
// join of a room with history may say {"since": {"offset", "epoch"}} to recover what it missed;
// its answer has the room's position (and whether it recovered).
json room_answer(events::HubImpl& hub, const std::string& name, const json& position) {
  json answer = {{"room", name}, {"members", hub.members.size(name, {})}};
  answer.update(position);
  return answer;
}

// A room whose history is in Redis answers once Redis did (the missed messages first).
json join_later(events::HubImpl& hub, Event& event, const std::string& name, const json& since) {
  auto reply = std::make_shared<Reply>(event.defer());
  try {
    event.join(name, since, [&hub, reply, name](json position) {
      reply->resolve(room_answer(hub, name, position));
    });
  } catch (const HubError& error) {  // a malformed "since"
    reply->reject(error.code(), error.what());
  }
  return nullptr;
}

json builtin_room(events::HubImpl& hub, Event& event, bool join) {
  const json& data = event.data();
  const auto room = data.is_object() ? data.find("room") : data.end();
  if (!data.is_object() || room == data.end() || !room->is_string())
    throw HubError(std::string(hub_error::invalid_data), "expected {\"room\": name}");
  const std::string& name = room->get_ref<const std::string&>();
  if (join && hub.in_cluster_stream(hub.history.rule_for(name)))
    return join_later(hub, event, name, data.value("since", json()));
  const json position = join ? event.join(name, data.value("since", json())) : json::object();
  if (!join) event.leave(name);
  return room_answer(hub, name, position);
}

}  // namespace

events::HubImpl::HubImpl(App& app, events::HubCluster cluster, const std::atomic<bool>& app_started,
                         std::string path, HubSettings settings)
    : app(app),
      cluster(cluster),
      app_started(app_started),
      path(std::move(path)),
      settings(std::move(settings)),
      topic("hub:" + this->path),
      history(this->settings.history) {
  if (!this->settings.builtin_rooms) return;
  handlers.emplace("join", [this](Event& event) { return builtin_room(*this, event, true); });
  handlers.emplace("leave", [this](Event& event) { return builtin_room(*this, event, false); });
}

void events::HubImpl::check_not_running(std::string_view call) const {
  if (app_started)
    throw std::logic_error(
        std::string("wisp::Hub::").append(call).append(": call it before run()"));
}

void events::HubImpl::add_handler(std::string type, Handler handler) {
  check_not_running("on");
  if (handlers.contains(type))
    throw std::logic_error("wisp::Hub: type \"" + type + "\" already has a handler");
  handlers.emplace(std::move(type), std::move(handler));
}

std::string events::HubImpl::room_topic(std::string_view room) const {
  return std::string(topic).append("#").append(room);
}

Hub::Hub(std::unique_ptr<events::HubImpl> impl) : impl_(std::move(impl)) { impl_->self = this; }

Hub::~Hub() = default;

Hub& Hub::add_handler(std::string type, Handler handler) {
  impl_->add_handler(std::move(type), std::move(handler));
  return *this;
}

Hub& Hub::on_connect(ConnectHook hook) {
  impl_->check_not_running("on_connect");
  impl_->connect_hooks.push_back(std::move(hook));
  return *this;
}

Hub& Hub::on_disconnect(DisconnectHook hook) {
  impl_->check_not_running("on_disconnect");
  impl_->disconnect_hooks.push_back(std::move(hook));
  return *this;
}

// All or nothing: a clash leaves the hub as it was.
Hub& Hub::mount(const Blueprint& blueprint) {
  impl_->check_not_running("mount");
  auto handlers = impl_->handlers;
  for (const auto& [type, handler] : blueprint.handlers_) {
    if (!handlers.emplace(type, handler).second) {
      throw std::logic_error("wisp::Hub::mount: blueprint \"" + blueprint.name() + "\": type \"" +
                             type + "\" already has a handler");
    }
  }
  impl_->handlers = std::move(handlers);
  impl_->connect_hooks.insert(impl_->connect_hooks.end(), blueprint.connect_.begin(),
                              blueprint.connect_.end());
  impl_->disconnect_hooks.insert(impl_->disconnect_hooks.end(), blueprint.disconnect_.begin(),
                                 blueprint.disconnect_.end());
  return *this;
}

// ---- rooms --------------------------------------------------------------------------------------

namespace {

using broker::PayloadWriter;

std::string two_texts(std::string_view first, std::string_view second) {
  return PayloadWriter().text(first).text(second).take();
}

// Rooms named by several nodes are listed once.
std::vector<std::string> distinct(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

}  // namespace

bool Hub::join(std::string_view client_id, std::string_view room) {
  if (impl_->join_here(client_id, room)) return true;
  impl_->forward(client_id, "join", [&] { return two_texts(client_id, room); });
  return false;
}

bool Hub::leave(std::string_view client_id, std::string_view room) {
  if (impl_->leave_here(client_id, room)) return true;
  impl_->forward(client_id, "leave", [&] { return two_texts(client_id, room); });
  return false;
}

std::vector<std::string> Hub::rooms() const { return impl_->members.rooms(); }

void Hub::rooms(std::function<void(std::vector<std::string>)> done) const {
  impl_->gather("rooms", {}, [table = &impl_->cluster.commands, done](auto answers) {
    done(distinct(broker::all_of(answers, *table)));
  });
}

std::vector<std::string> Hub::rooms_of(std::string_view client_id) const {
  return impl_->members.rooms_of(client_id);
}

void Room::emit(std::string_view type, const json& data) const {
  for (const auto& tap : hub_->impl_->room_taps) tap(name_, except_, type, data);
  events::MessageBuffer buffer;
  events::append_envelope(buffer.text(), type, data);
  if (hub_->impl_->emit_with_history(name_, except_, buffer.text())) return;
  hub_->impl_->cluster.broker.publish({.topic = hub_->impl_->room_topic(name_),
                                       .message = buffer.text(),
                                       .except_client = except_});
}

RoomHistory Room::history(std::size_t limit) const {
  if (hub_->impl_->in_cluster_stream(hub_->impl_->history.rule_for(name_)))
    throw std::logic_error(
        "wisp::Room::history: with the Redis broker the history is in Redis: use "
        "history(limit, done)");
  return hub_->impl_->history.last(name_, limit);
}

void Room::history(std::size_t limit, std::function<void(RoomHistory)> done) const {
  const events::HubImpl& hub = *hub_->impl_;
  auto answer = broker::answer_to_caller(hub.cluster.return_path, std::move(done));
  const HistoryRule* rule = hub.history.rule_for(name_);
  if (!hub.in_cluster_stream(rule)) return answer(history(limit));
  hub.cluster.broker.history_read({.topic = hub.room_topic(name_), .max = limit, .ttl = rule->ttl},
                                  [answer](std::optional<broker::StreamRead> read) {
                                    if (!read) return answer({});
                                    RoomHistory history{read->epoch, read->offset, {}};
                                    for (const std::string& envelope : read->envelopes)
                                      history.messages.push_back(events::history_message(envelope));
                                    answer(std::move(history));
                                  });
}

Room Room::except(std::string_view client_id) const {
  return Room(*hub_, name_, std::string(client_id));
}

std::vector<std::string> Room::members() const {
  return hub_->impl_->members.members(name_, except_);
}

void Room::members(std::function<void(std::vector<std::string>)> done) const {
  hub_->impl_->gather("members", two_texts(name_, except_),
                      [table = &hub_->impl_->cluster.commands, done](auto answers) {
                        done(broker::all_of(answers, *table));
                      });
}

std::size_t Room::size() const { return hub_->impl_->members.size(name_, except_); }

void Room::size(std::function<void(std::size_t)> done) const {
  hub_->impl_->gather("size", two_texts(name_, except_),
                      [table = &hub_->impl_->cluster.commands, done](auto answers) {
                        done(broker::sum_of(answers, *table));
                      });
}

// ---- clients ------------------------------------------------------------------------------------

bool Hub::send_to(std::string_view client_id, std::string_view type, const json& data) {
  std::string message = events::envelope(type, data);
  if (impl_->send_here(client_id, message)) return true;
  impl_->forward(client_id, "send", [&] { return two_texts(client_id, message); });
  return false;
}

std::size_t Hub::broadcast(const json& data) {
  return broadcast(impl_->settings.broadcast_type, data);
}

// One publish on the topic every client of the hub is subscribed to: framed once per loop. To the
// broker itself, as rooms' emits: never kept as a topic's history (AppOptions::topic_history),
// whatever its rules match.
std::size_t Hub::broadcast(std::string_view type, const json& data) {
  events::MessageBuffer buffer;
  events::append_envelope(buffer.text(), type, data);
  impl_->cluster.broker.publish({.topic = impl_->topic, .message = buffer.text()});
  return client_count();
}

std::size_t Hub::broadcast_to(const std::vector<std::string>& client_ids, std::string_view type,
                              const json& data) {
  const std::string message = events::envelope(type, data);
  std::vector<std::string> elsewhere;
  const std::size_t here = impl_->broadcast_to_here(client_ids, message, &elsewhere);
  if (!elsewhere.empty() && !impl_->cluster.broker.alone()) {
    impl_->to_all("broadcast_to", PayloadWriter().text(message).texts(elsewhere).bytes());
  }
  return here;
}

bool Hub::disconnect(std::string_view client_id, int code, std::string_view reason) {
  WebSocket::check_close(code, reason);  // throws on this thread
  if (impl_->disconnect_here(client_id, code, reason)) return true;
  impl_->forward(client_id, "disconnect", [&] {
    return PayloadWriter()
        .text(client_id)
        .number(static_cast<std::uint64_t>(code))
        .text(reason)
        .take();
  });
  return false;
}

bool Hub::is_connected(std::string_view client_id) const {
  return impl_->members.has_client(client_id);
}

void Hub::is_connected(std::string_view client_id, std::function<void(bool)> done) const {
  impl_->gather("has", PayloadWriter().text(client_id).bytes(),
                [table = &impl_->cluster.commands, done](auto answers) {
                  done(broker::sum_of(answers, *table) > 0);
                });
}

std::size_t Hub::client_count() const { return impl_->members.client_count(); }

void Hub::client_count(std::function<void(std::size_t)> done) const {
  impl_->gather("clients", {}, [table = &impl_->cluster.commands, done](auto answers) {
    done(broker::sum_of(answers, *table));
  });
}

std::vector<std::string> Hub::client_ids() const { return impl_->members.client_ids(); }

std::optional<ClientInfo> Hub::client(std::string_view client_id) const {
  if (!impl_->members.has_client(client_id)) return std::nullopt;
  return impl_->app.client(client_id);
}

std::vector<ClientInfo> Hub::clients(const std::function<bool(const ClientInfo&)>& filter) const {
  return impl_->app.clients([&](const ClientInfo& info) {
    return info.route == impl_->path && impl_->members.has_client(info.id) && filter(info);
  });
}

bool Hub::set_metadata(std::string_view client_id, std::string key, std::string value) {
  return impl_->members.has_client(client_id) &&
         impl_->app.set_metadata(client_id, std::move(key), std::move(value));
}

// The message goes out on every loop before the close frames: both are posted in this order.
void Hub::shutdown(const json& message, std::chrono::milliseconds timeout) {
  broadcast("shutdown", message);
  impl_->app.shutdown({.message = {}, .timeout = timeout});
}

const std::string& Hub::path() const { return impl_->path; }

const HubSettings& Hub::settings() const { return impl_->settings; }

HistoryStats Hub::history_stats() const { return impl_->history.stats(); }

}  // namespace wisp
