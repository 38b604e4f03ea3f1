// A hub's acks: messages sent to clients with an ack id, and the clients' answers routed back to
// the callback of the node that asked (Socket.IO's emitWithAck). The asking node keeps the
// callbacks and their timeouts (acks_waits.hpp); the node holding a client keeps what it owes
// (acks_owed.hpp) and sends each answer, or "disconnected" when the client leaves, back to the
// asker through the broker. The ack id names the asker: its key, and "@node" with a cluster
// broker, so that ids from different nodes never clash for one client.
//
// Cross-node payloads (broker/payload.hpp fields, in this order; kinds are the hub's):
//   ack_send    text id, text message, text asker node, number key, number timeout ms
//   ack_emit    text room, text except, text message, text asker node, number key,
//               number timeout ms                                  -> number (members sent to)
//   ack_answer  number key, text client id, text error, text data (JSON; empty: null)
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "events/acks_owed.hpp"
#include "events/acks_waits.hpp"
#include "wisp/hub.hpp"

namespace wisp::events {

class HubEvent;

class HubAcks {
 public:
  explicit HubAcks(events::HubImpl& hub);

  // Hub::send_to and Room::emit with an ack.
  bool send(std::string_view client_id, std::string_view type, const json& data, AckHandler on_ack,
            std::chrono::milliseconds timeout);
  void emit(std::string_view room, std::string_view except, std::string_view type, const json& data,
            RoomAckHandler on_acks, std::chrono::milliseconds timeout);

  // The route's part: clients coming and going, and a client's reserved "ack" message.
  void client_opened(std::string_view id) { owed_.add_client(id); }
  void client_closed(std::string_view id);
  void client_answered(HubEvent& event);

  void add_commands();
  AckStats stats() const;

 private:
  using Clock = std::chrono::steady_clock;
  std::chrono::milliseconds timeout_or_default(std::chrono::milliseconds timeout) const;
  std::string message(std::string_view type, const json& data, std::uint64_t key) const;
  // Records that client `id` (here) owes the answer, and sends it the message on its loop.
  void deliver(std::string_view id, std::string message, AckAsker asker,
               std::chrono::milliseconds timeout);
  // The client owes it no longer: its asker learns `error` (if nothing answered it first).
  void fail(std::string_view id, std::string_view ack_id, std::string_view error);
  // Passes an answer (or a failure) to the asker's wait, here or on its node.
  void settle(const AckAsker& asker, std::string_view id, std::string_view error,
              std::string_view data);
  std::string ack_id(const AckAsker& asker) const;  // as OwedAcks keys it

  events::HubImpl& hub_;
  const std::string node_;  // this node's broker id (empty for the local broker)
  OwedAcks owed_;
  AckWaits waits_;
  std::atomic<std::uint64_t> unmatched_{0};
};

}  // namespace wisp::events
