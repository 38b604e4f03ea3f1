// Acks (Socket.IO's emitWithAck): the server asks clients and hears their answers. A team room
// where any member starts a poll: the question goes to every other member with an ack, and the
// poller's request is answered with every vote once all are in, or with what came when the time
// is up. A member can also be asked one thing directly (`confirm`), in a coroutine.
//
//   example_hub_acks [port]   then connect to ws://127.0.0.1:PORT/ws and send
//     {"type":"join","data":{"room":"team"},"id":1}
//     {"type":"poll","data":{"room":"team","question":"pizza?","seconds":5},"id":2}
//   every other member gets {"type":"question","data":{...},"ack":N} and answers
//     {"type":"ack","id":N,"data":"yes"}
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "wisp/wisp.hpp"

using wisp::json;
using namespace std::chrono_literals;

// {"votes": {client id: answer}, "failed": {client id: why (e.g. "disconnected")}, "complete":
//  whether every member answered in time}. A member that did not answer in time is in neither.
json tally(const wisp::RoomAcks& acks) {
  json votes = json::object(), failed = json::object();
  for (const wisp::Ack& ack : acks.answers)
    (ack.ok() ? votes : failed)[ack.client_id] = ack.ok() ? ack.data : json(ack.error);
  return {{"votes", votes}, {"failed", failed}, {"complete", acks.complete}};
}

// Asks one client to confirm, and tells the asker what it said (a coroutine awaiting the ack).
wisp::Task<> confirm(wisp::Hub& hub, std::string asker, std::string target, json what) {
  const wisp::Ack ack = co_await hub.send_with_ack(target, "confirm", what, 5s);
  const json answer = {
      {"from", target}, {"ok", ack.ok()}, {"answer", ack.ok() ? ack.data : json(ack.error)}};
  hub.send(asker, "confirmed", answer);
}

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 9001);
  wisp::App app;
  wisp::Hub& hub = app.hub("/ws", {.builtin_rooms = true, .ack_timeout = 10s});

  hub.on("poll", [&hub](wisp::Event& ev) {
    const json& data = ev.data();
    const auto seconds = std::clamp(data.value("seconds", 5), 1, 60);
    hub.room(data.at("room"))
        .except(ev.client_id())
        .emit(
            "question", {{"question", data.value("question", "")}, {"from", ev.client_id()}},
            [reply = std::make_shared<wisp::Reply>(ev.defer())](wisp::RoomAcks acks) {
              reply->resolve(tally(acks));
            },
            std::chrono::seconds(seconds));
  });
  hub.on("ask_confirm", [&app, &hub](wisp::Event& ev) {
    const std::string target = ev.data().at("client_id");
    app.spawn(confirm(hub, std::string(ev.client_id()), target, ev.data().value("what", json())));
    return json{{"asked", target}};
  });
  app.every(60s, [&hub] {
    const wisp::AckStats stats = hub.ack_stats();
    std::cout << "acks: " << stats.answered << " answered, " << stats.timed_out << " timed out, "
              << stats.late << " late, " << stats.waiting << " waiting" << std::endl;
  });

  app.listen("127.0.0.1", port);
  std::cout << "listening on 127.0.0.1:" << app.port() << std::endl;
  app.stop_on_signals().run();
}
