// Seed 003 (Nexios' WebSocket class), its basic snippets as coroutine sessions: accept with a
// subprotocol and headers, close, receiving and sending each kind, the handshake's properties,
// per-session state, error handling and a heartbeat on a receive timeout.
//
//   example_seed003_basics [port]      then connect to ws://127.0.0.1:PORT/ws (and the others)
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>

#include "wisp/wisp.hpp"

using namespace std::chrono_literals;

namespace {

std::string now_iso() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%FT%TZ", std::gmtime(&now));
  return text;
}

// accept(), then "Echo: " every message until the client leaves.
wisp::Task<> echo(wisp::Session& s) {
  co_await s.accept();
  try {
    while (true) co_await s.send_text("Echo: " + std::string(co_await s.receive_text()));
  } catch (const wisp::Disconnected&) {
    std::cout << "Client disconnected" << std::endl;
  }
}

// accept(subprotocol, headers).
wisp::Task<> with_subprotocol(wisp::Session& s) {
  wisp::AcceptOptions options{.subprotocol = "chat"};
  options.headers.emplace_back("X-Server", "wisp");
  co_await s.accept(std::move(options));
  co_await s.send_text("speaking chat");
}

// close(): "quit" ends the session with 1000 and a reason.
wisp::Task<> quit(wisp::Session& s) {
  co_await s.accept();
  try {
    if (co_await s.receive_text() == "quit") {
      co_await s.close(1000, "User requested disconnect");
    }
  } catch (const wisp::Disconnected&) {
  }
}

// receive_bytes() / send_bytes(): each binary message comes back reversed ("processed").
wisp::Task<> binary(wisp::Session& s) {
  co_await s.accept();
  try {
    while (true) {
      std::string data(co_await s.receive_bytes());
      std::cout << "Received " << data.size() << " bytes" << std::endl;
      std::reverse(data.begin(), data.end());
      co_await s.send_bytes(data);
    }
  } catch (const wisp::Disconnected&) {
  }
}

// receive_json(): ping answered pong; invalid JSON answered an error, the connection open.
wisp::Task<> api(wisp::Session& s) {
  co_await s.accept();
  try {
    while (true) {
      wisp::json answer;
      try {
        const wisp::json data = co_await s.receive_json();
        if (data.value("type", "") == "ping") answer = {{"type", "pong"}};
        if (data.value("type", "") == "message") answer = {{"handled", data["content"]}};
      } catch (const wisp::json::parse_error&) {
        answer = {{"error", "Invalid JSON"}};  // (C++20: no co_await inside a catch)
      }
      co_await s.send_json(answer);
    }
  } catch (const wisp::Disconnected&) {
  }
}

// send_text(): a welcome, then periodic updates (every 30 s in the seed; 100 ms here).
wisp::Task<> notifications(wisp::Session& s) {
  co_await s.accept();
  co_await s.send_text("Welcome to notifications!");
  while (true) {
    co_await wisp::sleep(100ms);
    co_await s.send_text("Update at " + now_iso());  // Disconnected ends it
  }
}

// send_bytes() in 8 KiB chunks: a file streamed (this program's own file), then close().
wisp::Task<> file_stream(wisp::Session& s) {
  co_await s.accept();
  std::ifstream file("/proc/self/exe", std::ios::binary);
  std::string chunk(8192, '\0');
  while (file.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || file.gcount()) {
    co_await s.send_bytes(std::string_view(chunk.data(), static_cast<std::size_t>(file.gcount())));
  }
  co_await s.close();
}

// send_json(): structured data.
wisp::Task<> data(wisp::Session& s) {
  co_await s.accept();
  const wisp::json user = {{"type", "user_data"},
                           {"user", {{"id", 123}, {"name", "John Doe"}, {"status", "online"}}},
                           {"timestamp", now_iso()}};
  co_await s.send_json(user);
}

struct Connection {
  std::string user_id;
  std::chrono::system_clock::time_point connected_at;
  int message_count = 0;
};

// client, headers, query_params, path_params and state: /info/{room_id}?user=...
wisp::Task<> info(wisp::Session& s) {
  if (s.header("authorization").empty()) {  // headers: refused before accept (403)
    co_await s.close(1008, "Authentication required");
    co_return;
  }
  const auto user = s.query("user");  // query_params
  if (!user) {
    co_await s.close(1008, "Missing parameters");
    co_return;
  }
  co_await s.accept();
  Connection& state = s.state<Connection>();  // state
  state = {*user, std::chrono::system_clock::now(), 0};
  const wisp::json hello = {{"client", s.client() ? s.client()->host : ""},  // client
                            {"room", s.param("room_id")},                    // path_params
                            {"user", state.user_id}};
  co_await s.send_json(hello);
  try {
    while (true) {
      co_await s.receive_text();
      co_await s.send_text(std::to_string(++state.message_count));
    }
  } catch (const wisp::Disconnected&) {
    std::cout << "User " << state.user_id << " disconnected after " << state.message_count
              << " messages" << std::endl;
  }
}

// Error handling: Disconnected's code and reason; any other exception closes with 1011.
wisp::Task<> errors(wisp::Session& s) {
  co_await s.accept();
  try {
    while (true) {
      const std::string message(co_await s.receive_text());
      if (message == "fail") throw std::runtime_error("Unexpected error");
      co_await s.send_text("Echo: " + message);
    }
  } catch (const wisp::Disconnected& e) {
    std::cout << "WebSocket disconnected: " << e.code() << " - " << e.reason() << std::endl;
  }  // the runtime_error leaves the coroutine: closed with 1011 "internal error"
}

// Connection state management: a receive with a timeout (30 s in the seed; 200 ms here); on a
// timeout a ping, and a close once nothing came for two timeouts.
wisp::Task<> heartbeat(wisp::Session& s) {
  co_await s.accept();
  int silent = 0;
  try {
    while (true) {
      std::optional<std::string> message;
      try {
        message.emplace(co_await s.receive_text(200ms));
      } catch (const wisp::Timeout&) {
      }
      if (message) {
        silent = 0;
        if (*message == "ping") co_await s.send_text("pong");
      } else if (++silent == 2) {
        co_await s.close(1000, "Timeout");
      } else {
        co_await s.send_text("ping");
      }
    }
  } catch (const wisp::Disconnected&) {
    std::cout << "Client disconnected" << std::endl;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 9001);
  wisp::App app;
  app.ws_route("/ws", echo)
      .ws_route("/chat", with_subprotocol)
      .ws_route("/quit", quit)
      .ws_route("/binary", binary)
      .ws_route("/api", api)
      .ws_route("/notifications", notifications)
      .ws_route("/file-stream", file_stream)
      .ws_route("/data", data)
      .ws_route("/info/{room_id}", info)
      .ws_route("/errors", errors)
      .ws_route("/heartbeat", heartbeat);
  app.listen("127.0.0.1", port);
  std::cout << "listening on 127.0.0.1:" << app.port() << std::endl;
  app.stop_on_signals().run();
}
