#include "server/later.hpp"

#include "server/loop_server.hpp"

namespace wisp::server {

Later::Later(Connection& connection)
    : app_(LoopServer::current().app()), loop_(LoopServer::current()), connection_(&connection) {}

bool Later::finish(Action action) {
  std::unique_lock lock(mutex_);
  if (state_ == State::Finished) return false;
  const bool in_call = state_ == State::InCall;
  state_ = State::Finished;
  if (in_call) {
    decided_ = std::move(action);
    return true;
  }
  lock.unlock();
  app_.post(loop_, [self = shared_from_this(), action = std::move(action)] {
    Connection* connection = self->connection_;
    if (!connection) return;  // the client left, or the exchange moved on
    self->connection_ = nullptr;
    action(*connection);
  });
  return true;
}

Later::Action Later::end_call() {
  std::lock_guard lock(mutex_);
  if (state_ == State::InCall) state_ = State::Waiting;
  return std::move(decided_);
}

}  // namespace wisp::server
