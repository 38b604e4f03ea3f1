#include "wisp/app.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "net/tcp_listener.hpp"
#include "server/app_state.hpp"
#include "server/connection.hpp"
#include "server/loop_server.hpp"

namespace wisp {

struct App::Impl {
  server::AppState state;
  std::vector<int> listen_fds;  // one per loop thread, handed to the loops by run()
  std::uint16_t port = 0;
  bool started = false;
  bool stop_on_signals = false;

  void run_loop(int listen_fd, bool primary);
};

namespace {

sigset_t stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  return signals;
}

// Waits for SIGINT or SIGTERM on a thread of its own and stops the app. When the app stops for
// another reason, the destructor wakes the thread with a signal aimed at it alone.
class SignalWatch {
 public:
  explicit SignalWatch(App& app) : signals_(stop_signals()) {
    pthread_sigmask(SIG_BLOCK, &signals_, &previous_);  // before the loop threads inherit it
    thread_ = std::thread([this, &app] {
      int number = 0;
      sigwait(&signals_, &number);
      app.stop();
    });
  }
  ~SignalWatch() {
    pthread_kill(thread_.native_handle(), SIGTERM);
    thread_.join();
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }

 private:
  sigset_t signals_;
  sigset_t previous_;
  std::thread thread_;
};

}  // namespace

App::App(AppOptions options) : impl_(std::make_unique<Impl>()) {
  if (options.threads == 0) throw std::invalid_argument("wisp::App: threads must be at least 1");
  impl_->state.options = options;
}

App::~App() {
  for (int fd : impl_->listen_fds) ::close(fd);
}

App& App::add_ws_route(std::string pattern, WebSocketBehavior behavior, detail::UserDataType type) {
  if (impl_->started) throw std::logic_error("wisp::App::ws: routes are added before run()");
  impl_->state.router.add(std::move(pattern), std::move(behavior), type);
  return *this;
}

App& App::route(std::string_view method, std::string_view pattern, HttpHandler handler) {
  if (impl_->started) throw std::logic_error("wisp::App::route: routes are added before run()");
  impl_->state.http_routes.add(method, pattern, std::move(handler));
  return *this;
}

App& App::expose_metrics(std::string_view metrics_path, std::string_view health_path) {
  get(metrics_path, [this](Request&, Response& res) {
    res.header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        .text(metrics().prometheus());
  });
  return get(health_path, [this](Request&, Response& res) {
    const Metrics m = metrics();
    std::string json = "{\"status\":\"ok\",\"threads\":";
    json.append(std::to_string(m.threads))
        .append(",\"websockets\":")
        .append(std::to_string(m.websockets));
    res.json(json.append("}"));
  });
}

App& App::listen(std::string_view host, std::uint16_t port) {
  if (!impl_->listen_fds.empty()) throw std::logic_error("wisp::App::listen: already listening");
  const unsigned threads = impl_->state.options.threads;
  for (unsigned i = 0; i < threads; ++i) {
    // With port 0 the first socket gets a free port; the others share it.
    impl_->listen_fds.push_back(net::listen_tcp(host, i == 0 ? port : impl_->port, threads > 1));
    if (i == 0) impl_->port = net::local_port(impl_->listen_fds[0]);
  }
  return *this;
}

std::uint16_t App::port() const { return impl_->port; }

App& App::stop_on_signals() {
  impl_->stop_on_signals = true;
  return *this;
}

void App::run() {
  if (impl_->listen_fds.empty()) throw std::logic_error("wisp::App::run: call listen() first");
  if (impl_->started) throw std::logic_error("wisp::App::run: already ran");
  impl_->started = true;
  std::vector<int> fds;
  fds.swap(impl_->listen_fds);  // the loops own them from here
  std::optional<SignalWatch> signal_watch;
  if (impl_->stop_on_signals) signal_watch.emplace(*this);
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < fds.size(); ++i) {
    threads.emplace_back([this, fd = fds[i]] { impl_->run_loop(fd, false); });
  }
  impl_->run_loop(fds[0], true);
  for (auto& thread : threads) thread.join();
}

void App::Impl::run_loop(int listen_fd, bool primary) {
  server::LoopServer server(state, listen_fd);
  state.attach(server, primary);
  server.run();
  state.detach(server);
}

void App::shutdown(const ShutdownOptions& options) {
  server::Connection::check_closable(options.code, options.reason);
  impl_->state.request_stop(options);
}

void App::publish(std::string_view topic, std::string_view message, OpCode op, bool compress) {
  impl_->state.publish(topic, message, op, compress, nullptr);
}

bool App::send_to(std::string_view client_id, std::string_view message, OpCode op) {
  return impl_->state.with_client(
      client_id,
      [payload = std::string(message), op](server::Connection& c) { c.send(payload, op, true); });
}

std::size_t App::broadcast(std::string_view message, OpCode op) {
  return impl_->state.broadcast(message, op);
}

std::size_t App::broadcast_to(const std::vector<std::string>& client_ids, std::string_view message,
                              OpCode op) {
  return impl_->state.broadcast_to(client_ids, message, op);
}

bool App::disconnect(std::string_view client_id, int code, std::string_view reason) {
  server::Connection::check_closable(code, reason);  // throws here, on the caller's thread
  return impl_->state.with_client(client_id, [code, reason = std::string(reason)](
                                                 server::Connection& c) { c.close(code, reason); });
}

bool App::is_connected(std::string_view client_id) const {
  return impl_->state.registry.find(client_id).first != nullptr;
}

std::size_t App::client_count() const { return impl_->state.registry.size(); }

std::vector<std::string> App::client_ids() const { return impl_->state.registry.ids(); }

std::optional<ClientInfo> App::client(std::string_view client_id) const {
  return impl_->state.registry.info(client_id);
}

std::vector<ClientInfo> App::find_clients(
    const std::function<bool(const ClientInfo&)>& predicate) const {
  std::vector<ClientInfo> found = impl_->state.registry.all();
  std::erase_if(found, [&](const ClientInfo& info) { return !predicate(info); });
  return found;
}

Metrics App::metrics() const { return impl_->state.metrics(); }

TimerHandle App::every(std::chrono::milliseconds interval, std::function<void()> task) {
  if (interval.count() <= 0)
    throw std::invalid_argument("wisp::App::every: interval must be positive");
  auto scheduled = std::make_shared<server::ScheduledTask>(interval, true, std::move(task));
  impl_->state.schedule(scheduled);
  return TimerHandle(scheduled);
}

TimerHandle App::after(std::chrono::milliseconds delay, std::function<void()> task) {
  auto scheduled = std::make_shared<server::ScheduledTask>(delay, false, std::move(task));
  impl_->state.schedule(scheduled);
  return TimerHandle(scheduled);
}

std::size_t App::subscriber_count(std::string_view topic) const {
  return impl_->state.subscriber_count(topic);
}

}  // namespace wisp
