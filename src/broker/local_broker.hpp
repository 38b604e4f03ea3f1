// The local broker: one process, no other node. Every call is this node's own answer, made at
// once on the calling thread (the engine's Node is safe from any thread).
#pragma once

#include "broker/broker.hpp"

namespace wisp::broker {

class LocalBroker final : public Broker {
 public:
  explicit LocalBroker(Node& node) : node_(node) {}

  void start(net::EventLoop&) override {}
  void stop() override {}
  bool alone() const override { return true; }

  void publish(const Publish& message) override { node_.deliver(message); }
  void topic_active(std::string_view) override {}
  void topic_idle(std::string_view) override {}

  void client_added(std::string_view) override {}
  void client_removed(std::string_view) override {}
  void to_client(std::string_view client_id, std::string_view kind, std::string_view payload,
                 Delivered done) override;
  void to_node(std::string_view, std::string_view kind, std::string_view payload) override {
    node_.command(kind, payload);
  }
  void to_all(std::string_view kind, std::string_view payload) override {
    node_.command(kind, payload);
  }
  void gather(std::string_view kind, std::string_view payload, std::chrono::milliseconds timeout,
              Gathered done) override;

  BrokerStatus status() const override {
    BrokerStatus status;
    status.kind = "local";
    return status;
  }

 private:
  Node& node_;
};

}  // namespace wisp::broker
