// A wisp server that is also a client of another service: it follows an upstream feed with
// wisp::Client, on the App's own loop (no thread of its own), and publishes every upstream
// message to its /feed clients. When the upstream goes away the client reconnects with backoff
// and the relay's clients stay connected.
//
//   example_feed_relay PORT UPSTREAM_URL     e.g. example_feed_relay 8080 ws://127.0.0.1:9001/feed
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "wisp/wisp.hpp"

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 8080);
  const std::string upstream_url = argc > 2 ? argv[2] : "ws://127.0.0.1:9001/feed";
  wisp::App app;
  app.ws("/feed", {.open = [](wisp::WebSocket& ws) { ws.subscribe("feed"); }});

  std::unique_ptr<wisp::Client> upstream;  // made on run()'s loop, so it runs there
  app.after(std::chrono::milliseconds(0), [&] {
    upstream = std::make_unique<wisp::Client>();
    upstream->connect(
        upstream_url,
        {.open = [](wisp::ClientSocket& feed) { feed.send_text("subscribe"); },
         .message = [&](wisp::ClientSocket&, std::string_view message,
                        wisp::OpCode op) { app.publish("feed", message, op); },
         .fail = [](const wisp::ConnectError& e) { std::cerr << e.message << std::endl; },
         .reconnecting =
             [](int attempt, std::chrono::milliseconds delay, int code, std::string_view) {
               std::cout << "upstream lost (" << code << "), attempt " << attempt << " in "
                         << delay.count() << " ms" << std::endl;
             }},
        {.ping_interval = std::chrono::seconds(20),
         .reconnect = {.enabled = true, .initial_delay = std::chrono::milliseconds(100)}});
  });
  app.on_shutdown([&] { upstream.reset(); });  // on its loop, before the App stops

  app.listen("127.0.0.1", port);
  std::cout << "listening on 127.0.0.1:" << app.port() << std::endl;
  app.stop_on_signals().run();
}
