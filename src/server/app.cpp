#include "wisp/app.hpp"

#include <unistd.h>

#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "net/tcp_listener.hpp"
#include "server/loop_server.hpp"
#include "server/router.hpp"

namespace wisp {

struct App::Impl {
  AppOptions options;
  server::Router router;
  std::vector<int> listen_fds;  // one per loop thread, handed to the loops by run()
  std::uint16_t port = 0;
  bool started = false;

  std::mutex mutex;  // guards the two below: stop() may come from any thread
  std::vector<server::LoopServer*> running;
  bool stop_requested = false;

  void run_loop(int listen_fd);
};

App::App(AppOptions options) : impl_(std::make_unique<Impl>()) {
  if (options.threads == 0) throw std::invalid_argument("wisp::App: threads must be at least 1");
  impl_->options = options;
}

App::~App() {
  for (int fd : impl_->listen_fds) ::close(fd);
}

App& App::add_ws_route(std::string pattern, WebSocketBehavior behavior, detail::UserDataType type) {
  if (impl_->started) throw std::logic_error("wisp::App::ws: routes are added before run()");
  impl_->router.add(std::move(pattern), std::move(behavior), type);
  return *this;
}

App& App::listen(std::string_view host, std::uint16_t port) {
  if (!impl_->listen_fds.empty()) throw std::logic_error("wisp::App::listen: already listening");
  const bool shared_port = impl_->options.threads > 1;
  for (unsigned i = 0; i < impl_->options.threads; ++i) {
    // With port 0 the first socket gets a free port; the others share it.
    impl_->listen_fds.push_back(net::listen_tcp(host, i == 0 ? port : impl_->port, shared_port));
    if (i == 0) impl_->port = net::local_port(impl_->listen_fds[0]);
  }
  return *this;
}

std::uint16_t App::port() const { return impl_->port; }

void App::run() {
  if (impl_->listen_fds.empty()) throw std::logic_error("wisp::App::run: call listen() first");
  if (impl_->started) throw std::logic_error("wisp::App::run: already ran");
  impl_->started = true;
  std::vector<int> fds;
  fds.swap(impl_->listen_fds);  // the loops own them from here
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < fds.size(); ++i) {
    threads.emplace_back([this, fd = fds[i]] { impl_->run_loop(fd); });
  }
  impl_->run_loop(fds[0]);
  for (auto& thread : threads) thread.join();
}

void App::Impl::run_loop(int listen_fd) {
  server::LoopServer server(router, options, listen_fd);
  {
    std::lock_guard lock(mutex);
    running.push_back(&server);
    if (stop_requested) server.begin_stop();
  }
  server.run();
  std::lock_guard lock(mutex);
  std::erase(running, &server);
}

void App::stop() {
  std::lock_guard lock(impl_->mutex);
  impl_->stop_requested = true;
  for (server::LoopServer* server : impl_->running) {
    server->loop().post([server] { server->begin_stop(); });
  }
}

}  // namespace wisp
