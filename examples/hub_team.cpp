// Acks and presence: a team room whose members see who is there and who comes and goes, and
// where any member starts a poll. Presence: a member registers a name (kept as its metadata, the
// info presence lists), `who` lists the room's members on every node, `count` counts them, and
// joins and leaves are pushed to the others (presence_join / presence_leave). Acks (Socket.IO's
// emitWithAck): a poll's question goes to every other member with an ack, and the poller's request
// is answered with every vote once all are in, or with what came when the time is up; a member can
// also be asked one thing directly (`ask_confirm`), by a coroutine awaiting the answer.
//
//   example_hub_team [port]   then connect to ws://127.0.0.1:PORT/ws and send
//     {"type":"register","data":{"name":"ada"},"id":1}
//     {"type":"join","data":{"room":"team"},"id":2}
//     {"type":"who","data":{"room":"team"},"id":3}
//     {"type":"count","data":{"room":"team"},"id":5}
//     {"type":"poll","data":{"room":"team","question":"pizza?","seconds":5},"id":4}
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
  const wisp::Ack ack = co_await hub.send_to_with_ack(target, "confirm", what, 5s);
  const json answer = {
      {"from", target}, {"ok", ack.ok()}, {"answer", ack.ok() ? ack.data : json(ack.error)}};
  hub.send_to(asker, "confirmed", answer);
}

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 9001);
  wisp::App app;
  wisp::Hub& hub =
      app.hub("/ws", {.builtin_rooms = true, .presence_events = true, .ack_timeout = 10s});

  hub.on_register([&hub](wisp::Event& ev) {
    hub.set_metadata(ev.client_id(), "name", ev.data().value("name", "anonymous"));
    return json{{"registered", true}};
  });
  hub.on("who", [&hub](wisp::Event& ev) {
    hub.room(ev.data().at("room"))
        .presence([reply = std::make_shared<wisp::Reply>(ev.defer())](
                      std::vector<wisp::Presence> members) {
          json list = json::array();
          for (const wisp::Presence& member : members)
            list.push_back(
                {{"client_id", member.client_id}, {"name", member.info.value("name", "")}});
          reply->resolve(list);
        });
  });

  // Counting without listing (cheap for a big room: one HLEN with the Redis broker).
  hub.on("count", [&hub](wisp::Event& ev) {
    hub.room(ev.data().at("room"))
        .presence_count([reply = std::make_shared<wisp::Reply>(ev.defer())](std::size_t n) {
          reply->resolve(n);
        });
  });

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
