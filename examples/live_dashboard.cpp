// A live metrics dashboard (seed 002's "Real-time Dashboard"): a background task publishes the
// server's own counters every 100 ms on a topic, clients subscribe and unsubscribe with JSON
// commands, the client registry names them, and HTTP routes on the same port serve the figures.
//
//   example_live_dashboard [port [page directory]]
//     then open http://127.0.0.1:PORT/ (the page, a static file), connect to
//     ws://127.0.0.1:PORT/dashboard, or GET /api/stats and /metrics
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "wisp/wisp.hpp"

using nlohmann::json;

json stats(const wisp::App& app) {
  const wisp::Metrics m = app.metrics();
  return {{"clients", app.client_count()},
          {"messages_in", m.messages_in},
          {"messages_out", m.messages_out},
          {"subscribers", app.subscriber_count("metrics")}};
}

// {"type": "subscribe" | "unsubscribe", "topic": "metrics"}; anything else gets an error.
void on_command(wisp::WebSocket& ws, std::string_view text) {
  const json command = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!command.is_object() || !command.contains("type")) {
    ws.send(json{{"type", "error"}, {"message", "invalid JSON command"}}.dump());
    return;
  }
  const std::string topic = command.value("topic", "metrics");
  const std::string type = command.value("type", "");
  if (type == "subscribe")
    ws.subscribe(topic);
  else if (type == "unsubscribe")
    ws.unsubscribe(topic);
  else
    return (void)ws.send(json{{"type", "error"}, {"message", "unknown command"}}.dump());
  ws.send(json{{"type", type + "d"}, {"topic", topic}}.dump());
}

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 9001);
  wisp::App app;
  app.ws("/dashboard",
         {
             .settings = {.compression = wisp::Compression::Shared, .client_registry = true},
             .open =
                 [](wisp::WebSocket& ws) {
                   ws.subscribe("metrics");
                   ws.send(json{{"type", "welcome"}, {"id", ws.client_id()}}.dump());
                 },
             .message = [](wisp::WebSocket& ws, std::string_view text,
                           wisp::OpCode) { on_command(ws, text); },
         });
  // The page: index.html and whatever sits beside it, with ETags so browsers revalidate cheaply.
  app.static_files("/", argc > 2 ? argv[2] : DASHBOARD_PAGE_DIR);
  app.get("/api/stats", [&](wisp::Request&, wisp::Response& res) { res.json(stats(app).dump()); });
  app.expose_metrics();  // /metrics (Prometheus) and /healthz
  app.every(std::chrono::milliseconds(100), [&] {
    json update = stats(app);
    update["type"] = "metrics";
    update["timestamp"] =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    app.publish("metrics", update.dump());
  });
  app.listen("127.0.0.1", port);
  std::cout << "listening on 127.0.0.1:" << app.port() << std::endl;
  app.stop_on_signals().run();
}
