// The public face: SocketIo (the routes, the heartbeat timer), its namespaces, events and acks.
#include <algorithm>
#include <stdexcept>

#include "events/hub_impl.hpp"
#include "server/app_impl.hpp"
#include "socketio/ack_state.hpp"
#include "socketio/hub_rooms.hpp"
#include "socketio/server.hpp"
#include "socketio/transports.hpp"

namespace wisp {
namespace {

using detail::SocketIoServer;

// The heartbeat's tick: fine enough for the shortest of its deadlines.
std::chrono::milliseconds tick_of(const SocketIoSettings& s) {
  const auto shortest = std::min({s.ping_interval, s.ping_timeout, s.poll_hold});
  return std::clamp(shortest / 4, std::chrono::milliseconds(5), std::chrono::milliseconds(1000));
}

}  // namespace

SocketIo::SocketIo(App& app, std::string path, SocketIoSettings settings)
    : impl_(std::make_shared<SocketIoServer>(app, std::move(path), std::move(settings))) {
  impl_->namespaces.try_emplace("/");
  if (impl_->settings.polling) detail::add_polling_routes(impl_);
  detail::add_websocket_route(impl_);
  server::AppState& state = app.impl_->state;
  detail::join_cluster(*impl_, *state.broker, state.node.commands());
  if (Hub* hub = impl_->settings.hub) {
    hub->impl_->check_not_running("wisp::SocketIo sharing a hub's rooms");
    hub->impl_->room_taps.push_back(detail::hub_room_tap(impl_));
  }
  impl_->sweep_timer = app.every(tick_of(impl_->settings), [weak = std::weak_ptr(impl_)] {
    if (auto server = weak.lock()) {
      SocketIoServer::Guard guard(*server);
      server->sweep();
    }
  });
}

SocketIo::~SocketIo() {
  impl_->sweep_timer.cancel();
  close();
}

void SocketIo::close() {
  SocketIoServer::Guard guard(*impl_);
  impl_->running = false;
  while (!impl_->sessions.empty()) {
    impl_->close_session(*impl_->sessions.begin()->second, "server shutting down");
  }
}

IoNamespace SocketIo::of(std::string_view nsp) {
  SocketIoServer::Guard guard(*impl_);
  impl_->namespaces.try_emplace(std::string(nsp));
  return IoNamespace(impl_, std::string(nsp));
}

SocketIo& SocketIo::use(IoMiddleware middleware) {
  of("/").use(std::move(middleware));
  return *this;
}
SocketIo& SocketIo::on_connection(IoConnectHook hook) {
  of("/").on_connection(std::move(hook));
  return *this;
}
SocketIo& SocketIo::on_disconnect(IoDisconnectHook hook) {
  of("/").on_disconnect(std::move(hook));
  return *this;
}
SocketIo& SocketIo::on(std::string name, IoHandler handler) {
  of("/").on(std::move(name), std::move(handler));
  return *this;
}
IoBroadcast SocketIo::to(std::string_view room) const { return IoBroadcast(impl_, "/").to(room); }
std::size_t SocketIo::emit(std::string_view event, const json& args) const {
  return IoBroadcast(impl_, "/").emit(event, args);
}

IoStats SocketIo::stats() const {
  SocketIoServer::Guard guard(*impl_);
  IoStats stats = impl_->stats;
  stats.sessions = impl_->sessions.size();
  stats.sockets = 0;
  for (const auto& [name, ns] : impl_->namespaces) stats.sockets += ns.sockets.size();
  return stats;
}

const SocketIoSettings& SocketIo::settings() const { return impl_->settings; }

IoNamespace& IoNamespace::use(IoMiddleware middleware) {
  SocketIoServer::Guard guard(*server_);
  server_->space(name_)->middlewares.push_back(std::move(middleware));
  return *this;
}
IoNamespace& IoNamespace::on_connection(IoConnectHook hook) {
  SocketIoServer::Guard guard(*server_);
  server_->space(name_)->connect.push_back(std::move(hook));
  return *this;
}
IoNamespace& IoNamespace::on_disconnect(IoDisconnectHook hook) {
  SocketIoServer::Guard guard(*server_);
  server_->space(name_)->disconnect.push_back(std::move(hook));
  return *this;
}
IoNamespace& IoNamespace::on(std::string name, IoHandler handler) {
  SocketIoServer::Guard guard(*server_);
  if (!server_->space(name_)->handlers.emplace(name, std::move(handler)).second) {
    throw std::logic_error("wisp::IoNamespace::on: event '" + name + "' already has a handler");
  }
  return *this;
}
IoNamespace& IoNamespace::on_any(IoHandler handler) {
  SocketIoServer::Guard guard(*server_);
  server_->space(name_)->any = std::move(handler);
  return *this;
}
IoBroadcast IoNamespace::to(std::string_view room) const {
  return IoBroadcast(server_, name_).to(room);
}
IoBroadcast IoNamespace::except(std::string_view room_or_id) const {
  return IoBroadcast(server_, name_).except(room_or_id);
}
std::size_t IoNamespace::emit(std::string_view event, const json& args) const {
  return IoBroadcast(server_, name_).emit(event, args);
}
std::size_t IoNamespace::socket_count() const {
  SocketIoServer::Guard guard(*server_);
  return server_->space(name_)->sockets.size();
}

const json& IoEvent::arg(std::size_t i) const {
  static const json none;
  return i < args_.size() ? args_[i] : none;
}

void IoEvent::ack(const json& args) {
  if (ack_) ack_(args);
}

void IoAck::operator()(const json& args) {
  if (!state_) throw std::logic_error("wisp::IoAck: no acknowledgement to send");
  auto server = state_->server.lock();
  if (!server) return;
  SocketIoServer::Guard guard(*server);
  if (state_->done) throw std::logic_error("wisp::IoAck: already sent");
  state_->done = true;
  detail::NspSocket* socket = server->socket_of(state_->sid, state_->nsp, state_->socket_id);
  if (!socket) return;
  server->send_sio(socket->session, detail::encode_ack(state_->nsp, state_->id, args));
}

}  // namespace wisp
