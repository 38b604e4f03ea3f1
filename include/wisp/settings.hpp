// Limits and options. Every limit has a safe default; change it per App or per route.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "wisp/history.hpp"

#pragma GCC visibility push(default)  // the public API: exported from a shared libwisp

namespace wisp {

class Request;

// What happens past a per-socket limit (backpressure, message rate).
enum class LimitPolicy {
  Drop,   // the message is dropped and reported to the route's handler for it
  Close,  // the socket is closed with 1008 (policy violation) and a reason naming the limit
};

// permessage-deflate (RFC 7692) compressors and decompressors.
enum class Compression {
  Off,
  // One per loop thread, each message on its own (no context takeover): the least memory, the
  // same compressed bytes for every subscriber of a publish.
  Shared,
  // One per socket, keeping context across messages: the best ratio, at the memory of a zlib
  // stream per socket (docs/limits-and-delivery.md).
  Dedicated,
};

// Per WebSocket route (app.ws(pattern, {.settings = {...}})). Zero durations turn a timer off.
struct WebSocketSettings {
  // A message (all fragments together) larger than this closes the connection with 1009.
  std::size_t max_message_size = 1024 * 1024;
  // Flow control. A socket holding more than backlog_high_water bytes unsent is not read until
  // it holds no more than backlog_low_water (a low mark above the high one counts as the high
  // one): TCP then slows a peer that sends faster than it reads. So what the socket's own
  // handlers send to it (open, message, ping, pong, drain, expiring: answers, echoes) is never
  // dropped, and its backlog stays under the high mark plus what the handlers send for one read
  // (at most 512 KiB of input). Also for HTTP connections, at these defaults: a client that
  // pipelines requests without reading the answers stops being read.
  std::size_t backlog_high_water = 256 * 1024;
  std::size_t backlog_low_water = 64 * 1024;
  // Bytes a socket may hold unsent before messages from elsewhere are refused: publishes,
  // broadcasts, App::send_to, a send from another socket's handler or from a task (a client
  // that stops reading holds no more than this plus one loop iteration's messages); past it,
  // backpressure_policy decides, and send() returns SendStatus::Dropped. Answers (see above) are
  // never refused.
  std::size_t max_backpressure = 1024 * 1024;
  LimitPolicy backpressure_policy = LimitPolicy::Drop;
  // Heartbeat: a socket that sent nothing for ping_interval gets a ping; one that then sends
  // nothing (no pong, no data) for pong_timeout is closed with 1011 "keepalive ping timeout".
  std::chrono::milliseconds ping_interval = std::chrono::seconds(25);
  std::chrono::milliseconds pong_timeout = std::chrono::seconds(20);
  // A socket that sends no message for this long is closed with 1001 "idle timeout" (pings and
  // pongs do not count). Off by default: the heartbeat already finds dead peers.
  std::chrono::milliseconds idle_timeout{0};
  // A socket open this long is closed with 1001 "max lifetime reached"; the route's `expiring`
  // handler runs lifetime_warning before, so the app can ask the client to re-authenticate.
  std::chrono::milliseconds max_lifetime{0};
  std::chrono::milliseconds lifetime_warning = std::chrono::seconds(30);
  // After a close frame was sent, how long to wait for the peer's reply before dropping TCP.
  std::chrono::milliseconds close_timeout = std::chrono::seconds(5);

  // At most rate_limit_messages messages per rate_limit_window from one socket (0: no limit);
  // past it, rate_limit_policy: Drop (not delivered; the `rate_limited` handler hears of it) or
  // Close (1008 "rate limit"). The window is fixed: the count restarts when it ends.
  std::uint32_t rate_limit_messages = 0;
  std::chrono::milliseconds rate_limit_window = std::chrono::seconds(1);
  LimitPolicy rate_limit_policy = LimitPolicy::Drop;

  // permessage-deflate is offered back to clients that ask for it when compression is not Off.
  // compression: how this side compresses what it sends (zlib level 1: twice the speed of the
  // default level for a few percent more bytes); messages shorter than compression_threshold
  // go uncompressed. decompression: Shared asks clients to compress each message on its own so
  // that one inflater per loop serves every socket; Dedicated lets them keep context, at a
  // per-socket inflater. A compressed message inflating past max_message_size closes with 1009
  // before the memory is spent.
  Compression compression = Compression::Off;
  Compression decompression = Compression::Shared;
  int compression_window_bits = 15;    // 8-15: the server's window (dedicated: its memory)
  int compression_memory_level = 8;    // 1-9: zlib's memLevel for dedicated compressors
  int decompression_window_bits = 15;  // 8-15: the largest window a Dedicated client may use
  std::size_t compression_threshold = 64;

  // Give each socket of this route a client id and a place in the app's client registry
  // (App::send_to, broadcast, clients...), with its metadata and message counters.
  bool client_registry = false;
};

// How App::shutdown ends the open connections.
struct ShutdownOptions {
  // Sent to every open WebSocket (as text) before its close frame, when not empty.
  std::string message{};
  // The close code and reason: 1001 (going away) or close_code::service_restart (1012) for a
  // restart, so that clients reconnect.
  int code = 1001;
  std::string reason = "server shutting down";
  // How long clients have to answer the close; then the remaining connections are dropped.
  std::chrono::milliseconds timeout = std::chrono::seconds(5);
  // How long the App::on_shutdown hooks may take, together, before the sockets are closed anyway
  // (the hook still running is cancelled).
  std::chrono::milliseconds hooks_timeout = std::chrono::seconds(5);
};

// A certificate for one host name, picked by SNI (TLS server name indication).
struct TlsServerName {
  std::string hostname{};  // matched without regard to case
  std::string cert_file{};
  std::string key_file{};
  std::string passphrase{};
};

// TLS for one App::listen (https and wss): TLS 1.2 and 1.3 only, ALPN "http/1.1".
struct TlsOptions {
  // The certificate chain (PEM, leaf first) and its private key (PEM; encrypted with
  // `passphrase` if that is not empty), for clients that send no server name or an unknown one.
  std::string cert_file{};
  std::string key_file{};
  std::string passphrase{};
  // More certificates, chosen by the server name the client asks for.
  std::vector<TlsServerName> server_names{};
};

// Per App.
// Scale-out: several processes (nodes) sharing one Redis act as one server
// (docs/scaling-out.md). Without a url the app is one process and needs nothing else.
struct RedisOptions {
  // "redis://[[user]:password@]host[:port][/db]" or "unix:///path/to/redis.sock[?db=N]"; empty:
  // no Redis (the local broker).
  std::string url{};
  // Put before every key and channel name, so that several apps can share one Redis.
  std::string prefix = "wisp:";
  // This node's name in Redis (its channel, its directory entries); empty: random.
  std::string node_id{};
  // A node refreshes its liveness this often; one silent for node_timeout is taken for dead and its
  // clients stop being counted.
  std::chrono::milliseconds heartbeat_interval = std::chrono::seconds(5);
  std::chrono::milliseconds node_timeout = std::chrono::seconds(15);
  // Hub room presence kept in Redis: a node's entries are refreshed with its heartbeat; those of
  // a node silent this long are removed by the next live node's heartbeat (presence_leave,
  // reason "node lost"), and expire in Redis if no node is left.
  std::chrono::milliseconds presence_ttl = std::chrono::seconds(15);
  // Reconnection after a loss: exponential backoff with full jitter between these bounds.
  std::chrono::milliseconds reconnect_min = std::chrono::milliseconds(100);
  std::chrono::milliseconds reconnect_max = std::chrono::seconds(5);
  // Messages for other nodes kept while Redis is unreachable; past this they are counted as lost
  // (wisp_broker_lost_total).
  std::size_t max_pending = 10000;
  // Cluster-wide questions (counts, ids, members) wait this long for the other nodes' answers.
  std::chrono::milliseconds gather_timeout = std::chrono::seconds(1);
  // SPUBLISH/SSUBSCRIBE (Redis 7 sharded pub/sub) for topics, for Redis Cluster.
  bool sharded_pubsub = false;
};

struct AppOptions {
  // Event-loop threads, each with its own listening socket per listen() (SO_REUSEPORT) and its
  // own sockets.
  unsigned threads = 1;
  // The request line and headers of an HTTP request together; more: 431.
  std::size_t max_header_size = 16 * 1024;
  // Header fields in one HTTP request; more: 431.
  std::size_t max_headers = 64;
  // A connection that has not completed its HTTP request in this time is dropped (also the
  // time a kept-alive HTTP connection may wait for its next request, and the time an upgrade
  // decision or an HTTP answer given later may take).
  std::chrono::milliseconds handshake_timeout = std::chrono::seconds(10);
  // An HTTP request body (decoded, if chunked) larger than this gets 413.
  std::size_t max_body_size = 1024 * 1024;
  // The client registry's ids: this function's answer for the upgrade request (e.g. a user id
  // from a verified token), asked once the middleware and the hook accepted it (param() reads
  // the route's parameters); an empty answer, or no function, gets 128 random bits. An id that
  // is already connected gets 409.
  std::function<std::string(const Request&)> client_id{};
  // New connections per minute from one IP address (0: no limit); more get 429 with Retry-After.
  std::uint32_t connections_per_ip_per_minute = 0;
  // Threads of the worker pool that runs App::offload's work, started on first use.
  unsigned workers = 4;
  // Scale-out over Redis (empty url: one process).
  RedisOptions redis{};
  // Service actions (App::action) are offered under this service name; empty: none.
  std::string service{};
  // Topics that keep their last messages, with offsets, so that a socket resubscribing at the
  // position it saw gets what it missed (WebSocket::subscribe(topic, since, done)); with
  // `redis`, kept in Redis for every node. None by default (docs/limits-and-delivery.md).
  TopicHistorySettings topic_history{};
};

}  // namespace wisp

#pragma GCC visibility pop
