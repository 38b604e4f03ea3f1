// `wisp serve`: the demo server. / is the demo page (chat rooms and a live dashboard over the
// event hub at /ws; see demo/); /echo sends every message back with its opcode (/co/echo too,
// as a coroutine session); /fanout sends
// every message to every /fanout client; GET /hello answers "Hello world!"; --static DIR serves
// files at /static/. With --tls-cert and --tls-key, over TLS. With --redis, one node of a cluster:
// several `wisp serve --redis URL` processes sharing that Redis act as one server.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "demo/demo.hpp"
#include "demo/socketio_echo.hpp"
#include "wisp/wisp.hpp"

namespace wisp::tool {
namespace {

struct ServeOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  unsigned threads = 1;
  std::size_t max_message_size = 16 * 1024 * 1024;
  Compression compression = Compression::Off;
  TlsOptions tls;                          // TLS when cert_file is set
  std::string static_dir;                  // served at /static/ when set
  RedisOptions redis;                      // a cluster node when redis.url is set
  std::size_t room_history = 0;            // the demo hub's rooms keep this many messages
  std::uint32_t socketio_recovery_ms = 0;  // Socket.IO's connection state recovery (0: off)
  LogLevel log_level = LogLevel::info;
  LogFormat log_format = LogFormat::text;

  bool uses_tls() const { return !tls.cert_file.empty(); }
  bool uses_redis() const { return !redis.url.empty(); }

  WebSocketSettings settings() const {
    // Decompression follows compression: shared asks clients to compress messages alone too.
    return {.max_message_size = max_message_size,
            .compression = compression,
            .decompression = compression == Compression::Dedicated ? Compression::Dedicated
                                                                   : Compression::Shared};
  }
};

std::string url_host(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

// A node id people can tell apart in logs and on the dashboard: this host's name and our PID.
std::string default_node_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') std::strcpy(host, "node");
  return std::string(host) + "-" + std::to_string(getpid());
}

// The Redis URL as it may be printed: a password in it is replaced by "***".
std::string redacted_url(const std::string& url) {
  const std::size_t scheme = url.find("://");
  const std::size_t at = url.rfind('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return url;
  const std::size_t colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

void add_echo(App& app, const ServeOptions& options) {
  app.ws("/echo", {
                      .settings = options.settings(),
                      .message = [](WebSocket& ws, std::string_view message,
                                    OpCode op) { ws.send(message, op); },
                  });
}

// /echo as a coroutine session (seed 003's style): what the coroutine layer costs over raw
// callbacks, measured side by side (bench/README.md).
void add_co_echo(App& app, const ServeOptions& options) {
  app.ws_route(
      "/co/echo",
      [](Session& s) -> Task<> {
        co_await s.accept();
        try {
          while (true) {
            const Message message = co_await s.receive();
            co_await s.send(message.data, message.op);
          }
        } catch (const Disconnected&) {
        }
      },
      SessionOptions{.settings = options.settings()});
}

// Every message on /fanout goes to every /fanout client, the sender included, on every thread.
void add_fanout(App& app, const ServeOptions& options) {
  app.ws("/fanout", {
                        .settings = options.settings(),
                        .open = [](WebSocket& ws) { ws.subscribe("fanout"); },
                        .message = [&app](WebSocket&, std::string_view message,
                                          OpCode op) { app.publish("fanout", message, op); },
                    });
}

// The first line ("wisp serve: listening on HOST:PORT") is what scripts and tests wait for.
void print_banner(const ServeOptions& options, std::uint16_t port) {
  const std::string base = url_host(options.host) + ":" + std::to_string(port);
  const std::string ws = options.uses_tls() ? "wss://" : "ws://";
  const std::string http = options.uses_tls() ? "https://" : "http://";
  std::cout << "wisp serve: listening on " << base << "\n";
  if (options.uses_redis()) {
    std::cout << "  node " << options.redis.node_id << " of the cluster on "
              << redacted_url(options.redis.url) << " (prefix " << options.redis.prefix << ")\n"
              << "  heartbeat every " << options.redis.heartbeat_interval.count()
              << " ms, a node silent " << options.redis.node_timeout.count() << " ms is dead\n";
  }
  std::cout << "  " << http << base << "/         the demo: chat rooms and a live dashboard\n"
            << "  " << ws << base << "/ws       the event hub (JSON {type, data, id}; wisp.js)\n"
            << "  " << http << base << "/socket.io/  Socket.IO clients (echo acked with its args)\n"
            << "  " << ws << base << "/echo     every message comes back with its opcode\n"
            << "  " << ws << base << "/co/echo  the same, as a coroutine session\n"
            << "  " << ws << base << "/fanout   every message goes to every /fanout client\n"
            << "  " << http << base << "/metrics  Prometheus metrics; /healthz a health check\n"
            << "  " << http << base << "/hello    \"Hello world!\"\n";
  if (!options.static_dir.empty())
    std::cout << "  " << http << base << "/static/  the files in " << options.static_dir << "\n";
  if (options.uses_tls()) std::cout << "  SIGHUP reloads the certificate and key\n";
  std::cout << "  Ctrl-C stops the server" << std::endl;
}

int serve(const ServeOptions& options) {
  set_log_level(options.log_level);
  set_log_format(options.log_format);
  App app({.threads = options.threads, .redis = options.redis});
  add_echo(app, options);
  add_co_echo(app, options);
  add_fanout(app, options);
  Hub& hub = add_demo(app, options.settings(), options.room_history);
  const auto io = add_socketio_echo(
      app, {.max_disconnection_duration = std::chrono::milliseconds(options.socketio_recovery_ms),
            .hub = &hub});  // Socket.IO clients at /socket.io/, in hub rooms
  app.expose_metrics();
  // A small fixed answer: what HTTP requests-per-second figures measure (bench/README.md).
  app.get("/hello", [](Request&, Response& res) { res.text("Hello world!"); });
  if (!options.static_dir.empty()) app.static_files("/static", options.static_dir);
  if (options.uses_tls())
    app.listen(options.host, options.port, options.tls).reload_on_sighup();
  else
    app.listen(options.host, options.port);
  print_banner(options, app.port());
  app.stop_on_signals().run();
  std::cout << "wisp serve: stopped" << std::endl;
  return 0;
}

// A duration option given in whole milliseconds (at least 1), shown with its default.
void add_milliseconds(CLI::App& command, const std::string& name, std::chrono::milliseconds& value,
                      const std::string& help, CLI::Option* needed) {
  command
      .add_option_function<std::uint32_t>(
          name, [&value](std::uint32_t ms) { value = std::chrono::milliseconds(ms); }, help)
      ->check(CLI::Range(1u, 86'400'000u))
      ->default_str(std::to_string(value.count()))
      ->needs(needed);
}

void add_redis_options(CLI::App& command, RedisOptions& redis) {
  CLI::Option* url = command.add_option(
      "--redis", redis.url,
      "Be one node of a cluster sharing this Redis: redis://[[user]:password@]host[:port][/db] "
      "or unix:///path/to/redis.sock");
  command
      .add_option("--node-id", redis.node_id,
                  "This node's name in the cluster (default: HOSTNAME-PID)")
      ->needs(url);
  command
      .add_option("--redis-prefix", redis.prefix,
                  "Put before every Redis key and channel (apps sharing one Redis differ here)")
      ->needs(url)
      ->capture_default_str();
  add_milliseconds(command, "--heartbeat", redis.heartbeat_interval,
                   "How often this node refreshes its liveness in Redis, in ms", url);
  add_milliseconds(command, "--node-timeout", redis.node_timeout,
                   "A node silent this long (ms) is taken for dead: its clients leave the "
                   "directory and the counts (more than --heartbeat)",
                   url);
}

// The heartbeat must come well inside the timeout, or live nodes are reaped between two beats.
void check_redis_times(const RedisOptions& redis) {
  if (redis.heartbeat_interval >= redis.node_timeout)
    throw CLI::ValidationError("--heartbeat", "must be shorter than --node-timeout (" +
                                                  std::to_string(redis.node_timeout.count()) +
                                                  " ms)");
}

// The library's logs (docs/logs.md) on stderr; the banner stays on stdout.
void add_log_options(CLI::App& command, ServeOptions& options) {
  std::vector<std::string> levels;
  for (int i = 0; i <= static_cast<int>(LogLevel::off); ++i)
    levels.emplace_back(to_string(static_cast<LogLevel>(i)));
  command
      .add_option_function<std::string>(
          "--log-level",
          [&options](const std::string& name) { options.log_level = *parse_log_level(name); },
          "Least severe log level on stderr: trace, debug (adds HTTP access lines), info, warn, "
          "error, critical or off")
      ->check(CLI::IsMember(levels))
      ->default_str("info");
  const std::map<std::string, LogFormat> formats = {{"text", LogFormat::text},
                                                    {"json", LogFormat::json}};
  command
      .add_option("--log-format", options.log_format,
                  "Log lines for people (text) or one JSON object per line (json)")
      ->transform(CLI::CheckedTransformer(formats, CLI::ignore_case))
      ->default_str("text");
}

}  // namespace

Command add_serve_command(CLI::App& cli) {
  auto options = std::make_shared<ServeOptions>();
  CLI::App* command =
      cli.add_subcommand("serve", "Run the demo server (the demo page, /ws, /echo, /fanout)");
  command->add_option("--host", options->host, "Address to listen on")->capture_default_str();
  command->add_option("--port", options->port, "Port to listen on (0: any free port)")
      ->capture_default_str();
  command->add_option("--threads", options->threads, "Event-loop threads")
      ->check(CLI::Range(1u, 256u))
      ->capture_default_str();
  command
      ->add_option("--max-message-size", options->max_message_size,
                   "Largest message accepted, in bytes (bigger: close 1009)")
      ->capture_default_str();
  const std::map<std::string, Compression> compressions = {{"off", Compression::Off},
                                                           {"shared", Compression::Shared},
                                                           {"dedicated", Compression::Dedicated}};
  command
      ->add_option(
          "--compression", options->compression,
          "permessage-deflate: off, shared (a compressor per thread) or dedicated (per socket)")
      ->transform(CLI::CheckedTransformer(compressions, CLI::ignore_case))
      ->default_str("off");
  CLI::Option* cert = command->add_option("--tls-cert", options->tls.cert_file,
                                          "Serve over TLS with this certificate chain (PEM)");
  CLI::Option* key =
      command->add_option("--tls-key", options->tls.key_file, "The certificate's key (PEM)");
  cert->needs(key);
  key->needs(cert);
  command
      ->add_option("--tls-passphrase", options->tls.passphrase,
                   "Passphrase of an encrypted --tls-key")
      ->needs(key);
  command->add_option(
      "--static", options->static_dir,
      "Also serve the files under this directory at /static/ (index.html for a directory)");
  command
      ->add_option("--room-history", options->room_history,
                   "The /ws hub's rooms keep their last N messages (5 minutes) so that clients "
                   "coming back recover what they missed (0: none; with --redis, kept in Redis)")
      ->capture_default_str();
  command
      ->add_option("--socketio-recovery", options->socketio_recovery_ms,
                   "Socket.IO clients whose connection dropped get their socket, rooms and missed "
                   "events back within this many ms (connection state recovery; 0: off)")
      ->capture_default_str();
  add_redis_options(*command, options->redis);
  add_log_options(*command, *options);
  command->callback([options] { check_redis_times(options->redis); });
  return {command, [options] {
            if (options->uses_redis() && options->redis.node_id.empty())
              options->redis.node_id = default_node_id();
            return serve(*options);
          }};
}

}  // namespace wisp::tool
