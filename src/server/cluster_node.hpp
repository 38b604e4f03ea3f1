// This node as the broker sees it (broker::Node): publishes delivered to the subscribers on
// every loop, whether a client is here, the commands and questions of the engine and the hubs;
// and the way asynchronous answers get back to the loop thread that asked (broker::ReturnPath).
#pragma once

#include <string>
#include <string_view>

#include "broker/broker.hpp"
#include "broker/commands.hpp"
#include "broker/return_path.hpp"

namespace wisp::server {

class Connection;
class LoopServer;
class Loops;
class Registry;
class TopicStreams;

class ClusterNode final : public broker::Node, public broker::ReturnPath {
 public:
  ClusterNode(Loops& loops, const Registry& registry) : loops_(loops), registry_(registry) {}

  // The calling thread's loop first, at once; every other loop gets the message posted, copied
  // once and framed once per loop. Message::except_here is a Connection of the calling loop. A
  // topic's kept message (Publish::offset) is formatted first, once, by `streams`.
  void deliver(const broker::Publish& message) override;
  void format_with(const TopicStreams& streams) { streams_ = &streams; }
  bool holds(std::string_view client_id) const override;
  void command(std::string_view kind, std::string_view payload) override {
    commands_.run(kind, payload);
  }
  std::string answer(std::string_view kind, std::string_view payload) override {
    return commands_.answer(kind, payload);
  }

  Runner to_caller() const override;

  // Filled before the app runs (the engine's in engine_commands.cpp, each hub's).
  broker::CommandTable& commands() { return commands_; }
  const broker::CommandTable& commands() const { return commands_; }

 private:
  void deliver_as_is(const broker::Publish& message);
  // The connection of client `id` if it is on `loop` (looked up on that loop's thread).
  Connection* connection_on(const LoopServer& loop, std::string_view id) const;

  Loops& loops_;
  const Registry& registry_;
  broker::CommandTable commands_;
  const TopicStreams* streams_ = nullptr;
};

}  // namespace wisp::server
