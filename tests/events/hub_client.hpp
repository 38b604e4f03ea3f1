// A hub client for tests: the raw loopback client speaking JSON envelopes, and a server fixture
// that runs an App with one hub on /ws.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "raw_client.hpp"
#include "server_thread.hpp"
#include "wisp/wisp.hpp"

namespace wisp::test {

constexpr std::uint8_t kTextFrame = 0x1;
constexpr std::uint8_t kBinaryFrame = 0x2;

class HubClient {
 public:
  // Connects to `path` and, unless told not to, reads the welcome message (its client_id kept).
  explicit HubClient(std::uint16_t port, std::string_view path = "/ws", bool read_welcome = true)
      : raw_(port) {
    raw_.handshake(path);
    if (!read_welcome) return;
    welcome_ = next();
    if (welcome_["type"] != "welcome") throw std::runtime_error("no welcome: " + welcome_.dump());
    id_ = welcome_["data"]["client_id"].get<std::string>();
  }

  const std::string& id() const { return id_; }
  const json& welcome() const { return welcome_; }
  RawClient& raw() { return raw_; }

  void send_text(std::string_view text) { raw_.send_frame(kTextFrame, text); }
  void send(std::string_view type, const json& data) {
    send_text(json{{"type", type}, {"data", data}}.dump());
  }
  void send(std::string_view type, const json& data, const json& id) {
    send_text(json{{"type", type}, {"data", data}, {"id", id}}.dump());
  }
  // Sends a request with `id` and returns the next message (its answer, when nothing else is
  // on the way).
  json request(std::string_view type, const json& data, const json& id = 1) {
    send(type, data, id);
    return next();
  }
  // The next message, parsed; throws if the server closed instead.
  json next() {
    const auto frame = raw_.read_frame();
    if (!frame) throw std::runtime_error("the server closed the connection");
    if (frame->opcode == 0x8)
      throw std::runtime_error("a close frame: " + std::to_string(frame->close_code()));
    return json::parse(frame->payload);
  }

 private:
  RawClient raw_;
  json welcome_;
  std::string id_;
};

// A value the server's threads set and the test waits for (no sleeps).
template <class T>
class Awaited {
 public:
  void set(T value) {
    std::lock_guard lock(mutex_);
    value_ = std::move(value);
    changed_.notify_all();
  }
  // The value once set; throws after 5 s (a guard against a hang).
  T get() {
    std::unique_lock lock(mutex_);
    wait(lock);
    return *value_;
  }
  // The same, leaving the slot empty for the next value.
  T take() {
    std::unique_lock lock(mutex_);
    wait(lock);
    T value = std::move(*value_);
    value_.reset();
    return value;
  }

 private:
  void wait(std::unique_lock<std::mutex>& lock) {
    if (!changed_.wait_for(lock, std::chrono::seconds(5), [&] { return value_.has_value(); }))
      throw std::runtime_error("timed out waiting for the server");
  }

 public:
 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<T> value_;
};

// An App with a hub on /ws, set up by `setup` before the server starts.
class HubServer {
 public:
  explicit HubServer(const std::function<void(App&, Hub&)>& setup, HubSettings settings = {},
                     AppOptions options = {})
      : app_(std::move(options)), hub_(app_.hub("/ws", settings)) {
    setup(app_, hub_);
    running_.emplace(app_);
  }
  App& app() { return app_; }
  Hub& hub() { return hub_; }
  std::uint16_t port() const { return app_.port(); }
  std::unique_ptr<HubClient> connect() { return std::make_unique<HubClient>(app_.port()); }

 private:
  App app_;
  Hub& hub_;
  std::optional<ServerThread> running_;
};

// A join's answer and the messages that came before it (the recovered ones).
struct Joined {
  std::vector<json> before;
  json answer;
};
inline Joined join_with(HubClient& client, const json& data) {
  client.send("join", data, "join");
  Joined joined;
  for (json message = client.next();; message = client.next()) {
    if (message["type"] == "response") return {std::move(joined.before), message["data"]};
    joined.before.push_back(std::move(message));
  }
}

}  // namespace wisp::test
