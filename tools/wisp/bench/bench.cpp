// `wisp bench MODE`: the load generator. Options are shared by the modes; each mode reads those
// that concern it.
#include <functional>
#include <map>
#include <memory>

#include "../commands.hpp"
#include "driver.hpp"
#include "options.hpp"

namespace wisp::tool {
namespace {

using bench::BenchOptions;

const std::map<std::string, std::function<int(const BenchOptions&)>>& modes() {
  static const std::map<std::string, std::function<int(const BenchOptions&)>> all = {
      {"echo", bench::run_echo},     {"connect", bench::run_connect}, {"idle", bench::run_idle},
      {"fanout", bench::run_fanout}, {"hub", bench::run_hub},         {"http", bench::run_http},
  };
  return all;
}

void add_load_options(CLI::App& c, BenchOptions& o) {
  c.add_option("--connections,-c", o.connections,
               "Connections (default: echo/hub 100, connect 16 at once, idle 10000, fanout 1000 "
               "receivers)");
  c.add_option("--size,-s", o.size, "Payload bytes (hub: of the data string)")
      ->capture_default_str();
  c.add_option("--inflight,-i", o.inflight,
               "Messages in flight per connection (default 8; 128 when paced)");
  c.add_flag("--binary", o.binary, "Binary messages instead of text");
  c.add_flag("--json-payload", o.json_payload,
             "Payloads of JSON-like text (compressible, like a feed) instead of letters");
  const std::map<std::string, bench::Deflate> deflates = {{"off", bench::Deflate::Off},
                                                          {"shared", bench::Deflate::Shared},
                                                          {"dedicated", bench::Deflate::Dedicated}};
  c.add_option("--deflate", o.deflate,
               "Offer permessage-deflate: shared (no context takeover either side) or dedicated "
               "(a plain offer); the server must accept it")
      ->transform(CLI::CheckedTransformer(deflates, CLI::ignore_case))
      ->default_str("off");
  c.add_option("--rate,-r", o.rate,
               "Offered load in messages/s (connect: handshakes/s; fanout: sent messages/s); "
               "default: as fast as the server answers");
  c.add_option("--burst-ms", o.burst_ms, "Pacing tick: each tick's load leaves in one burst")
      ->capture_default_str();
  c.add_option("--event", o.event, "hub: the event type requested")->capture_default_str();
  c.add_option("--pipeline", o.pipeline,
               "http: requests in flight per keep-alive connection (1: no pipelining)")
      ->check(CLI::Range(1u, 1024u))
      ->capture_default_str();
  const std::map<std::string, bench::HubProtocol> protocols = {
      {"hub", bench::HubProtocol::Hub}, {"socketio", bench::HubProtocol::SocketIo}};
  c.add_option("--protocol", o.protocol,
               "hub: the hub's JSON envelope, or Socket.IO v5 over Engine.IO v4 (an event with an "
               "ack, on /socket.io/?EIO=4&transport=websocket)")
      ->transform(CLI::CheckedTransformer(protocols, CLI::ignore_case))
      ->default_str("hub");
}

void add_run_options(CLI::App& c, BenchOptions& o) {
  c.add_option("--host", o.host, "Server address (IPv4)")->capture_default_str();
  c.add_option("--port,-p", o.port, "Server port")->capture_default_str();
  c.add_option("--ports", o.ports,
               "Several servers on --host (nodes of one cluster), e.g. 9001,9002: connection i "
               "goes to the (i mod N)-th; fanout: the sender on the first")
      ->delimiter(',')
      ->excludes("--port");
  c.add_option(
      "--path", o.path,
      "Route (default: /echo, /fanout for fanout, /ws for hub, /hello for http, Socket.IO's "
      "for --protocol socketio)");
  c.add_flag("--raw", o.raw, "echo: the peer is a raw TCP echo (no handshake)");
  c.add_flag("--tls", o.tls, "Speak TLS (OpenSSL; the certificate is not checked)");
  c.add_option("--duration,-d", o.duration, "Measured seconds")->capture_default_str();
  c.add_option("--warmup,-w", o.warmup, "Seconds before the measured window")
      ->capture_default_str();
  c.add_option("--pid", o.pids,
               "Server process: its CPU over the window and its RSS (several, e.g. 101,102: "
               "summed)")
      ->delimiter(',');
  c.add_option("--redis-pid", o.redis_pid,
               "A Redis the servers share: its CPU over the window (redis_cpu_pct)");
  c.add_option("--core", o.core, "Server's CPU core: its busy share (softirq included)");
  c.add_option("--source-ips", o.source_ips,
               "Connect from 127.0.0.1..N (default: one per 20000 connections; connect: 16)");
  c.add_option("--idle-warmup", o.idle_warmup,
               "idle: connections opened before the baseline RSS (default: 10%, at most 1000)");
  c.add_flag("--idle-message", o.idle_message,
             "idle: each connection sends one message and waits for its echo before the RSS is "
             "read (streams created on first use then count)");
  c.add_flag("--json", o.json, "Print the summary as one JSON object");
  c.add_flag("--quiet,-q", o.quiet, "No progress lines");
}

}  // namespace

Command add_bench_command(CLI::App& cli) {
  auto options = std::make_shared<BenchOptions>();
  CLI::App* command = cli.add_subcommand(
      "bench",
      "Load-test a WebSocket server: echo, connect, idle, fanout or hub; or HTTP GETs: http");
  std::vector<std::string> names;
  for (const auto& [name, run] : modes()) names.push_back(name);
  command->add_option("mode", options->mode, "What to measure")
      ->required()
      ->check(CLI::IsMember(names));
  add_load_options(*command, *options);
  add_run_options(*command, *options);
  return {command, [options] { return modes().at(options->mode)(*options); }};
}

}  // namespace wisp::tool
