// Socket.IO across nodes (as @socket.io/redis-adapter does): a broadcast made on one node reaches
// the sockets of every node sharing the app's broker. One emit is one broker command to every
// node (Broker::to_all: one PUBLISH with Redis) carrying the packet already encoded, with its
// namespace, rooms and exceptions; each node picks its own sockets (rooms.cpp: targets) and
// sends them those bytes. With the local broker nothing leaves the process.
//   payload (broker/payload.hpp): text origin node, text nsp, texts rooms, texts except,
//                                 text offset (recovery.hpp; empty: none), text packet,
//                                 texts attachments
#pragma once

#include <string>
#include <vector>

#include "broker/broker.hpp"
#include "broker/commands.hpp"
#include "socketio/socketio_packet.hpp"

namespace wisp::detail {

struct SocketIoServer;

struct IoCluster {
  broker::Broker* broker = nullptr;  // null until join_cluster, and with the local broker
  std::string kind;                  // the command's: "socketio" + path + ".emit"
  std::string node_id;               // this node's (the broker's), to skip its own emits
};

// Before the app runs: adds the command that takes other nodes' emits.
void join_cluster(SocketIoServer& server, broker::Broker& broker, broker::CommandTable& commands);
// Sends an emit made here to the other nodes' sockets (nothing when alone).
void forward_emit(const SocketIoServer& server, const std::string& nsp,
                  const std::vector<std::string>& rooms, const std::vector<std::string>& except,
                  const std::string& offset, const socketio::EncodedSio& packet);

}  // namespace wisp::detail
