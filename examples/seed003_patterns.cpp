// Seed 003's advanced patterns as coroutine sessions: authentication (a token checked on a
// worker), the authentication and rate-limit middleware, the room chat with its history, the
// data streamer with startup and shutdown hooks, the connection pool with a maximum, and the
// message queue between a producer and a consumer coroutine.
//
//   example_seed003_patterns [port]    then connect to ws://127.0.0.1:PORT/chat/lobby?token=t-ada
#include <cstdlib>
#include <ctime>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <set>

#include "wisp/wisp.hpp"

using namespace std::chrono_literals;

namespace {

std::string now_iso() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%FT%TZ", std::gmtime(&now));
  return text;
}

// ---- Authentication: the token from the query or a Bearer header, verified on a worker
// thread (as a JWT check against a key service would be), before accept().
std::optional<std::string> verify_token(std::string_view token) {  // blocking: runs on a worker
  if (token.starts_with("t-")) return std::string(token.substr(2));
  return std::nullopt;
}

wisp::Task<std::optional<std::string>> authenticate(wisp::Session& s) {
  std::string token = s.query("token").value_or("");
  if (token.empty() && s.header("authorization").starts_with("Bearer ")) {
    token = s.header("authorization").substr(7);
  }
  if (token.empty()) {
    co_await s.close(1008, "Authentication required");
    co_return std::nullopt;
  }
  // (Named first: GCC 12 miscompiles a lambda-expression inside a co_await expression.)
  auto verify = [token] { return verify_token(token); };
  auto user = co_await s.app().offload(std::move(verify));
  if (!user) co_await s.close(1008, "Invalid token");
  co_return user;
}

// ---- Room-based chat: the last 50 messages on joining, joins and leaves announced.
class ChatRoom {
 public:
  wisp::Task<> add_connection(wisp::Session& s, const std::string& user) {
    connections_.insert(&s);
    for (const wisp::json& message : history_) co_await s.send_json(message);
    const wisp::json joined = {{"type", "user_joined"}, {"user", user}, {"timestamp", now_iso()}};
    co_await broadcast(joined, &s);
  }
  wisp::Task<> remove_connection(wisp::Session& s, const std::string& user) {
    connections_.erase(&s);
    const wisp::json left = {{"type", "user_left"}, {"user", user}, {"timestamp", now_iso()}};
    co_await broadcast(left);
  }
  wisp::Task<> add_message(wisp::json message) {
    history_.push_back(message);
    if (history_.size() > 50) history_.pop_front();  // the seed keeps 1000, replays 50
    co_await broadcast(message);
  }

 private:
  // Every member's send waits for its own socket: a slow member slows the broadcast, and loses
  // nothing. (Rooms live on one loop thread: this app runs one.)
  wisp::Task<> broadcast(const wisp::json& message, wisp::Session* exclude = nullptr) {
    const std::vector<wisp::Session*> members(connections_.begin(), connections_.end());
    for (wisp::Session* member : members) {
      if (member == exclude || member->closed()) continue;
      try {
        co_await member->send_json(message);
      } catch (const wisp::Disconnected&) {
        connections_.erase(member);
      }
    }
  }

  std::set<wisp::Session*> connections_;
  std::deque<wisp::json> history_;
};

std::map<std::string, ChatRoom, std::less<>> rooms;

wisp::Task<> chat_room(wisp::Session& s) {
  const std::string room_id(s.param("room_id"));
  const auto user = co_await authenticate(s);
  if (!user) co_return;
  co_await s.accept();
  ChatRoom& room = rooms[room_id];
  co_await room.add_connection(s, *user);
  try {
    while (true) {
      const wisp::json data = co_await s.receive_json();
      if (data.value("type", "") != "message") continue;
      // (Named first: GCC 12 cannot compile a braced list inside a co_await expression.)
      wisp::json message = {{"type", "message"},
                            {"user", *user},
                            {"content", data["content"]},
                            {"timestamp", now_iso()}};
      co_await room.add_message(std::move(message));
    }
  } catch (const wisp::Disconnected&) {
  }
  co_await room.remove_connection(s, *user);
}

// ---- Real-time data streaming: a background coroutine publishes each data type to its topic
// every 100 ms (the seed: every second) while running; on_startup starts it, on_shutdown stops it
// and tells the subscribers (the app still serves while the hook runs).
struct DataStreamer {
  static constexpr const char* types[] = {"stocks", "weather", "news"};
  bool running = false;
  void stop(wisp::App& app) {
    running = false;
    for (const char* type : types) app.publish(type, wisp::json({{"type", "stopped"}}).dump());
  }
  wisp::Task<> process_data(wisp::App& app) {
    for (int tick = 0; running; ++tick) {
      for (const char* type : types) {
        const wisp::json message = {
            {"type", type}, {"data", {{"tick", tick}}}, {"timestamp", now_iso()}};
        app.publish(type, message.dump());
      }
      co_await wisp::sleep(100ms);
    }
  }
} data_streamer;

wisp::Task<> data_stream(wisp::Session& s) {
  const std::string data_type(s.param("data_type"));
  if (data_type != "stocks" && data_type != "weather" && data_type != "news") {
    co_await s.close(1008, "Invalid data type");
    co_return;
  }
  co_await s.accept();
  s.subscribe(data_type);
  try {
    while (true) {
      const std::string_view message = co_await s.receive_text();
      if (message == "ping") co_await s.send_text("pong");
      if (message == "unsubscribe") {
        s.unsubscribe(data_type);
        co_await s.close();
        break;
      }
    }
  } catch (const wisp::Disconnected&) {
  }
}

// ---- WebSocket middleware (App::use_ws), here for the /mw/ routes: a token, then a rate limit
// per client IP (one open socket each, to be seen at once).
wisp::UpgradeMiddleware websocket_auth_middleware() {
  return [](wisp::Upgrade& up, wisp::Next call_next) {
    if (!up.path().starts_with("/mw/")) return call_next();
    const auto token = up.query("token");
    if (!token) return up.reject(403, "Authentication required");
    if (!verify_token(*token)) return up.reject(403, "Invalid token");
    call_next();
  };
}

wisp::UpgradeMiddleware websocket_rate_limit_middleware() {
  auto open = std::make_shared<std::set<std::string>>();  // one loop thread: no lock
  return [open](wisp::Upgrade& up, wisp::Next call_next) {
    if (!up.path().starts_with("/mw/")) return call_next();
    const std::string ip = up.remote_address().substr(0, up.remote_address().rfind(':'));
    if (open->contains(ip)) return up.reject(429, "Rate limit exceeded");
    open->insert(ip);
    up.hold(std::shared_ptr<void>(nullptr, [open, ip](void*) { open->erase(ip); }));
    call_next();
  };
}

wisp::Task<> behind_middleware(wisp::Session& s) {
  co_await s.accept();
  co_await s.send_text("through the middleware");
  try {
    while (true) co_await s.receive_text();
  } catch (const wisp::Disconnected&) {
  }
}

// ---- Connection pooling: at most 2 sessions (the seed: 500); more are refused (403).
class WebSocketPool {
 public:
  explicit WebSocketPool(std::size_t max_connections) : max_connections_(max_connections) {}
  bool add_connection(wisp::Session& s) {
    if (active_.size() >= max_connections_) {
      s.close(1008, "Server at capacity");
      return false;
    }
    active_.insert(&s);
    return true;
  }
  void remove_connection(wisp::Session& s) { active_.erase(&s); }

 private:
  std::size_t max_connections_;
  std::set<wisp::Session*> active_;
} ws_pool(2);

wisp::Task<> pooled(wisp::Session& s) {
  if (!ws_pool.add_connection(s)) co_return;
  try {
    co_await s.accept();
    while (true) co_await s.send_text("processed " + std::string(co_await s.receive_text()));
  } catch (const wisp::Disconnected&) {
  }
  ws_pool.remove_connection(s);
}

// ---- Message queuing: received JSON goes through a bounded queue (drop-oldest past 1000) to a
// processor coroutine that sends it back.
wisp::Task<> process_messages(wisp::Session& s, std::shared_ptr<wisp::Channel<wisp::json>> queue) {
  try {
    while (true) co_await s.send_json(co_await queue->receive());
  } catch (const wisp::ChannelClosed&) {
  } catch (const wisp::Disconnected&) {
  }
}

wisp::Task<> queued(wisp::Session& s) {
  co_await s.accept();
  auto message_queue =
      std::make_shared<wisp::Channel<wisp::json>>(1000, wisp::Overflow::DropOldest);
  s.app().spawn(process_messages(s, message_queue));
  try {
    while (true) co_await message_queue->send(co_await s.receive_json());
  } catch (const wisp::Disconnected&) {
  }
  message_queue->close();  // the processor ends (the seed cancels its task)
}

}  // namespace

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 9002);
  wisp::App app;  // one loop thread: the rooms and the pool are plain objects
  app.use_ws(websocket_auth_middleware()).use_ws(websocket_rate_limit_middleware());
  app.ws_route("/chat/{room_id}", chat_room)
      .ws_route("/stream/{data_type}", data_stream)
      .ws_route("/mw/echo", behind_middleware)
      .ws_route("/pool", pooled)
      .ws_route("/queued", queued);
  app.on_startup([&app]() -> wisp::Task<> {
    data_streamer.running = true;
    co_await data_streamer.process_data(app);
  });
  app.on_shutdown([&app] { data_streamer.stop(app); });  // SIGTERM: before the sockets close
  app.listen("127.0.0.1", port);
  std::cout << "listening on 127.0.0.1:" << app.port() << std::endl;
  app.stop_on_signals().run();
}
