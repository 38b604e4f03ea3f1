// Connection state recovery (socket.io 4.6+'s connectionStateRecovery; on when
// SocketIoSettings::max_disconnection_duration is not zero). Every EVENT a namespace sends
// without an ack gets an offset as its last argument and is kept, with whom it was addressed
// to (at most recovery_packets per namespace, for at most the duration); a socket that left for
// a recoverable reason (the connection dropped, not a disconnect asked for) is parked by its
// private id (the pid of its CONNECT answer). A CONNECT whose auth has the {pid, offset} of a
// parked socket, within the duration, and whose offset is still kept, gets the socket's id,
// rooms and data back and the kept packets it missed that were addressed to it.
// Node-local: a client that comes back on another node connects afresh (recovered false).
#pragma once

#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "socketio/socketio_packet.hpp"

namespace wisp::detail {

using RecoveryClock = std::chrono::steady_clock;
struct NamespaceState;
struct NspSocket;
struct SocketIoServer;

struct KeptPacket {
  std::string offset;
  std::vector<std::string> rooms, except;  // whom it was addressed to (none: everyone)
  socketio::EncodedSio packet;
  RecoveryClock::time_point at;
};

struct ParkedSocket {
  std::string id;
  std::vector<std::string> rooms;
  nlohmann::json data;
  RecoveryClock::time_point at;
};

// What a namespace keeps for recovery.
struct Recovery {
  std::deque<KeptPacket> kept;                           // oldest first
  std::unordered_map<std::string, ParkedSocket> parked;  // by pid
};

// A parked socket given back, with the packets it missed (oldest first).
struct Restored {
  std::string pid;
  ParkedSocket socket;
  std::vector<socketio::EncodedSio> missed;
};

bool recovery_on(const SocketIoServer& server);
// A new offset, unique across nodes and restarts (a random prefix per server, then a count).
std::string next_offset(SocketIoServer& server);
// Keeps a packet sent with `offset` (past recovery_packets the oldest goes: counted).
void keep_packet(SocketIoServer& server, NamespaceState& ns, const std::string& offset,
                 const std::vector<std::string>& rooms, const std::vector<std::string>& except,
                 const socketio::EncodedSio& packet);
// Parks a socket leaving for `reason` if recovery is on and the reason is recoverable.
void park_socket(SocketIoServer& server, NamespaceState& ns, const NspSocket& socket,
                 std::string_view reason);
// The parked socket that `auth` ({pid, offset}) names, taken out, if it can be recovered;
// nullopt otherwise (counted as not recovered when auth named one).
std::optional<Restored> restore_socket(SocketIoServer& server, NamespaceState& ns,
                                       const nlohmann::json& auth);
// Drops what is older than the duration.
void expire_recovery(SocketIoServer& server, RecoveryClock::time_point now);

}  // namespace wisp::detail
