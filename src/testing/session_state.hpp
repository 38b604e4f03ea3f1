// What a WebSocketSession shares with its connection's handlers on the client's loop.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "protocol/frame.hpp"
#include "wisp/testing.hpp"

namespace wisp::testing {

struct WebSocketSession::State : std::enable_shared_from_this<State> {
  Client* client = nullptr;  // the TestClient's, which outlives its sessions
  std::chrono::milliseconds timeout{};
  ClientSocket* socket = nullptr;  // loop thread only: set at open, cleared at close

  mutable std::mutex mutex;  // guards the rest
  std::condition_variable changed;
  bool opened = false;
  bool closed = false;
  std::optional<ConnectError> failed;
  struct Message {
    std::string data;
    OpCode op;
  };
  std::deque<Message> inbox;
  int code = 0;
  std::string reason;
  std::string subprotocol;
  bool compression = false;

  ClientHandlers handlers();
  // Runs `call` with the socket on the loop, if it is still open then.
  void post(std::function<void(ClientSocket&)> call);
};

}  // namespace wisp::testing
