#include "wisp/app.hpp"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "net/tcp_listener.hpp"
#include "net/tls.hpp"
#include "server/app_impl.hpp"
#include "server/connection.hpp"
#include "server/event_log.hpp"
#include "server/loop_server.hpp"
#include "server/static_files.hpp"
#include "wisp/hub.hpp"

namespace wisp {

namespace {

sigset_t watched_signals(bool stop, bool reload) {
  sigset_t signals;
  sigemptyset(&signals);
  if (stop) {
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
  }
  if (reload) sigaddset(&signals, SIGHUP);
  return signals;
}

// Takes the signals asked for on a thread of its own: SIGINT and SIGTERM stop the app, SIGHUP
// reloads its certificates. When run() ends, the destructor wakes the thread with one of its
// signals aimed at it alone.
class SignalWatch {
 public:
  SignalWatch(App& app, bool stop, bool reload)
      : signals_(watched_signals(stop, reload)), wake_(stop ? SIGTERM : SIGHUP) {
    pthread_sigmask(SIG_BLOCK, &signals_, &previous_);  // before the loop threads inherit it
    thread_ = std::thread([this, &app] { watch(app); });
  }
  ~SignalWatch() {
    done_ = true;
    pthread_kill(thread_.native_handle(), wake_);
    thread_.join();
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }

 private:
  void watch(App& app) {
    for (int number = 0; sigwait(&signals_, &number) == 0 && !done_;) {
      if (number == SIGHUP)
        reload(app);
      else
        app.stop();
    }
  }

  // A bad file must not end the server: it keeps serving the certificates it has (the failure
  // is logged by reload_certificates: tls.reload_failed).
  static void reload(App& app) {
    try {
      app.reload_certificates();
    } catch (const std::exception&) {
    }
  }

  sigset_t signals_;
  sigset_t previous_;
  int wake_;
  std::atomic<bool> done_ = false;
  std::thread thread_;
};

// JSON string contents: a node id is the user's text.
std::string json_escaped(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) < 0x20) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(c));
      out.append(escape);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// /healthz: {"status":"ok","threads":N,"websockets":N,"broker":{"kind":..,"up":..,"node_id":..}}
std::string health(const Metrics& m) {
  std::string json = "{\"status\":\"ok\",\"threads\":";
  json.append(std::to_string(m.threads))
      .append(",\"websockets\":")
      .append(std::to_string(m.websockets))
      .append(",\"broker\":{\"kind\":\"")
      .append(json_escaped(m.broker.kind))
      .append("\",\"up\":")
      .append(m.broker.up ? "true" : "false")
      .append(",\"node_id\":\"")
      .append(json_escaped(m.broker.node_id));
  return json.append("\"}}");
}

net::TlsContext::ServerNames server_names(const TlsOptions& tls) {
  net::TlsContext::ServerNames names;
  for (const TlsServerName& name : tls.server_names) {
    names.emplace_back(name.hostname,
                       net::TlsCertificate{name.cert_file, name.key_file, name.passphrase});
  }
  return names;
}

}  // namespace

App::App(AppOptions options) {
  if (options.threads == 0) throw std::invalid_argument("wisp::App: threads must be at least 1");
  impl_ = std::make_unique<Impl>(options);
}

App::~App() {
  for (const auto& listener : impl_->state.listeners) {
    for (int fd : listener.fds) ::close(fd);
  }
}

App& App::add_ws_route(std::string pattern, WebSocketBehavior behavior, detail::UserDataType type) {
  if (impl_->started) throw std::logic_error("wisp::App::ws: routes are added before run()");
  impl_->state.router.add(std::move(pattern), std::move(behavior), type);
  return *this;
}

App& App::use_ws(UpgradeMiddleware middleware) {
  if (impl_->started) throw std::logic_error("wisp::App::use_ws: middleware is added before run()");
  impl_->state.ws_middleware.push_back(std::move(middleware));
  return *this;
}

App& App::route(std::string_view method, std::string_view pattern, HttpHandler handler) {
  if (impl_->started) throw std::logic_error("wisp::App::route: routes are added before run()");
  impl_->state.http_routes.add(method, pattern, std::move(handler));
  return *this;
}

App& App::static_files(std::string_view url_prefix, std::string directory) {
  std::string pattern(url_prefix);
  if (pattern.ends_with('/')) pattern.pop_back();  // "/" and "" serve from the root
  return get(pattern.append("/*"), server::static_files_handler(std::move(directory)));
}

App& App::expose_metrics(std::string_view metrics_path, std::string_view health_path) {
  get(metrics_path, [this](Request&, Response& res) {
    res.header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        .text(metrics().prometheus());
  });
  return get(health_path, [this](Request&, Response& res) { res.json(health(metrics())); });
}

App& App::listen(std::string_view host, std::uint16_t port) {
  impl_->bind(host, port, nullptr);
  return *this;
}

App& App::listen(std::string_view host, std::uint16_t port, const TlsOptions& tls) {
  // The files are read first: a bad certificate binds nothing.
  auto context = std::make_shared<net::TlsContext>(
      net::TlsCertificate{tls.cert_file, tls.key_file, tls.passphrase}, server_names(tls));
  impl_->bind(host, port, std::move(context));
  return *this;
}

void App::Impl::bind(std::string_view host, std::uint16_t port,
                     std::shared_ptr<net::TlsContext> tls) {
  if (started) throw std::logic_error("wisp::App::listen: call it before run()");
  server::AppState::Listener listener{.port = port, .tls = std::move(tls), .fds = {}};
  const unsigned threads = state.options.threads;
  try {
    for (unsigned i = 0; i < threads; ++i) {
      // With port 0 the first socket gets a free port; the others share it.
      listener.fds.push_back(net::listen_tcp(host, listener.port, threads > 1));
      if (i == 0) listener.port = net::local_port(listener.fds[0]);
    }
  } catch (...) {
    for (int fd : listener.fds) ::close(fd);
    throw;
  }
  server::event_log::listening(host, listener.port, listener.tls != nullptr);
  state.listeners.push_back(std::move(listener));
}

std::uint16_t App::port() const {
  return impl_->state.listeners.empty() ? 0 : impl_->state.listeners.front().port;
}

std::vector<std::uint16_t> App::ports() const {
  std::vector<std::uint16_t> ports;
  for (const auto& listener : impl_->state.listeners) ports.push_back(listener.port);
  return ports;
}

void App::reload_certificates() {
  std::size_t reloaded = 0;
  try {
    for (const auto& listener : impl_->state.listeners) {
      if (listener.tls) listener.tls->reload();
      reloaded += listener.tls ? 1 : 0;
    }
  } catch (const std::exception& error) {
    server::event_log::tls_reload_failed(error.what());
    throw;
  }
  server::event_log::tls_reloaded(reloaded);
}

// The signals are blocked at once, not only in run(): threads the caller starts in between
// inherit the mask, so none of them can take a SIGTERM meant for the app.
App& App::stop_on_signals() {
  impl_->stop_on_signals = true;
  const sigset_t signals = watched_signals(true, false);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return *this;
}

App& App::reload_on_sighup() {
  impl_->reload_on_sighup = true;
  const sigset_t signals = watched_signals(false, true);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return *this;
}

void App::run() {
  if (impl_->state.listeners.empty()) throw std::logic_error("wisp::App::run: call listen() first");
  if (impl_->started) throw std::logic_error("wisp::App::run: already ran");
  impl_->started = true;
  const auto sockets = impl_->take_listen_sockets();
  std::optional<SignalWatch> signal_watch;
  if (impl_->stop_on_signals || impl_->reload_on_sighup)
    signal_watch.emplace(*this, impl_->stop_on_signals, impl_->reload_on_sighup);
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < sockets.size(); ++i) {
    threads.emplace_back(
        [this, i, &loop_sockets = sockets[i]] { impl_->run_loop(loop_sockets, i); });
  }
  server::event_log::started(impl_->state.options.threads);
  impl_->run_loop(sockets[0], 0);
  for (auto& thread : threads) thread.join();
  server::event_log::stopped();
  if (std::exception_ptr error = impl_->state.loops.failure()) std::rethrow_exception(error);
}

// Per loop thread, its listening socket of every listener; the loops own them from here.
std::vector<std::vector<server::ListenSocket>> App::Impl::take_listen_sockets() {
  std::vector<std::vector<server::ListenSocket>> sockets(state.options.threads);
  for (auto& listener : state.listeners) {
    for (std::size_t i = 0; i < sockets.size(); ++i)
      sockets[i].push_back({listener.fds[i], listener.tls.get()});
    listener.fds.clear();
  }
  return sockets;
}

// The broker (and the service actions) run their I/O on the primary loop, from before any loop
// serves (the others wait in attach() for the primary) until the primary ends; calls after that are
// the broker's to count or drop. A loop that cannot be made (no descriptor left for its epoll, ...)
// keeps every loop from running: run() then throws its error.
void App::Impl::run_loop(const std::vector<server::ListenSocket>& sockets, unsigned index) {
  std::optional<server::LoopServer> server;
  try {
    server.emplace(state, sockets);
  } catch (...) {
    return state.loops.fail(std::current_exception());
  }
  if (index == 0) state.broker->start(server->loop());
  if (index == 0 && state.actions) state.actions->start(server->loop());
  const bool attached = state.loops.attach(*server, index);
  if (attached) server->run();
  if (index == 0 && state.actions) state.actions->stop();
  if (index == 0) state.broker->stop();
  if (attached) state.loops.detach();
}

void App::shutdown(const ShutdownOptions& options) {
  server::Connection::check_closable(options.code, options.reason);
  if (impl_->shutdown_hooks.empty()) return impl_->state.loops.request_stop(options);
  if (impl_->shutdown_begun.exchange(true)) return;
  impl_->state.loops.on_primary([this, options] { run_shutdown_hooks(options); });
}

Metrics App::metrics() const {
  Metrics total = impl_->state.metrics();
  impl_->state.router.add_drops_to(total);
  for (const auto& hub : impl_->hubs) total.hub_acks[hub->path()] = hub->ack_stats();
  return total;
}

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

server::LoopServer& App::calling_loop() const {
  if (!net::EventLoop::current()) {
    throw std::logic_error("wisp::App::offload: call it on a loop thread");
  }
  return server::LoopServer::current();
}

void App::submit_work(Job job) { impl_->state.workers->submit(std::move(job)); }

void App::post_back(server::LoopServer* loop, Job job) {
  impl_->state.post(*loop, [job = std::make_shared<Job>(std::move(job))] {
    try {
      (*job)();
    } catch (const std::exception& error) {
      logs::exception("offload's then", error.what());
    }
  });
}

}  // namespace wisp
