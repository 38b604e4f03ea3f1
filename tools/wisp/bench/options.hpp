// `wisp bench` options, shared by every mode.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace wisp::tool::bench {

// permessage-deflate offered in the upgrade: shared asks both sides to compress each message
// alone (what a server with one compressor per loop accepts); dedicated is a plain offer.
enum class Deflate : std::uint8_t { Off, Shared, Dedicated };

// What `hub` speaks: the event hub's JSON envelope, or Socket.IO v5 (events acknowledged).
enum class HubProtocol : std::uint8_t { Hub, SocketIo };

struct BenchOptions {
  std::string mode;  // echo, connect, idle, fanout, hub or http
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::vector<std::uint16_t> ports;  // several servers (nodes of one cluster): replaces `port`
  std::string path;           // empty: the mode's route (/echo, /fanout, /ws, /socket.io/...)
  unsigned connections = 0;   // 0: the mode's default
  std::size_t size = 16;      // payload bytes (hub: of the envelope's data string)
  unsigned inflight = 0;      // per connection; 0: 8 unpaced, 128 paced
  bool binary = false;        // binary frames instead of text
  bool json_payload = false;  // JSON-like text (compressible) instead of a run of letters
  Deflate deflate = Deflate::Off;
  bool raw = false;           // a plain TCP echo peer: no handshake, our masked frames come back
  bool tls = false;           // TLS (OpenSSL, certificate not checked) under every mode
  unsigned pipeline = 1;      // http: requests in flight per connection (1: no pipelining)
  double duration = 5;        // measured seconds
  double warmup = 1;          // seconds run before the window opens
  double rate = 0;            // messages (connect: handshakes) per second; 0: as fast as possible
  double burst_ms = 2;        // pacing tick: the load due in each tick leaves in one burst
  std::vector<int> pids;      // the server's processes (one per node), for their CPU and RSS
  int redis_pid = 0;          // a Redis the servers share, for its CPU (0: none)
  int core = -1;              // the server's CPU core, for its busy share (softirq included)
  unsigned source_ips = 0;    // local addresses 127.0.0.1..N to connect from; 0: the mode's default
  unsigned idle_warmup = 0;   // idle: connections opened before the baseline RSS; 0: automatic
  bool idle_message = false;  // idle: each connection echoes one message before the RSS is read
  std::string event = "echo";  // hub: the event type requested
  HubProtocol protocol = HubProtocol::Hub;
  bool json = false;   // the summary as one JSON object on stdout
  bool quiet = false;  // no progress lines

  bool paced() const { return rate > 0; }
  // Where connection i goes: servers()[i % servers().size()].
  std::vector<std::uint16_t> servers() const { return ports.empty() ? std::vector{port} : ports; }
  unsigned inflight_or_default() const { return inflight ? inflight : paced() ? 128 : 8; }
};

}  // namespace wisp::tool::bench
