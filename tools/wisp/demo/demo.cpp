#include "demo.hpp"

#include <algorithm>
#include <chrono>
#include <memory>

#include "chat_rooms.hpp"
#include "cluster_rooms.hpp"
#include "dashboard.hpp"
#include "web_assets.hpp"

namespace wisp::tool {
namespace {

constexpr std::chrono::milliseconds longest_delay{10'000};

// echo: answers with the request's data. delay {"ms": N}: answers {"waited_ms": N} after N ms
// (at most 10 s), from a timer, through a deferred reply: a slow handler that blocks nothing.
Blueprint utilities(App& app) {
  Blueprint tools("utilities");
  tools.on("echo", [](Event& ev) { return ev.data(); });
  // echo_ack: the data goes to the client as {"type":"echo",..,"ack":..}, and the answer comes
  // once the client acked it, with the client's answer (what `wisp bench hub --event echo_ack`
  // measures against echo).
  tools.on("echo_ack", [](Event& ev) {
    ev.send("echo", ev.data(), [reply = std::make_shared<Reply>(ev.defer())](Ack ack) {
      if (ack.ok()) return reply->resolve(ack.data);
      reply->reject(ack.error, "no ack");
    });
  });
  tools.on("delay", [&app](Event& ev) {
    const json& ms = ev.data().is_object() ? ev.data().value("ms", json(0)) : json(0);
    if (!ms.is_number() || ms.get<double>() < 0) throw HubError("invalid_delay", "ms: 0 to 10000");
    const auto delay = std::min(longest_delay, std::chrono::milliseconds(ms.get<long>()));
    app.after(delay, [reply = std::make_shared<Reply>(ev.defer()), delay] {
      reply->resolve({{"waited_ms", delay.count()}});
    });
    return json(nullptr);
  });
  // ask {"type": t, "data": d, "timeout_ms": n}: sends the asker {"type": t, "data": d, "ack": ...}
  // and answers with its ack: {"answer": ...}, or {"error": code, "data": ...} (timeout at most
  // 10 s; 0 or none: the hub's default).
  tools.on("ask", [](Event& ev) {
    const json& data = ev.data();
    if (!data.is_object() || !data.contains("type") || !data["type"].is_string())
      throw HubError("invalid_ask", "expected {\"type\": name, \"data\": ...}");
    const auto timeout =
        std::min(longest_delay, std::chrono::milliseconds(data.value("timeout_ms", 0)));
    ev.send(
        data["type"].get<std::string>(), data.value("data", json()),
        [reply = std::make_shared<Reply>(ev.defer())](Ack ack) {
          reply->resolve(ack.ok() ? json{{"answer", ack.data}}
                                  : json{{"error", ack.error}, {"data", ack.data}});
        },
        timeout);
  });
  return tools;
}

}  // namespace

Hub& add_demo(App& app, const WebSocketSettings& settings, std::size_t room_history) {
  HistorySettings history;
  if (room_history > 0) history.rooms.push_back({.prefix = "", .size = room_history});
  Hub& hub = app.hub("/ws", {.websocket = settings, .builtin_rooms = true, .history = history});
  auto chat = std::make_shared<ChatRooms>(hub);
  hub.mount(utilities(app)).mount(chat->blueprint());
  add_dashboard(app, hub);
  // Cluster-wide: answered once every node told its rooms' counts (a deferred response).
  app.get("/api/rooms", [chat, &hub](Request&, Response& res) {
    auto later = std::make_shared<DeferredResponse>(res.defer());  // std::function copies
    count_rooms(hub, [chat, later](std::vector<RoomCount> cluster) {
      later->json(chat->rooms_summary(cluster).dump());
    });
  });
  add_web_pages(app);
  return hub;
}

}  // namespace wisp::tool
