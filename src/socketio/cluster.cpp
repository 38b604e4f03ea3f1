// Socket.IO across nodes: the emit command (cluster.hpp).
#include "socketio/cluster.hpp"

#include "broker/payload.hpp"
#include "socketio/server.hpp"

namespace wisp::detail {

namespace {

// Another node's emit, to this node's sockets; false if the payload does not decode.
bool take_emit(const std::weak_ptr<SocketIoServer>& weak, std::string_view payload) {
  broker::PayloadReader in(payload);
  const std::string_view origin = in.text();
  auto server = weak.lock();
  // The broker runs this node's command too: its sockets had the emit already.
  if (!server || origin == server->cluster.node_id) return in.ok();
  const std::string nsp(in.text());
  const std::vector<std::string> rooms = in.texts(), except = in.texts();
  const std::string offset(in.text());
  socketio::EncodedSio packet{std::string(in.text()), in.texts()};
  if (!in.done()) return false;
  server->emit_here(nsp, rooms, except, offset, packet);
  return true;
}

}  // namespace

void join_cluster(SocketIoServer& server, broker::Broker& broker, broker::CommandTable& commands) {
  if (broker.alone()) return;
  server.cluster = {&broker, "socketio" + server.path + ".emit", broker.status().node_id};
  commands.add_command(server.cluster.kind,
                       [weak = server.weak_from_this()](std::string_view payload) {
                         return take_emit(weak, payload);
                       });
}

void forward_emit(const SocketIoServer& server, const std::string& nsp,
                  const std::vector<std::string>& rooms, const std::vector<std::string>& except,
                  const std::string& offset, const socketio::EncodedSio& packet) {
  const IoCluster& cluster = server.cluster;
  if (!cluster.broker) return;
  cluster.broker->to_all(cluster.kind, broker::PayloadWriter()
                                           .text(cluster.node_id)
                                           .text(nsp)
                                           .texts(rooms)
                                           .texts(except)
                                           .text(offset)

                                           .text(packet.text)
                                           .texts(packet.attachments)
                                           .take());
}

}  // namespace wisp::detail
