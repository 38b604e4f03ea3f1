// The event hub's handlers, as seeds 000 and 001 introduce them: a handler per message type whose
// return value answers the sender, sends from inside a handler, a reply finished later on a worker
// thread, the request's fields, input validation, connect / disconnect / register events, and
// broadcasts to every client.
//
//   example_hub_basics [port]   then connect to ws://127.0.0.1:PORT/ws and send, for instance,
//     {"type":"chat_message","data":{"sender":"ada","message":"hi"},"id":1}
//     {"type":"long_operation","id":2}
//     {"type":"update_profile","data":{"profile":{"name":"Ada","age":36}},"id":3}
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <thread>

#include "wisp/wisp.hpp"

using wisp::json;

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// seed 000 "Response to Current Client": a lookup that may fail.
json fetch_data(const std::string& id) {
  static const std::map<std::string, json> records = {{"42", {{"answer", 42}}},
                                                      {"7", {{"answer", 7}}}};
  const auto record = records.find(id);
  if (record == records.end()) throw std::out_of_range("no record " + id);
  return record->second;
}

// seed 000 "Input Validation": a profile update, checked field by field.
json update_profile(wisp::Event& ev) {
  const json& data = ev.data();
  json profile = data.is_object() ? data.value("profile", json::object()) : json::object();
  if (!profile.is_object() || profile.value("name", "").empty()) {
    return {{"error", "Name is required"}, {"status", "error"}};
  }
  if (profile.contains("age") && !profile["age"].is_number_integer()) {
    return {{"error", "Age must be a number"}, {"status", "error"}};
  }
  if (profile.contains("bio") && profile["bio"].is_string()) {
    std::string bio;
    for (const char ch : profile["bio"].get<std::string>()) {
      bio += ch == '<' ? "&lt;" : ch == '>' ? "&gt;" : ch == '&' ? "&amp;" : std::string(1, ch);
    }
    profile["bio"] = bio;  // sanitized
  }
  return {{"status", "updated"}, {"profile", profile}};
}

// seed 000 "Working with Request Data" and seed 001's request object.
json describe_request(wisp::Event& ev) {
  const json& data = ev.data();
  return {{"status", "processed"},
          {"client_id", ev.client_id()},
          {"message_type", ev.type()},
          {"data", data},
          {"payload", ev.payload()},
          {"username", data.is_object() ? data.value("username", "Anonymous") : "Anonymous"},
          {"action", data.is_object() ? data.value("action", "view") : "view"},
          {"remote_address", ev.socket().remote_address()}};  // the connection itself
}

}  // namespace

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 9001);
  wisp::App app;
  wisp::Hub& hub = app.hub("/ws");
  std::map<std::string, std::string, std::less<>> usernames;  // one loop thread: no lock

  // Connection events: the welcome message carries the client id and what the hook returns;
  // everyone hears the new count (seed 001's on_connect / on_disconnect).
  hub.on_connect([&](wisp::ConnectEvent& ev) {
    std::cout << "client connected: " << ev.client_id << std::endl;
    hub.broadcast({{"user_count", hub.client_count()}});
    return json{{"status", "connected"}, {"server_time", now_seconds()}};
  });
  hub.on_disconnect([&](wisp::DisconnectEvent& ev) {
    std::cout << "client disconnected: " << ev.client_id << " (" << ev.code << ")" << std::endl;
    usernames.erase(std::string(ev.client_id));
    // The hook runs while the client is still the hub's (in its rooms, counted): leave it out.
    hub.broadcast({{"user_count", hub.client_count() - 1}});
  });

  // seed 000 "Client Registration".
  hub.on_register([&](wisp::Event& ev) {
    const json user = ev.data().is_object() ? ev.data().value("user", json::object()) : json{};
    std::string username = user.is_object() ? user.value("username", "") : "";
    if (username.empty()) username = "Guest-" + std::string(ev.client_id().substr(0, 8));
    usernames[std::string(ev.client_id())] = username;
    hub.broadcast("user_update", {{"user", username}, {"action", "joined"}});
    return json{{"status", "registered"}, {"username", username}};
  });

  // seed 000 "Handling Message Types": everyone gets the chat_update, the sender its receipt.
  hub.on("chat_message", [&](wisp::Event& ev) {
    const json& data = ev.data();
    hub.broadcast("chat_update", {{"sender", data.value("sender", "Anonymous")},
                                  {"message", data.value("message", "")},
                                  {"timestamp", now_seconds()}});
    return json{{"status", "delivered"}, {"timestamp", now_seconds()}};
  });

  // seed 000 "Response to Current Client": the data, or an error the client can read.
  hub.on("get_data", [](wisp::Event& ev) -> json {
    try {
      return {{"data", fetch_data(ev.data().value("id", ""))}, {"timestamp", now_seconds()}};
    } catch (const std::exception& e) {
      return {{"error", e.what()}, {"status", "error"}};
    }
  });

  // seed 001 "Method 1": the return value is the reply.
  hub.on("ping", [](wisp::Event&) { return json{{"pong", true}, {"timestamp", now_seconds()}}; });

  // seed 001 "Method 2": a message sent from inside the handler before its reply.
  hub.on("long_operation", [](wisp::Event& ev) {
    ev.send("response", {{"status", "processing"}});
    return json{{"status", "complete"}, {"result", 6 * 7}};
  });

  // An asynchronous handler (seed 001: "handlers can be synchronous or asynchronous"): the reply
  // is computed on the app's worker pool (app.offload) and sent from the loop; the loop goes on
  // meanwhile.
  hub.on("slow_square", [&](wisp::Event& ev) {
    const int n = ev.data().value("n", 0);
    app.offload(
        [n] {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the slow part
          return n * n;
        },
        [reply = ev.defer()](int square) mutable {
          reply.resolve({{"square", square}});
        });
  });

  hub.on("example_message", describe_request);
  hub.on("update_profile", update_profile);

  // seed 001 "Broadcasting Messages" and "Client Management".
  hub.on("announce", [&](wisp::Event& ev) {
    const std::size_t recipients =
        hub.broadcast("announcement",
                      {{"message", ev.data().value("message", "")}, {"timestamp", now_seconds()}});
    return json{{"recipients", recipients}};
  });
  hub.on("clients", [&](wisp::Event& ev) {
    const std::string asked = ev.data().is_object() ? ev.data().value("client_id", "") : "";
    return json{{"count", hub.client_count()},
                {"client_ids", hub.client_ids()},
                {"connected", hub.is_connected(asked)}};
  });

  app.listen("127.0.0.1", port);
  std::cout << "listening on 127.0.0.1:" << app.port() << std::endl;
  app.stop_on_signals().run();
}
