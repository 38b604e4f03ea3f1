#include "demo.hpp"

#include <algorithm>
#include <chrono>
#include <memory>

#include "chat_rooms.hpp"
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
  tools.on("delay", [&app](Event& ev) {
    const json& ms = ev.data().is_object() ? ev.data().value("ms", json(0)) : json(0);
    if (!ms.is_number() || ms.get<double>() < 0) throw HubError("invalid_delay", "ms: 0 to 10000");
    const auto delay = std::min(longest_delay, std::chrono::milliseconds(ms.get<long>()));
    app.after(delay, [reply = std::make_shared<Reply>(ev.defer()), delay] {
      reply->resolve({{"waited_ms", delay.count()}});
    });
    return json(nullptr);
  });
  return tools;
}

}  // namespace

void add_demo(App& app, const WebSocketSettings& settings, std::size_t room_history) {
  HistorySettings history;
  if (room_history > 0) history.rooms.push_back({.prefix = "", .size = room_history});
  Hub& hub = app.hub("/ws", {.websocket = settings, .builtin_rooms = true, .history = history});
  auto chat = std::make_shared<ChatRooms>(hub);
  hub.mount(utilities(app)).mount(chat->blueprint());
  add_dashboard(app, hub);
  app.get("/api/rooms",
          [chat](Request&, Response& res) { res.json(chat->rooms_summary().dump()); });
  add_web_pages(app);
}

}  // namespace wisp::tool
