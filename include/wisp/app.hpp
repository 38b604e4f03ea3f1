// The application: routes, listening sockets, event-loop threads.
#pragma once

#include <chrono>
#include <concepts>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "wisp/actions.hpp"
#include "wisp/client_info.hpp"
#include "wisp/http.hpp"
#include "wisp/metrics.hpp"
#include "wisp/opcode.hpp"
#include "wisp/settings.hpp"
#include "wisp/task.hpp"
#include "wisp/timer.hpp"
#include "wisp/upgrade.hpp"
#include "wisp/websocket.hpp"

// The engine's, opaque here; declared before the push so that libwisp.so does not export them.
namespace wisp::detail {
struct AppAccess;  // src/server/job.hpp
}
namespace wisp::server {
class LoopServer;  // an event-loop thread's server
}

#pragma GCC visibility push(default)  // the public API: exported from a shared libwisp

namespace wisp {

class Hub;  // wisp/hub.hpp (which brings in nlohmann/json)
struct HubSettings;
class Session;  // wisp/session.hpp
struct SessionOptions;
using SessionHandler = std::function<Task<>(Session&)>;

// What a WebSocket route does. Every handler is optional and runs on the socket's loop thread.
// A message's bytes are valid only during the message handler.
// (Members have `{}` initializers so that designated initializers may leave any of them out
// without -Wmissing-field-initializers.)
struct WebSocketBehavior {
  WebSocketSettings settings{};
  // Decides the upgrade after the app's middlewares (App::use_ws): accept (a subprotocol,
  // response headers, user data, headers to keep), reject, or defer. Without it, or when it
  // decides nothing, the upgrade is accepted. A hook that throws rejects with 500.
  UpgradeHook upgrade{};
  std::function<void(WebSocket&)> open{};
  std::function<void(WebSocket&, std::string_view message, OpCode op)> message{};
  // Runs once, when the socket becomes closed(): `code` is the peer's close code (1005 if its
  // close frame had none), the code this side sent, or 1006 if TCP closed without a close frame.
  std::function<void(WebSocket&, int code, std::string_view reason)> close{};
  // The socket wrote out everything it held after a send returned Backpressure.
  std::function<void(WebSocket&)> drain{};
  // A ping arrived (the pong was already sent) / a pong arrived.
  std::function<void(WebSocket&, std::string_view payload)> ping{};
  std::function<void(WebSocket&, std::string_view payload)> pong{};
  // A message for this socket was dropped by the backpressure policy (Drop).
  std::function<void(WebSocket&, std::string_view message, OpCode op)> dropped{};
  // A message from this socket was not delivered: it came past the rate limit (policy Drop).
  std::function<void(WebSocket&, std::string_view message, OpCode op)> rate_limited{};
  // The socket reaches max_lifetime in lifetime_warning (e.g. ask the client to re-authenticate).
  std::function<void(WebSocket&)> expiring{};
};

namespace detail {
// How a route builds and destroys its per-socket user data, without templates in the engine.
struct UserDataType {
  const void* tag = nullptr;
  std::size_t size = 0;
  std::size_t align = 1;
  void (*construct)(void*) = nullptr;
  void (*destroy)(void*) = nullptr;

  template <class T>
  static UserDataType of() {
    static_assert(std::is_default_constructible_v<T>,
                  "per-socket user data must be default-constructible");
    return {&type_tag<T>, sizeof(T), alignof(T), [](void* p) { new (p) T(); },
            [](void* p) { static_cast<T*>(p)->~T(); }};
  }
};

// `co_await app.offload(work)`: the worker's result (or its exception) back on the loop.
template <class A, class Work>
class OffloadAwaiter {
  using Result = std::invoke_result_t<Work&>;
  struct State {
    std::coroutine_handle<> waiting{};  // cleared if the awaiting coroutine is cancelled
    std::exception_ptr error;
    std::conditional_t<std::is_void_v<Result>, bool, std::optional<Result>> value{};
  };

 public:
  OffloadAwaiter(A& app, Work work)
      : app_(app), work_(std::move(work)), state_(std::make_shared<State>()) {}
  OffloadAwaiter(OffloadAwaiter&&) noexcept = default;
  ~OffloadAwaiter() {
    if (state_) state_->waiting = {};
  }
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> waiting) {
    state_->waiting = waiting;
    app_.offload(
        [state = state_, work = std::move(work_)]() mutable {
          try {
            if constexpr (std::is_void_v<Result>) {
              work();
            } else {
              state->value.emplace(work());
            }
          } catch (...) {
            state->error = std::current_exception();
          }
        },
        [state = state_] {
          if (auto waiting = std::exchange(state->waiting, {})) waiting.resume();
        });
  }
  Result await_resume() {
    if (state_->error) std::rethrow_exception(state_->error);
    if constexpr (!std::is_void_v<Result>) return std::move(*state_->value);
  }

 private:
  A& app_;
  Work work_;
  std::shared_ptr<State> state_;
};

}  // namespace detail

class App {
 public:
  // Throws std::invalid_argument if options.threads is 0.
  explicit App(AppOptions options = {});
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Adds a WebSocket route. `pattern` is as for HTTP routes: exact ("/chat"), with parameters
  // ("/chat/{room}", percent-decoded, read with ws.param()) or a prefix ("/rooms/*"); exact
  // beats {params} beats a wildcard, then the order of registration. Each socket on the route
  // holds a default-constructed T, reached with up.data<T>() and ws.data<T>(). Routes are added
  // before run(); throws std::logic_error after it started, std::invalid_argument for a bad or
  // duplicate pattern.
  template <class T = void>
  App& ws(std::string pattern, WebSocketBehavior behavior) {
    detail::UserDataType type;
    if constexpr (!std::is_void_v<T>) type = detail::UserDataType::of<T>();
    return add_ws_route(std::move(pattern), std::move(behavior), type);
  }

  // A coroutine route (wisp/session.hpp, seed 003's style): `handler` runs once per upgrade
  // request that passed the app's middleware, as a coroutine on the connection's loop thread,
  // and decides the upgrade (Session::accept, Session::close). `pattern` and the exceptions are
  // as for ws().
  App& ws_route(std::string pattern, SessionHandler handler);
  App& ws_route(std::string pattern, SessionHandler handler, const SessionOptions& options);
  // Runs `task` as a background coroutine: on the calling loop thread (in its next iteration)
  // when called on one, else on the thread that calls run() once it runs. An exception that
  // leaves it is reported on stderr. A task still suspended when the app stops is destroyed.
  App& spawn(Task<> task);
  // `hook()` is spawned when run() starts (seed 003's on_startup), on run()'s thread.
  App& on_startup(std::function<Task<>()> hook);
  // `hook` runs at graceful shutdown (shutdown(), stop(), SIGINT/SIGTERM with stop_on_signals(),
  // Hub::shutdown), on run()'s thread, before the sockets are told to close: the app still
  // serves while it runs (a last publish reaches its subscribers). seed 003's on_shutdown. A
  // coroutine (returning Task<>) or a plain callback. Hooks run one after another, in the order
  // added; together they get ShutdownOptions::hooks_timeout, after which the one still running is
  // cancelled (its frame destroyed) and the shutdown goes on. A hook that throws is reported on
  // stderr and the next one runs. Throws std::invalid_argument for an empty hook,
  // std::logic_error after run().
  template <class F>
  App& on_shutdown(F&& hook) {
    if constexpr (std::is_same_v<std::invoke_result_t<F&>, Task<>>)
      return add_shutdown_hook(std::function<Task<>()>(std::forward<F>(hook)));
    else
      return add_shutdown_hook(std::function<void()>(std::forward<F>(hook)));
  }

  // An event hub (wisp/hub.hpp) on a WebSocket route at `path`: JSON envelopes dispatched to
  // handlers by type, rooms, clients by id. It lives as long as the App. Throws as ws() does
  // (std::invalid_argument for a bad or taken path, std::logic_error after run()).
  Hub& hub(std::string path);
  Hub& hub(std::string path, const HubSettings& settings);

  // Upgrade middleware: runs for every WebSocket upgrade, in the order added, before the
  // route's hook. A middleware calls next() (now, or later from any thread) to go on, or
  // decides (up.reject, up.accept, up.defer). A middleware that throws rejects with 500.
  // Added before run(); throws std::logic_error after it started.
  App& use_ws(UpgradeMiddleware middleware);

  // HTTP routes on the same port: method and pattern ("/api/rooms", "/users/{id}",
  // "/static/*"; exact beats {params} beats a wildcard, then the order of registration). HEAD is
  // answered wherever GET is. A path that matches no route gets 404, one whose route lacks the
  // method 405 with Allow. Throws std::invalid_argument for a bad or duplicate pattern, and
  // std::logic_error after run(). The handler runs on the connection's loop thread; it must
  // end the response (text, json...) or defer it (res.defer()) before it returns; a handler
  // that throws answers 500.
  using HttpHandler = std::function<void(Request&, Response&)>;
  App& route(std::string_view method, std::string_view pattern, HttpHandler handler);
  App& get(std::string_view pattern, HttpHandler handler) {
    return route("GET", pattern, std::move(handler));
  }
  App& post(std::string_view pattern, HttpHandler handler) {
    return route("POST", pattern, std::move(handler));
  }
  App& put(std::string_view pattern, HttpHandler handler) {
    return route("PUT", pattern, std::move(handler));
  }
  App& del(std::string_view pattern, HttpHandler handler) {
    return route("DELETE", pattern, std::move(handler));
  }
  // Serves the files under `directory` at GET (and HEAD) `url_prefix`/* (e.g. "/static" and
  // "/static/app.js" -> directory/app.js; "/" serves from the root), as Response::file does:
  // content types, ETag and Last-Modified with 304, 404 for a missing file. A path ending in '/'
  // gets its directory's index.html; a directory named without the '/' a 301 to the path with it. A
  // path with a ".." segment or a NUL (percent-encoded or not) gets 400. Symbolic links inside
  // `directory` are followed (as nginx and Apache do by default): keep links out of it that point
  // where clients may not look. Throws as route() does.
  App& static_files(std::string_view url_prefix, std::string directory);
  // GET `metrics_path` answers metrics() in the Prometheus text format, GET `health_path` a JSON
  // health check ({"status":"ok",...}).
  App& expose_metrics(std::string_view metrics_path = "/metrics",
                      std::string_view health_path = "/healthz");

  // Binds and listens on host:port (port 0: the system picks; see ports()), one listening socket
  // per loop thread; every loop accepts on every address listened on. May be called several
  // times (e.g. plain on one port, TLS on another), before run(). Throws std::system_error if the
  // address cannot be bound, std::logic_error after run().
  App& listen(std::string_view host, std::uint16_t port);
  App& listen(std::uint16_t port) { return listen("127.0.0.1", port); }
  // The same with TLS: https and wss on this port. Also throws std::runtime_error naming the file
  // and OpenSSL's reason when a certificate or key cannot be read or used (wrong passphrase, a
  // key that does not match its certificate).
  App& listen(std::string_view host, std::uint16_t port, const TlsOptions& tls);
  // The bound port of the first listen(); 0 before it.
  std::uint16_t port() const;
  // The bound ports of every listen(), in the order of the calls.
  std::vector<std::uint16_t> ports() const;
  // Reads the certificate and key files of every TLS listen() again: new connections get the new
  // certificates, open ones keep theirs. Safe from any thread (not concurrently with listen()).
  // Throws std::runtime_error if a file cannot be used; that listener keeps its old certificates
  // (listeners reloaded before it keep their new ones).
  void reload_certificates();

  // Runs the event loops (one on the calling thread, the others on threads of their own) until
  // stop(). Throws std::logic_error if listen() was not called; std::system_error if a loop
  // cannot be made (e.g. no file descriptor left for its epoll): then no loop runs, and run()
  // throws once every loop thread ended.
  void run();
  // Graceful shutdown: runs the on_shutdown hooks (if any), stops accepting, sends
  // options.message to every open WebSocket, closes
  // each with options.code, waits for the close replies until options.timeout, drops what is
  // left, and returns run(). Safe from any thread (not from a signal handler itself). Throws
  // std::invalid_argument for a code that may not be sent or a bad reason (as WebSocket::close).
  void shutdown(const ShutdownOptions& options);
  // shutdown() with the defaults: close 1001 "server shutting down", 5 s to answer.
  void stop() { shutdown({}); }
  // Sends a message to every subscriber of `topic`, on every thread and, with a cluster broker
  // (AppOptions::redis), on every node. Safe from any thread (from a loop thread, its own
  // subscribers get it at once; the others in their next iteration). The frame is built once
  // and the same bytes go to every subscriber (once per node). A subscriber whose backpressure
  // is over its max_backpressure misses the message.
  // With `compress`, subscribers that agreed permessage-deflate get it compressed (once per
  // window size and thread for those compressing each message alone).
  void publish(std::string_view topic, std::string_view message, OpCode op = OpCode::Text,
               bool compress = true);
  // Node-local: subscribers of `topic` on this node's threads. Safe from any thread.
  std::size_t subscriber_count(std::string_view topic) const;
  // A topic with history (AppOptions::topic_history): its epoch, last offset and last `limit`
  // messages as published, oldest first (a topic without history, or whose stream was not made
  // yet: an empty epoch, no messages); with the Redis broker, Redis' stream, and nullopt when
  // it could not be read in time. `done` runs as the cluster-wide calls' callbacks below do
  // (one process: at once). Safe from any thread.
  void topic_history(std::string_view topic, std::size_t limit,
                     std::function<void(std::optional<TopicHistory>)> done) const;

  // The client registry (routes with settings.client_registry). Every call is safe from any
  // thread; work on a client runs on its loop thread (at once when that is the calling thread).
  // The synchronous calls answer for this node ("node-local"); the forms taking a callback
  // answer for every node (docs/scaling-out.md: the same as the node-local answer with one
  // process).
  //
  // Sends to one client. Node-local answer: true if the client is on this node (the message is
  // on its way); false otherwise, and then, with a cluster broker, the message is forwarded to
  // the node that holds the client, if any (the callback form says whether one did).
  bool send_to(std::string_view client_id, std::string_view message, OpCode op = OpCode::Text);
  // Sends to every registered client on every node / to the listed ones wherever they are;
  // returns how many were addressed on this node (unknown ids are skipped).
  std::size_t broadcast(std::string_view message, OpCode op = OpCode::Text);
  std::size_t broadcast_to(const std::vector<std::string>& client_ids, std::string_view message,
                           OpCode op = OpCode::Text);
  // Closes a client's connection with `code` and `reason` (as WebSocket::close, whose rules and
  // exceptions apply), on whatever node it is. Node-local answer as for send_to.
  bool disconnect(std::string_view client_id, int code = close_code::normal,
                  std::string_view reason = {});
  // Node-local.
  bool is_connected(std::string_view client_id) const;
  std::size_t client_count() const;
  std::vector<std::string> client_ids() const;
  // Node-local snapshots (see ClientInfo), taken under the registry's lock; the filter runs
  // after, on the calling thread (clients: those it keeps).
  std::optional<ClientInfo> client(std::string_view client_id) const;
  std::vector<ClientInfo> clients(const std::function<bool(const ClientInfo&)>& filter) const;
  // Node-local: sets a metadata entry of a client of this node, as its WebSocket::set_metadata
  // would; false if it is not here.
  bool set_metadata(std::string_view client_id, std::string key, std::string value);
  // Node-local: runs `action` with the client's socket on its loop thread (at once when that is
  // the calling thread, else posted), if it is still connected then; false if the client is not
  // on this node. The socket is valid during the action only; an action that throws is reported
  // on stderr.
  bool with_client(std::string_view client_id, std::function<void(WebSocket&)> action);

  // Cluster-wide, asynchronous: the callback gets the answer of every node. It never blocks the
  // calling thread: called on a loop thread, the callback runs later on that thread (or at once,
  // before the call returns, when the answer is already known there, as with one process);
  // called on another thread, it runs on the broker's thread (one process: at once, on the
  // calling thread). Nodes that do not answer within redis.gather_timeout are left out. A
  // callback that throws is reported on stderr.
  void subscriber_count(std::string_view topic, std::function<void(std::size_t)> done) const;
  void client_count(std::function<void(std::size_t)> done) const;
  void client_ids(std::function<void(std::vector<std::string>)> done) const;
  void is_connected(std::string_view client_id, std::function<void(bool)> done) const;
  void client(std::string_view client_id,
              std::function<void(std::optional<ClientInfo>)> done) const;
  // send_to and disconnect, telling `done` whether a node held the client.
  void send_to(std::string_view client_id, std::string_view message, OpCode op,
               std::function<void(bool)> done);
  void disconnect(std::string_view client_id, int code, std::string_view reason,
                  std::function<void(bool)> done);

  // Service actions (docs/scaling-out.md; include/wisp/actions.hpp), over Redis
  // (AppOptions::redis): with a Redis url the app has two connections for them beside the
  // broker's, three when it offers actions.
  //
  // Offers `name` under AppOptions::service: each call of it, from any process, is answered by
  // exactly one node of the service, which runs `handler` on its primary loop. Registering a name
  // again replaces its handler. Throws std::logic_error without AppOptions::service, without
  // AppOptions::redis.url, or once run() has been called.
  App& action(std::string name, ActionHandler handler);
  // Calls `action` of `service` with `payload`; `done` gets its result once (an error when no
  // node answered within `timeout`, or Redis could not be reached in time). Safe from any thread:
  // called on a loop thread, `done` runs later on that thread; called on another thread, it runs
  // on the primary loop's (after run() ended: at once, on the calling thread, `unavailable`).
  // Calls made before run() wait for it. A callback that throws is reported on stderr. Throws
  // std::logic_error without AppOptions::redis.url (there is no one to call).
  void call(std::string_view service, std::string_view action, json payload,
            std::chrono::milliseconds timeout, ActionCallback done);

  // The counters of the running loops, summed (Metrics::prometheus() formats them). Safe from
  // any thread.
  Metrics metrics() const;

  // Background tasks, on the thread that called run() (a loop thread: they must not block it).
  // They start when run() does, if added before. A task that throws is reported on stderr and
  // keeps its schedule. Safe from any thread. every() throws std::invalid_argument for an
  // interval that is not positive.
  TimerHandle every(std::chrono::milliseconds interval, std::function<void()> task);
  TimerHandle after(std::chrono::milliseconds delay, std::function<void()> task);

  // Runs `work` on the app's worker pool (AppOptions::workers threads, started on first use),
  // so that blocking calls (a database, an auth service) never stall a loop; then runs
  // `then(result)` (`then()` for work that returns nothing) back on the calling loop thread.
  // Both may be move-only (e.g. hold a DeferredResponse or a DeferredUpgrade). Call it on a
  // loop thread (a handler, hook, middleware or background task); throws std::logic_error from
  // other threads. If `work` throws, the error is reported on stderr and `then` does not run;
  // if the loop has stopped meanwhile, `then` does not run either.
  template <class Work, class Then>
  void offload(Work work, Then then) {
    server::LoopServer* loop = &calling_loop();
    submit_work(Job([this, loop, work = std::move(work), then = std::move(then)]() mutable {
      if constexpr (std::is_void_v<std::invoke_result_t<Work&>>) {
        work();
        post_back(loop, Job(std::move(then)));
      } else {
        post_back(loop, Job([then = std::move(then), result = work()]() mutable {
                    then(std::move(result));
                  }));
      }
    }));
  }

  // The same for a coroutine: `co_await app.offload(work)` runs `work` on the worker pool and
  // resumes with its result (or throws its exception) on the awaiting coroutine's loop thread.
  // Throws std::logic_error off a loop thread. If the loop stopped meanwhile, the coroutine is
  // destroyed with it instead.
  template <class Work>
  requires std::invocable<Work&> detail::OffloadAwaiter<App, Work> offload(Work work) {
    return detail::OffloadAwaiter<App, Work>(*this, std::move(work));
  }

  // Makes run() stop the app as stop() does when the process gets SIGINT or SIGTERM. Blocks both
  // signals in the calling thread at once (threads it starts from then on inherit that, and
  // run()'s threads too; they stay blocked there after run() returns); run() takes them on a
  // thread of its own. Call it before run(), and before starting threads of your own (a thread
  // that does not block the signals may receive them instead).
  App& stop_on_signals();
  // Makes run() call reload_certificates() when the process gets SIGHUP (a failure is reported
  // on stderr and the old certificates stay). Same rules as stop_on_signals().
  App& reload_on_sighup();

 private:
  friend struct detail::AppAccess;
  // A move-only callable of no arguments (std::function needs copies; deferred answers and
  // upgrades move only): offload()'s work and its `then`, carried between threads.
  class Job {
   public:
    template <class F>
    requires(!std::is_same_v<F, Job>) explicit Job(F f)
        : impl_(std::make_unique<Impl<F>>(std::move(f))) {}
    void operator()() { impl_->run(); }

   private:
    struct Base {
      virtual ~Base() = default;
      virtual void run() = 0;
    };
    template <class F>
    struct Impl final : Base {
      explicit Impl(F f) : f(std::move(f)) {}
      void run() override { f(); }
      F f;
    };
    std::unique_ptr<Base> impl_;
  };

  App& add_ws_route(std::string pattern, WebSocketBehavior behavior, detail::UserDataType type);
  App& add_shutdown_hook(std::function<Task<>()> hook);
  App& add_shutdown_hook(std::function<void()> hook);
  // On the primary loop: the hooks, then the stop itself (src/coro/shutdown_hooks.cpp).
  void run_shutdown_hooks(const ShutdownOptions& options);
  // offload()'s parts: the calling thread's loop (std::logic_error if none), a job for the
  // worker pool, a job for a loop.
  server::LoopServer& calling_loop() const;
  void submit_work(Job job);
  void post_back(server::LoopServer* loop, Job job);

  friend class SocketIo;  // reaches the broker, to run across nodes (src/socketio/cluster.cpp)
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wisp

#pragma GCC visibility pop
