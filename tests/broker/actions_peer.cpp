// A process offering service actions over Redis, for the Python interop test
// (tests/interop/test_actions_python.py): service SERVICE with "add" ({a, b} -> {sum}) and "fail"
// (throws). Prints "up" once it is connected; runs until its stdin closes.
//   actions_peer REDIS_URL SERVICE
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <stdexcept>
#include <thread>

#include "broker/service_actions.hpp"
#include "net/event_loop.hpp"
#include "net/loop_timer.hpp"

int main(int argc, char** argv) {
  using namespace std::chrono_literals;
  if (argc != 3) {
    std::cerr << "usage: actions_peer REDIS_URL SERVICE" << std::endl;
    return 2;
  }
  wisp::RedisOptions options;
  options.url = argv[1];
  wisp::broker::ServiceActions actions(options, argv[2]);
  actions.action("add", [](const wisp::json& payload) -> wisp::json {
    return {{"sum", payload.at("a").get<long long>() + payload.at("b").get<long long>()}};
  });
  actions.action("fail", [](const wisp::json&) -> wisp::json {
    throw std::runtime_error("failed on purpose");
  });
  wisp::net::EventLoop loop;
  actions.start(loop);
  bool said_up = false;
  wisp::net::LoopTimer watch([&] {
    if (!said_up && actions.status().up) {
      said_up = true;
      std::cout << "up" << std::endl;
    }
    watch.schedule(loop.timers(), 10ms);
  });
  watch.schedule(loop.timers(), 10ms);
  std::thread stdin_watcher([&] {
    char byte;
    while (::read(0, &byte, 1) > 0) {
    }
    loop.post([&] {
      watch.cancel();
      actions.stop();
      loop.stop();
    });
  });
  loop.run();
  stdin_watcher.join();
  return 0;
}
