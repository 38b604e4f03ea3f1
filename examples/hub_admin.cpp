// Running a hub: seed 000's client management, security and operations sections. Clients
// authenticate with a token in the query (ws://HOST/ws?token=...; refused: closed with 1008) and
// get custom ids; a rate limit answers floods with `rate_limited` errors; a background task
// broadcasts the system status every second; and the service "realtime_service" offers seed 000's
// admin actions over Redis (README "Service actions"): notify a user, list and filter clients,
// kick one with a notice, and shut the server down gracefully with a message. Broadcasting to all
// or to a list is an HTTP route on the same port.
//
//   example_hub_admin [port] [redis_url]   then connect to ws://127.0.0.1:PORT/ws?token=secret-ada
//     wisp call realtime_service notify_user '{"user_id":"ada","message":"hi"}'
//     wisp call realtime_service get_connected_clients '{}'
//     wisp call realtime_service find_inactive_clients '{"minutes":30}'
//     wisp call realtime_service kick_client '{"client_id":"...","reason":"bye"}'
//     wisp call realtime_service shutdown '{}'
//     curl -d '{"type":"note","data":{"n":1},"client_ids":["..."]}' .../admin/broadcast
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>

#include "wisp/wisp.hpp"

using wisp::json;

namespace {

using Clock = std::chrono::system_clock;

double seconds(Clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// Stands in for a real token check (a signed token, a session store...): token -> user id.
std::optional<std::string> user_of_token(std::string_view token) {
  static const std::map<std::string, std::string, std::less<>> users = {{"secret-ada", "ada"},
                                                                        {"secret-bob", "bob"}};
  const auto user = users.find(token);
  if (user == users.end()) return std::nullopt;
  return user->second;
}

// Custom client ids (seed 000 "Custom Client ID Generation"): the seed's client_{ip}_{time}, with a
// count so that two in one second differ.
std::string custom_client_id(const wisp::Request& request) {
  static std::atomic<std::uint64_t> issued{0};  // the generator runs on every loop thread
  std::string ip(request.remote_address());
  ip.erase(ip.rfind(':'));  // the port
  return "client_" + ip + "_" + std::to_string(std::time(nullptr)) + "_" + std::to_string(++issued);
}

// seed 000 "Broadcasting to All Clients": what the background task sends.
json system_status(const wisp::Hub& hub) {
  static std::clock_t last_cpu = std::clock();
  static auto last_wall = std::chrono::steady_clock::now();
  const std::clock_t cpu = std::clock();
  const auto wall = std::chrono::steady_clock::now();
  const double cpu_pct = 100.0 * static_cast<double>(cpu - last_cpu) / CLOCKS_PER_SEC /
                         std::chrono::duration<double>(wall - last_wall).count();
  last_cpu = cpu;
  last_wall = wall;
  long pages = 0, resident = 0;
  std::ifstream("/proc/self/statm") >> pages >> resident;
  return {{"cpu", cpu_pct},
          {"memory_kib", resident * 4},
          {"active_users", hub.client_count()},
          {"timestamp", seconds(Clock::now())}};
}

// The request's JSON body as an object; an empty object if it is not one.
json body_of(const wisp::Request& req) {
  json body = json::parse(req.body(), nullptr, /*allow_exceptions=*/false);
  return body.is_object() ? body : json::object();
}

json describe(const wisp::ClientInfo& client) {
  const auto user = client.metadata.find("user_id");
  return {{"connected_at", seconds(client.connected_at)},
          {"last_activity", seconds(client.last_activity)},
          {"remote_address", client.remote_address},
          {"messages_received", client.messages_in},
          {"user_id", user == client.metadata.end() ? "" : user->second}};
}

json described(const std::vector<wisp::ClientInfo>& clients) {
  json all = json::object();
  for (const wisp::ClientInfo& client : clients) all[client.id] = describe(client);
  return {{"count", clients.size()}, {"clients", all}};
}

// Seed 000's service actions. They run on the app's primary loop; the hub's calls are safe there.
// An error is thrown: the caller gets it (`wisp call` prints it and exits 1).
void add_admin_actions(wisp::App& app, wisp::Hub& hub) {
  // "Send to a Specific Client": the user's connection, found by its metadata.
  app.action("notify_user", [&](const json& payload) -> json {
    const std::string user = payload.value("user_id", "");
    const auto found = hub.clients([&](const wisp::ClientInfo& c) {
      const auto id = c.metadata.find("user_id");
      return id != c.metadata.end() && id->second == user;
    });
    if (found.empty()) throw std::runtime_error("User " + user + " not connected");
    const bool delivered = hub.send_to(
        found.front().id, "notification",
        {{"message", payload.value("message", "")}, {"timestamp", seconds(Clock::now())}});
    return {{"delivered", delivered}, {"client_id", found.front().id}};
  });
  // "Getting Connected Clients".
  app.action("get_connected_clients", [&](const json&) -> json {
    return described(hub.clients([](const wisp::ClientInfo&) { return true; }));
  });
  // "Filtering Clients": no message for `minutes` (30 unless asked).
  app.action("find_inactive_clients", [&](const json& payload) -> json {
    const int minutes = payload.is_object() ? payload.value("minutes", 30) : 30;
    const Clock::time_point threshold = Clock::now() - std::chrono::minutes(minutes);
    return described(
        hub.clients([&](const wisp::ClientInfo& c) { return c.last_activity < threshold; }));
  });
  // "Disconnecting Clients": a disconnect_notice with the reason, then the close.
  app.action("kick_client", [&](const json& payload) -> json {
    const std::string client_id = payload.value("client_id", "");
    if (client_id.empty()) throw std::invalid_argument("No client_id provided");
    const bool success = hub.disconnect(client_id, wisp::close_code::normal,
                                        payload.value("reason", "Disconnected by administrator"));
    return {{"success", success}, {"client_id", client_id}};
  });
  // "Graceful Shutdown": every client gets the message, then the server stops (the answer
  // leaves first: the app waits for the clients' close replies).
  app.action("shutdown", [&](const json&) -> json {
    hub.shutdown({{"message", "Server is shutting down for maintenance"},
                  {"expected_downtime", "10 minutes"},
                  {"reconnect", false}},
                 std::chrono::seconds(5));
    return {{"shutdown_initiated", true}};
  });
}

// Broadcast to every client, or to the listed ones (seed 001), over HTTP.
void add_broadcast_route(wisp::App& app, wisp::Hub& hub) {
  app.post("/admin/broadcast", [&](wisp::Request& req, wisp::Response& res) {
    const json body = body_of(req);
    const std::string type = body.value("type", hub.settings().broadcast_type);
    const json data = body.value("data", json::object());
    const std::size_t recipients =
        body.contains("client_ids")
            ? hub.broadcast_to(body["client_ids"].get<std::vector<std::string>>(), type, data)
            : hub.broadcast(type, data);
    res.json(json{{"recipients", recipients}}.dump());
  });
}

}  // namespace

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 9001);
  wisp::AppOptions options{.client_id = custom_client_id, .service = "realtime_service"};
  options.redis.url = argc > 2 ? argv[2] : "redis://127.0.0.1:6379";
  wisp::App app(options);
  // seed 000 "Rate Limiting": 60 messages a minute per client; past it, `rate_limited` errors.
  wisp::Hub& hub = app.hub("/ws", {.websocket = {.rate_limit_messages = 60,
                                                 .rate_limit_window = std::chrono::minutes(1)}});

  // seed 000 "Authentication": a client without a valid token is refused (closed with 1008).
  hub.on_connect([&](wisp::ConnectEvent& ev) -> json {
    const std::optional<std::string> user = user_of_token(ev.socket.query("token").value_or(""));
    if (!user) {
      ev.reject("invalid or missing token");
      return nullptr;
    }
    ev.socket.set_metadata("user_id", *user);
    std::cout << "authenticated connection from user " << *user << std::endl;
    return {{"authenticated", true}, {"user_id", *user}};
  });
  hub.on("whoami", [](wisp::Event& ev) { return json{{"client_id", ev.client_id()}}; });

  add_admin_actions(app, hub);
  add_broadcast_route(app, hub);
  app.every(std::chrono::seconds(1), [&] { hub.broadcast("system_status", system_status(hub)); });

  app.listen("127.0.0.1", port);
  std::cout << "listening on 127.0.0.1:" << app.port() << std::endl;
  app.stop_on_signals().run();
}
