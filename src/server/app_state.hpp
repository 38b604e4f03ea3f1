// What the loops of one App share: routes, options, the running loops, app-wide topic counts.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/router.hpp"
#include "wisp/opcode.hpp"
#include "wisp/settings.hpp"

namespace wisp::server {

class Connection;
class LoopServer;

class AppState {
 public:
  AppOptions options;
  Router router;

  // Loop threads come and go with App::run().
  void attach(LoopServer& loop);
  void detach(LoopServer& loop);
  void request_stop();

  // Sends a message to every subscriber of `topic` on every loop but `except` (which is on the
  // calling thread's loop, if not null). Local subscribers get it at once; other loops get the
  // frame, built once and shared, as a posted task. Safe from any thread.
  void publish(std::string_view topic, std::string_view message, OpCode op, bool compress,
               const Connection* except);

  // App-wide subscriber counts, kept by the loops' topic tables.
  void count_subscriber(std::string_view topic, int change);
  std::size_t subscriber_count(std::string_view topic) const;

 private:
  mutable std::mutex mutex_;  // guards the members below; never held while handlers run
  std::vector<LoopServer*> running_;
  bool stop_requested_ = false;
  std::unordered_map<std::string, std::size_t> subscriber_counts_;
};

}  // namespace wisp::server
