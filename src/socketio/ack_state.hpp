// What an IoAck needs to answer its event later, from any thread: the server (which may be gone)
// and the socket's address in it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "wisp/socketio.hpp"

namespace wisp {

struct IoAck::State {
  std::weak_ptr<detail::SocketIoServer> server;
  std::string sid;
  std::string nsp;
  std::string socket_id;
  std::uint64_t id = 0;
  bool done = false;  // under the server's lock
};

}  // namespace wisp
