// wisp::Client and wisp::ClientSocket (include/wisp/client.hpp): the loop the connections run
// on (the caller's, or a thread of the client's own) and the calls forwarded to them.
#include <future>
#include <thread>

#include "client/client_connection.hpp"
#include "client/connections.hpp"
#include "client/plan.hpp"
#include "client/resolver.hpp"
#include "net/event_loop.hpp"
#include "wisp/client.hpp"

namespace wisp {

struct Client::Impl {
  explicit Impl(net::EventLoop* on) : loop(on), connections(on) {}

  net::EventLoop* loop;
  std::thread thread;  // only when the client runs its own loop
  client::Connections connections;

  // Runs `task` on the loop: at once when called there, else posted (dropped if `self` is gone
  // by then, which only happens on an App's loop: a client's own loop outlives its posts).
  static void run(const std::shared_ptr<Impl>& self, std::function<void()> task) {
    if (net::EventLoop::current() == self->loop) return task();
    self->loop->post([weak = std::weak_ptr<Impl>(self), task = std::move(task)] {
      if (weak.lock()) task();
    });
  }
};

Client::Client() {
  if (net::EventLoop* current = net::EventLoop::current()) {
    impl_ = std::make_shared<Impl>(current);
    return;
  }
  std::promise<std::shared_ptr<Impl>> started;
  std::thread thread([&started] {
    net::EventLoop loop;
    const auto impl = std::make_shared<Impl>(&loop);
    started.set_value(impl);
    loop.run();
    impl->connections.abandon_all();  // before the loop they are registered with goes
  });
  impl_ = started.get_future().get();
  impl_->thread = std::move(thread);
}

Client::~Client() {
  if (!impl_->thread.joinable()) {
    impl_->connections.abandon_all();
    return;
  }
  impl_->loop->stop();
  impl_->thread.join();
}

void Client::connect(std::string_view url, ClientHandlers handlers, ClientSettings settings) {
  std::shared_ptr<const client::Plan> plan =
      client::make_plan(url, std::move(handlers), std::move(settings));
  Impl::run(impl_, [plan = std::move(plan), impl = impl_.get()]() mutable {
    client::start_attempt(std::move(plan), impl->connections);
  });
}

void Client::post(std::function<void()> task) { Impl::run(impl_, std::move(task)); }

// ---- ClientSocket ------------------------------------------------------------------------------

using client::ClientConnection;

SendStatus ClientSocket::send(std::string_view message, OpCode op, bool compress) {
  return ClientConnection::of(*this).send(message, op, compress);
}
void ClientSocket::close(int code, std::string_view reason) {
  ClientConnection::of(*this).close(code, reason);
}
void ClientSocket::terminate() { ClientConnection::of(*this).terminate(); }
bool ClientSocket::closed() const { return ClientConnection::of(*this).closed(); }
std::string_view ClientSocket::subprotocol() const {
  return ClientConnection::of(*this).subprotocol();
}
bool ClientSocket::compression_agreed() const {
  return ClientConnection::of(*this).compression_agreed();
}
std::size_t ClientSocket::buffered_amount() const { return ClientConnection::of(*this).buffered(); }
std::uint64_t ClientSocket::dropped() const { return ClientConnection::of(*this).dropped(); }

}  // namespace wisp
