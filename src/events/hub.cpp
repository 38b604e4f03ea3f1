// Hub and Room: registration before the app runs, and rooms and clients from any thread.
#include <stdexcept>

#include "events/envelope_writer.hpp"
#include "events/hub_impl.hpp"
#include "server/connection.hpp"

namespace wisp {
namespace {

// The reserved "join" / "leave" with {"room": name}, when HubSettings::builtin_rooms is on.
json builtin_room(Hub& hub, Event& event, bool join) {
  const json& data = event.data();
  const auto room = data.is_object() ? data.find("room") : data.end();
  if (!data.is_object() || room == data.end() || !room->is_string())
    throw HubError(std::string(hub_error::invalid_data), "expected {\"room\": name}");
  const std::string& name = room->get_ref<const std::string&>();
  if (join)
    event.join(name);
  else
    event.leave(name);
  return {{"room", name}, {"members", hub.room(name).size()}};
}

}  // namespace

Hub::Impl::Impl(server::AppState& app, const std::atomic<bool>& app_started, std::string path,
                HubSettings settings)
    : app(app),
      app_started(app_started),
      path(std::move(path)),
      settings(std::move(settings)),
      topic("hub:" + this->path) {
  if (!this->settings.builtin_rooms) return;
  handlers.emplace("join", [this](Event& event) { return builtin_room(*self, event, true); });
  handlers.emplace("leave", [this](Event& event) { return builtin_room(*self, event, false); });
}

void Hub::Impl::check_not_running(std::string_view call) const {
  if (app_started)
    throw std::logic_error(
        std::string("wisp::Hub::").append(call).append(": call it before run()"));
}

void Hub::Impl::add_handler(std::string type, Handler handler) {
  check_not_running("on");
  if (handlers.contains(type))
    throw std::logic_error("wisp::Hub: type \"" + type + "\" already has a handler");
  handlers.emplace(std::move(type), std::move(handler));
}

std::string Hub::Impl::room_topic(std::string_view room) const {
  return std::string(topic).append("#").append(room);
}

Hub::Hub(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) { impl_->self = this; }

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

// The table answers at once; the topic subscription follows on the client's loop, before
// anything posted there after this call (a room emit from this thread included).
bool Hub::join(std::string_view client_id, std::string_view room) {
  if (!impl_->members.join(client_id, room)) return false;
  impl_->app.with_client(
      client_id, [topic = impl_->room_topic(room)](server::Connection& c) { c.subscribe(topic); });
  return true;
}

bool Hub::leave(std::string_view client_id, std::string_view room) {
  if (!impl_->members.leave(client_id, room)) return false;
  impl_->app.with_client(client_id, [topic = impl_->room_topic(room)](server::Connection& c) {
    c.unsubscribe(topic);
  });
  return true;
}

std::vector<std::string> Hub::rooms() const { return impl_->members.rooms(); }

std::vector<std::string> Hub::rooms_of(std::string_view client_id) const {
  return impl_->members.rooms_of(client_id);
}

void Room::emit(std::string_view type, const json& data) const {
  events::MessageBuffer buffer;
  events::append_envelope(buffer.text(), type, data);
  hub_->impl_->app.publish(hub_->impl_->room_topic(name_), buffer.text(), OpCode::Text, true,
                           nullptr, except_);
}

Room Room::except(std::string_view client_id) const {
  return Room(*hub_, name_, std::string(client_id));
}

std::vector<std::string> Room::members() const {
  return hub_->impl_->members.members(name_, except_);
}

std::size_t Room::size() const { return hub_->impl_->members.size(name_, except_); }

// ---- clients ------------------------------------------------------------------------------------

bool Hub::send(std::string_view client_id, std::string_view type, const json& data) {
  if (!impl_->members.has_client(client_id)) return false;
  return impl_->app.with_client(client_id,
                                [message = events::envelope(type, data)](server::Connection& c) {
                                  c.send(message, OpCode::Text, true);
                                });
}

std::size_t Hub::broadcast(const json& data) {
  return broadcast(impl_->settings.broadcast_type, data);
}

// One publish on the topic every client of the hub is subscribed to: framed once per loop.
std::size_t Hub::broadcast(std::string_view type, const json& data) {
  events::MessageBuffer buffer;
  events::append_envelope(buffer.text(), type, data);
  impl_->app.publish(impl_->topic, buffer.text(), OpCode::Text, true, nullptr);
  return client_count();
}

std::size_t Hub::broadcast_to(const std::vector<std::string>& client_ids, std::string_view type,
                              const json& data) {
  return impl_->app.broadcast_to(impl_->members.known(client_ids), events::envelope(type, data),
                                 OpCode::Text);
}

bool Hub::disconnect(std::string_view client_id, std::string_view reason) {
  server::Connection::check_closable(close_code::normal, reason);  // throws on this thread
  if (!impl_->members.has_client(client_id)) return false;
  return impl_->app.with_client(
      client_id, [notice = events::envelope("disconnect_notice", {{"reason", reason}}),
                  reason = std::string(reason)](server::Connection& c) {
        c.send(notice, OpCode::Text, true);
        c.close(close_code::normal, reason);
      });
}

bool Hub::is_connected(std::string_view client_id) const {
  return impl_->members.has_client(client_id);
}

std::size_t Hub::client_count() const { return impl_->members.client_count(); }

std::vector<std::string> Hub::client_ids() const { return impl_->members.client_ids(); }

std::optional<ClientInfo> Hub::client(std::string_view client_id) const {
  if (!impl_->members.has_client(client_id)) return std::nullopt;
  return impl_->app.registry.info(client_id);
}

std::vector<ClientInfo> Hub::clients(const std::function<bool(const ClientInfo&)>& filter) const {
  std::vector<ClientInfo> found = impl_->app.registry.all();
  std::erase_if(found, [&](const ClientInfo& info) {
    return info.route != impl_->path || !impl_->members.has_client(info.id) || !filter(info);
  });
  return found;
}

bool Hub::set_metadata(std::string_view client_id, std::string key, std::string value) {
  return impl_->members.has_client(client_id) &&
         impl_->app.registry.set_metadata(client_id, std::move(key), std::move(value));
}

// The message goes out on every loop before the close frames: both are posted in this order.
void Hub::shutdown(const json& message, std::chrono::milliseconds timeout) {
  broadcast("shutdown", message);
  impl_->app.request_stop({.message = {}, .timeout = timeout});
}

const std::string& Hub::path() const { return impl_->path; }

const HubSettings& Hub::settings() const { return impl_->settings; }

}  // namespace wisp
