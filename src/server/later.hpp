// Finishing a connection's exchange later, from any thread, if the connection still waits for
// it: the one mechanism behind deferred HTTP responses, deferred upgrades and upgrade
// middleware's next().
#pragma once

#include <functional>
#include <memory>
#include <mutex>

namespace wisp::server {

class AppState;
class Connection;
class LoopServer;

// Made on the connection's loop thread while it calls user code (a handler, a hook, a
// middleware). A decision made during that call is handed back to the caller (end_call) and
// runs at once; one made after is posted to the loop and runs there if the connection has not
// abandoned the Later meanwhile (the client left, a timeout, or the exchange moved on). Only the
// first decision counts.
class Later : public std::enable_shared_from_this<Later> {
 public:
  using Action = std::function<void(Connection&)>;

  // Loop thread. The Later is "in the call" until end_call().
  explicit Later(Connection& connection);

  // Any thread: the decision. False if one was made already (this one is dropped).
  bool finish(Action action);
  // Loop thread, when the user code returns: the decision made during the call, or an empty
  // Action (decisions from now on are posted).
  Action end_call();
  // Loop thread: the connection no longer waits; a decision still to come does nothing.
  void abandon() { connection_ = nullptr; }

 private:
  enum class State { InCall, Waiting, Finished };

  AppState& app_;
  LoopServer& loop_;
  Connection* connection_;  // read and written on the loop thread only
  std::mutex mutex_;        // guards the members below
  State state_ = State::InCall;
  Action decided_;  // a decision made during the call
};

}  // namespace wisp::server
