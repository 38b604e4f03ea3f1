// What the coroutine tests share: an App on two loop threads (or as many as asked) set up by the
// test, and a raw client that opens a session and reads its messages.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "hub_client.hpp"  // Awaited
#include "raw_client.hpp"
#include "server_thread.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {

class CoroServer {
 public:
  explicit CoroServer(const std::function<void(App&)>& setup,
                      AppOptions options = AppOptions{.threads = 2})
      : app_(std::move(options)) {
    setup(app_);
    running_.emplace(app_);
  }
  App& app() { return app_; }
  std::uint16_t port() const { return app_.port(); }

 private:
  App app_;
  std::optional<ServerThread> running_;
};

// A client with its handshake done (throws unless 101).
inline std::unique_ptr<RawClient> open_session(std::uint16_t port, std::string_view path) {
  auto client = std::make_unique<RawClient>(port);
  client->handshake(path);
  return client;
}

// The next data frame's payload; throws on a close or the end of TCP.
inline std::string next_text(RawClient& client) {
  const auto frame = client.read_frame();
  if (!frame) throw std::runtime_error("the server closed TCP");
  if (frame->opcode == 0x8) {
    throw std::runtime_error("a close frame: " + std::to_string(frame->close_code()));
  }
  return frame->payload;
}

// The answer to an upgrade request for `path` (a 101 or a refusal).
inline HttpResponse upgrade_answer(std::uint16_t port, std::string_view path,
                                   std::string_view extra_headers = {}) {
  RawClient client(port);
  client.send(RawClient::upgrade_request(path, extra_headers));
  return client.read_http_response();
}

}  // namespace wisp::test
