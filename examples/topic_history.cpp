// A news feed on a raw-callback topic that keeps its history (docs/raw-callbacks.md, "Topics
// with history"): every message a subscriber gets says its offset and epoch, and a client that
// comes back after a dropped connection with the last ones it saw first gets exactly what it
// missed, then {"type":"subscribed","recovered":true,...}, or recovered false and why (the app
// then reloads, e.g. from GET /news, the topic's last messages).
//
//   example_topic_history [port]   then connect to ws://127.0.0.1:PORT/news and send "post:hello";
//     come back with ws://127.0.0.1:PORT/news?epoch=E&offset=N for what followed offset N.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "wisp/wisp.hpp"

using nlohmann::json;

namespace {

// What a subscriber gets for each kept message: formatted once per message (not per subscriber).
std::string with_position(std::string_view message, const wisp::StreamPosition& at) {
  return json{{"type", "news"}, {"offset", at.offset}, {"epoch", at.epoch}, {"text", message}}
      .dump();
}

// The position in the query (none: an empty one, which subscribes from the stream's position).
wisp::StreamPosition since_of(const wisp::WebSocket& ws) {
  return {ws.query("epoch").value_or(""), std::stoull(ws.query("offset").value_or("0"))};
}

json messages_of(const wisp::TopicHistory& history) {
  json messages = json::array();
  for (const wisp::TopicMessage& kept : history.messages)
    messages.push_back({{"offset", kept.offset}, {"text", kept.message}});
  return {{"epoch", history.epoch}, {"offset", history.offset}, {"messages", messages}};
}

}  // namespace

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 9001);
  // "news" keeps its last 100 messages for 10 minutes; a client may recover up to 500.
  wisp::AppOptions options;
  options.topic_history = {.topics = {{.prefix = "news",
                                       .size = 100,
                                       .ttl = std::chrono::minutes(10),
                                       .format = with_position}},
                           .max_recover = 500};
  wisp::App app(options);

  app.ws("/news", {.open =
                       [](wisp::WebSocket& ws) {
                         ws.subscribe("news", since_of(ws), [&ws](wisp::TopicRecovery recovery) {
                           // After the missed messages, before the live ones.
                           ws.send(json{{"type", "subscribed"},
                                        {"recovered", recovery.recovered},
                                        {"reason", recovery.reason},
                                        {"offset", recovery.position.offset},
                                        {"epoch", recovery.position.epoch}}
                                       .dump());
                         });
                       },
                   .message =
                       [](wisp::WebSocket& ws, std::string_view message, wisp::OpCode) {
                         if (message.starts_with("post:")) ws.publish("news", message.substr(5));
                       }});

  app.get("/news", [&app](wisp::Request&, wisp::Response& res) {
    auto later = std::make_shared<wisp::DeferredResponse>(res.defer());
    app.topic_history("news", 20, [later](std::optional<wisp::TopicHistory> history) {
      if (!history) return later->status(503).text("history unavailable");
      later->json(messages_of(*history).dump());
    });
  });
  app.expose_metrics();

  app.listen("127.0.0.1", port);
  std::cout << "listening on 127.0.0.1:" << app.port() << std::endl;
  app.stop_on_signals().run();
}
