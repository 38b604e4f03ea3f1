// The broker: the one way the engine reaches past the loop it runs on, to other loops of this
// process and to other nodes (processes, machines) of the same service.
//
// Everything that addresses more than one socket, or a socket that may live elsewhere, goes
// through it: topic publishes, commands to the node holding a client id, commands to every node,
// and questions every node answers (counts, ids, room members). Two implementations:
//   LocalBroker (broker/local_broker.hpp)  one process, the default, no dependency: every call
//                                          is answered by this node alone.
//   RedisBroker (broker/redis_broker.hpp)  many nodes sharing one Redis: pub/sub channels under a
//                                          prefix, a client-id directory, a channel per node.
// The engine implements `Node` (what arrives for this node); server/ and events/ call `Broker`
// and never know which one they talk to.
//
// Threads: every Broker call is safe from any thread and never blocks. A broker runs its own
// I/O on the loop given to start() (the app's primary loop); callbacks (`Delivered`, `Gathered`)
// and Node's calls for messages from other nodes run on that loop's thread. For what this node
// answers itself, a broker may call them (and Node's calls) on the calling thread, at once: the
// engine's Node is safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "broker/presence_store.hpp"
#include "wisp/opcode.hpp"
#include "wisp/settings.hpp"

namespace wisp::net {
class EventLoop;
}

namespace wisp::broker {

// A message for the subscribers of a topic.
struct Publish {
  std::string_view topic;
  std::string_view message;
  OpCode op = OpCode::Text;
  bool compress = true;
  // A client id to leave out, on whatever node it is; empty: none.
  std::string_view except_client{};
  // The engine's own: a sender on this node to leave out of this node's delivery (a socket
  // without a client id). A broker hands the same Publish to Node::deliver for this node and
  // never sends it anywhere.
  const void* except_here = nullptr;
  // This node's delivery on the calling thread's loop goes through that loop's inbox too, not at
  // once: every loop then delivers in the order the publishes were made, whichever thread made
  // them (the hub's rooms with history, whose offsets must arrive in order).
  bool ordered = false;
  // A kept message of a topic with history (AppOptions::topic_history): its place in the stream
  // (offset 0: none). The node turns it into what its subscribers get (HistoryRule::format).
  std::uint64_t offset = 0;
  std::string_view epoch{};
};

// A stream kept by a cluster broker for a topic (the hub's rooms with history,
// docs/limits-and-delivery.md): the broker gives each message the stream's next offset and its
// epoch, keeps it and publishes it, atomically, so that offsets are unique and ordered on every
// node.
struct HistoryAppend {
  std::string_view topic;
  // A room's: the envelope up to its offset, {"type":...,"offset":. A topic's (`raw`): the
  // message as published, kept as it is and delivered with its position (Publish::offset).
  std::string_view head;
  bool raw = false;
  OpCode op = OpCode::Text;  // raw
  std::string_view except_client{};
  std::size_t size = 0;             // messages kept
  std::chrono::milliseconds ttl{};  // the stream expires this long after its last write
};
// A read of a topic's stream: with `since`, the messages after it (none when more than `max`
// are missed); without, the last `max`. `subscribe`: this node listens to the topic first.
struct HistoryRead {
  std::string_view topic;
  std::optional<std::uint64_t> since{};
  std::size_t max = 0;
  std::chrono::milliseconds ttl{};  // of the stream, if the read makes it (a new epoch)
  bool subscribe = false;
};
struct StreamRead {
  std::string epoch;
  std::uint64_t offset = 0;            // the last message's (0: none yet)
  std::uint64_t first = 0;             // the first kept message's (offset + 1: none kept)
  std::vector<std::string> envelopes;  // oldest first
};
// nullopt: the stream could not be read (broker down, no answer within the gather timeout).
using StreamReadDone = std::function<void(std::optional<StreamRead>)>;

// What arrives for this node; implemented by the engine.
class Node {
 public:
  // To this node's subscribers of message.topic on every loop (framed once per loop).
  virtual void deliver(const Publish& message) = 0;
  // Whether a client with this id is connected to this node now.
  virtual bool holds(std::string_view client_id) const = 0;
  // Runs the command registered as `kind` (Node's table, filled before the app runs); an unknown
  // kind is counted and ignored.
  virtual void command(std::string_view kind, std::string_view payload) = 0;
  // This node's answer to the question registered as `kind` (empty for an unknown kind).
  virtual std::string answer(std::string_view kind, std::string_view payload) = 0;

 protected:
  ~Node() = default;
};

// How the broker is doing, for /metrics and /healthz. Counters since start.
struct BrokerStatus {
  std::string kind;              // "local" or "redis"
  std::string node_id;           // this node's id (the local broker: empty)
  bool up = true;                // connected to what it needs (always true for the local broker)
  std::uint64_t reconnects = 0;  // connection attempts after a loss or a failed start
  std::uint64_t published = 0;   // messages sent to other nodes
  std::uint64_t received = 0;    // messages received from other nodes
  // Messages that could not reach other nodes (broker down, buffer full).
  std::uint64_t lost = 0;
  std::uint64_t malformed = 0;  // messages from the broker that could not be decoded (ignored)
  std::uint64_t pending = 0;    // messages waiting for the broker to come back (bounded)
};

class Broker {
 public:
  // `delivered`: whether some node took the command (false: no node holds that client).
  using Delivered = std::function<void(bool delivered)>;
  // The answers of the nodes that answered, this node's first; `complete` is false when some node
  // did not answer within the timeout (or the broker is down and only this node answered).
  using Gathered = std::function<void(std::vector<std::string> answers, bool complete)>;

  virtual ~Broker() = default;

  // Called on the primary loop's thread when App::run() starts it / before it ends.
  virtual void start(net::EventLoop& loop) = 0;
  virtual void stop() = 0;
  // True when no other node can exist (the local broker): callers may skip work that is only
  // for other nodes (encoding a command for clients not here).
  virtual bool alone() const { return false; }

  // Topics: to every subscriber on every node (this node's at once, on the calling thread's loop
  // first), each publisher's messages in order, never twice.
  virtual void publish(const Publish& message) = 0;
  // This node's first subscriber of `topic` came / its last one left (the engine counts across
  // its loops): a cluster broker listens to the topic only while it has a subscriber here.
  virtual void topic_active(std::string_view topic) = 0;
  virtual void topic_idle(std::string_view topic) = 0;

  // The client-id directory: a client of this node registered / left.
  virtual void client_added(std::string_view client_id) = 0;
  virtual void client_removed(std::string_view client_id) = 0;
  // Runs Node::command(kind, payload) on the node holding `client_id` (this one included).
  virtual void to_client(std::string_view client_id, std::string_view kind,
                         std::string_view payload, Delivered done) = 0;
  // Runs Node::command(kind, payload) on the node named `node_id` (BrokerStatus::node_id; this
  // one's: at once), e.g. an answer to something that node asked; nothing if no such node listens.
  virtual void to_node(std::string_view node_id, std::string_view kind,
                       std::string_view payload) = 0;
  // Runs Node::command(kind, payload) on every node, this one included.
  virtual void to_all(std::string_view kind, std::string_view payload) = 0;
  // Asks every node, this one included, for Node::answer(kind, payload).
  virtual void gather(std::string_view kind, std::string_view payload,
                      std::chrono::milliseconds timeout, Gathered done) = 0;

  // Streams (HistoryAppend): only a cluster broker keeps them (the local broker's hub keeps its
  // own in memory; these throw std::logic_error there). A failed append is counted in `lost`.
  // A read answers on the broker's loop; with `subscribe`, in order with the topic's deliveries:
  // every message up to the read's offset was handed to Node::deliver before `done`, every
  // later one after.
  virtual void history_append(const HistoryAppend&) {
    throw std::logic_error("wisp broker: this broker keeps no streams");
  }
  virtual void history_read(const HistoryRead&, StreamReadDone) {
    throw std::logic_error("wisp broker: this broker keeps no streams");
  }

  virtual BrokerStatus status() const = 0;
  // Room presence kept cluster-wide by the broker (broker/presence_store.hpp); null: none.
  virtual PresenceStore* presence() { return nullptr; }
};

// broker/local_broker.cpp: this process alone. broker/redis_broker.cpp: throws
// std::invalid_argument for a url it cannot parse; an unreachable Redis is not an error (it is
// retried with backoff, and status() says so).
std::unique_ptr<Broker> make_local_broker(Node& node);
std::unique_ptr<Broker> make_redis_broker(const RedisOptions& options, Node& node);

}  // namespace wisp::broker
