// A non-blocking TCP connect to a Plan's address, bounded by its open_timeout; once connected it
// hands the descriptor to a ClientConnection.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "client/connections.hpp"
#include "client/plan.hpp"
#include "net/event_loop.hpp"
#include "net/timer_wheel.hpp"

namespace wisp::client {

class Dialer final : public net::Pollable, private net::TimerNode, public Connections::Member {
 public:
  // On the loop thread. The outcome is a ClientConnection, or the plan's fail handler.
  static void start(std::shared_ptr<const Plan> plan, Connections& owner);
  void abandon() override;

 private:
  Dialer(int fd, std::shared_ptr<const Plan> plan, Connections& owner);
  void on_poll(std::uint32_t events) override;
  static void on_timer(net::TimerNode& node);
  void fail(const std::string& message);
  void end();

  int fd_;
  std::shared_ptr<const Plan> plan_;
  Connections& owner_;
};

}  // namespace wisp::client
