// Runs an App on a thread of its own for the length of a test: listens on 127.0.0.1 and a free
// port at construction, stops gracefully and joins at destruction.
#pragma once

#include <chrono>
#include <cstdint>
#include <future>

#include "wisp/wisp.hpp"

namespace wisp::test {

class ServerThread {
 public:
  explicit ServerThread(App& app) : app_(app) {
    app_.listen("127.0.0.1", 0);
    stopped_ = std::async(std::launch::async, [this] { app_.run(); });
  }
  ~ServerThread() {
    app_.stop();
    stopped_.wait();
  }
  ServerThread(const ServerThread&) = delete;
  ServerThread& operator=(const ServerThread&) = delete;

  std::uint16_t port() const { return app_.port(); }
  // True once run() has returned, waiting at most `limit` (a guard against a hang).
  bool stopped_within(std::chrono::milliseconds limit) {
    return stopped_.wait_for(limit) == std::future_status::ready;
  }

 private:
  App& app_;
  std::future<void> stopped_;
};

}  // namespace wisp::test
