// Sends with an ack on one node, through real loopback clients: the client's answer (data or an
// error of its own) reaches the callback once; no answer times out, and an answer after that is
// counted late, never passed on; a client leaving, not connected, or owing too many; room emits
// gathering every member's answer; the awaitable forms in a coroutine; and the counters (also as
// /metrics exports them).
#include <gtest/gtest.h>

#include <atomic>

#include "hub_client.hpp"

namespace wisp::test {
namespace {

using namespace std::chrono_literals;

// Answers {"type":"ack","id":<the message's ack>,"data":data}.
void answer(HubClient& client, const json& message, const json& data) {
  client.send_text(json{{"type", "ack"}, {"id", message.at("ack")}, {"data", data}}.dump());
}

// Once the hub answered a ping, it has handled everything the client sent before.
void handled(HubClient& client) {
  ASSERT_EQ(client.request("ping", nullptr, "sync")["type"], "pong");
}

// A callback that must run once: the Ack it got, and how many times it ran.
struct AckCatcher {
  Awaited<Ack> ack;
  std::atomic<int> calls{0};
  AckHandler handler() {
    return [this](Ack got) {
      ++calls;
      ack.set(std::move(got));
    };
  }
};

TEST(HubAcks, TheClientsAnswerReachesTheCallbackOnce) {
  HubServer server([](App&, Hub&) {});
  HubClient client(server.port());
  AckCatcher caught;
  EXPECT_TRUE(server.hub().send_to(client.id(), "question", {{"q", 1}}, caught.handler()));
  const json message = client.next();
  EXPECT_EQ(message["type"], "question");
  EXPECT_EQ(message["data"], json({{"q", 1}}));
  ASSERT_TRUE(message["ack"].is_number()) << message;
  answer(client, message, {{"a", 42}});
  const Ack ack = caught.ack.get();
  EXPECT_TRUE(ack.ok()) << ack.error;
  EXPECT_EQ(ack.client_id, client.id());
  EXPECT_EQ(ack.data, json({{"a", 42}}));

  answer(client, message, "again");  // a second answer matches nothing
  handled(client);
  EXPECT_EQ(caught.calls, 1);
  const AckStats stats = server.hub().ack_stats();
  EXPECT_EQ(stats.answered, 1u);
  EXPECT_EQ(stats.unmatched, 1u);
  EXPECT_EQ(stats.waiting, 0u);
  EXPECT_EQ(stats.owed, 0u);
  const std::string metrics = server.app().metrics().prometheus();  // what /metrics answers
  EXPECT_NE(metrics.find("wisp_hub_acks_total{hub=\"/ws\",outcome=\"answered\"} 1\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("wisp_hub_acks_unmatched_total{hub=\"/ws\"} 1\n"), std::string::npos);
  EXPECT_NE(metrics.find("wisp_hub_acks_waiting{hub=\"/ws\"} 0\n"), std::string::npos);
}

TEST(HubAcks, AnErrorAnswerKeepsTheClientsCode) {
  HubServer server([](App&, Hub&) {});
  HubClient client(server.port());
  AckCatcher caught;
  server.hub().send_to(client.id(), "question", nullptr, caught.handler());
  const json message = client.next();
  client.send_text(json{
      {"type", "ack"}, {"id", message["ack"]}, {"error", {{"code", "nope"}, {"message", "cannot"}}}}
                       .dump());
  const Ack ack = caught.ack.get();
  EXPECT_EQ(ack.error, "nope");
  EXPECT_EQ(ack.data["message"], "cannot");
}

TEST(HubAcks, NoAnswerTimesOutAndALateAnswerIsCountedNotPassedOn) {
  HubServer server([](App&, Hub&) {});
  HubClient client(server.port());
  AckCatcher caught;
  server.hub().send_to(client.id(), "question", nullptr, caught.handler(), 50ms);
  const json message = client.next();
  const Ack ack = caught.ack.get();
  EXPECT_EQ(ack.error, ack_error::timeout);
  EXPECT_EQ(ack.client_id, client.id());
  EXPECT_EQ(server.hub().ack_stats().timed_out, 1u);

  answer(client, message, "too late");
  handled(client);
  EXPECT_EQ(caught.calls, 1);
  const AckStats stats = server.hub().ack_stats();
  EXPECT_EQ(stats.late, 1u);
  EXPECT_EQ(stats.answered, 0u);
  EXPECT_EQ(stats.waiting, 0u);
  const std::string metrics = server.app().metrics().prometheus();
  EXPECT_NE(metrics.find("wisp_hub_acks_total{hub=\"/ws\",outcome=\"timed_out\"} 1\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("wisp_hub_acks_late_total{hub=\"/ws\"} 1\n"), std::string::npos);
}

TEST(HubAcks, AClientLeavingCompletesWhatItOwedAsDisconnected) {
  HubServer server([](App&, Hub&) {});
  auto client = server.connect();
  AckCatcher caught;
  server.hub().send_to(client->id(), "question", nullptr, caught.handler());
  EXPECT_EQ(client->next()["type"], "question");
  client.reset();  // the connection drops without a close
  const Ack ack = caught.ack.get();
  EXPECT_EQ(ack.error, ack_error::disconnected);
  EXPECT_EQ(server.hub().ack_stats().disconnected, 1u);
  EXPECT_EQ(server.hub().ack_stats().owed, 0u);
}

TEST(HubAcks, AClientConnectedNowhereIsDisconnectedAtOnce) {
  HubServer server([](App&, Hub&) {});
  AckCatcher caught;
  EXPECT_FALSE(server.hub().send_to("nobody", "question", nullptr, caught.handler()));
  EXPECT_EQ(caught.ack.get().error, ack_error::disconnected);
}

TEST(HubAcks, PastMaxPendingAcksASendIsRefusedUntilTheOwedOnesExpire) {
  HubSettings settings;
  settings.max_pending_acks = 2;
  HubServer server([](App&, Hub&) {}, settings);
  HubClient client(server.port());
  AckCatcher first, second, third, fourth;
  server.hub().send_to(client.id(), "q", 1, first.handler(), 100ms);
  server.hub().send_to(client.id(), "q", 2, second.handler(), 100ms);
  server.hub().send_to(client.id(), "q", 3, third.handler());
  EXPECT_EQ(third.ack.get().error, ack_error::ack_limit);
  EXPECT_EQ(server.hub().ack_stats().refused, 1u);
  EXPECT_EQ(first.ack.get().error, ack_error::timeout);  // their slots are free once expired
  EXPECT_EQ(second.ack.get().error, ack_error::timeout);
  server.hub().send_to(client.id(), "q", 4, fourth.handler());
  for (int sent = 1; sent <= 2; ++sent) EXPECT_EQ(client.next()["data"], sent);  // not 3
  const json message = client.next();
  EXPECT_EQ(message["data"], 4);
  answer(client, message, "four");
  EXPECT_EQ(fourth.ack.get().data, "four");
}

TEST(HubAcks, AHandlerAsksItsSenderAndAnswersWithTheAck) {
  HubServer server([](App&, Hub& hub) {
    hub.on("ask", [](Event& ev) {
      auto reply = std::make_shared<Reply>(ev.defer());
      ev.send("question", ev.data(), [reply](Ack ack) {
        reply->resolve({{"error", ack.error}, {"answer", ack.data}});
      });
    });
  });
  HubClient client(server.port());
  client.send("ask", "why?", 7);
  const json question = client.next();
  EXPECT_EQ(question["data"], "why?");
  answer(client, question, "because");
  EXPECT_EQ(
      client.next(),
      json({{"type", "response"}, {"data", {{"error", ""}, {"answer", "because"}}}, {"id", 7}}));
}

TEST(HubAcks, ARoomEmitGathersEveryMembersAnswer) {
  HubServer server([](App&, Hub&) {});
  Hub& hub = server.hub();
  HubClient a(server.port()), b(server.port()), c(server.port());
  for (HubClient* client : {&a, &b, &c}) hub.join(client->id(), "r");
  Awaited<RoomAcks> acks;
  hub.room("r").except(c.id()).emit("vote", "yes?",
                                    [&](RoomAcks got) { acks.set(std::move(got)); });
  const json to_a = a.next(), to_b = b.next();
  EXPECT_EQ(to_a["ack"], to_b["ack"]);  // one envelope for every member
  answer(b, to_b, "b");
  answer(a, to_a, "a");
  const RoomAcks got = acks.get();
  EXPECT_TRUE(got.complete);
  ASSERT_EQ(got.answers.size(), 2u);
  EXPECT_EQ(got.answers[0].client_id, b.id());
  EXPECT_EQ(got.answers[0].data, "b");
  EXPECT_EQ(got.answers[1].client_id, a.id());
  handled(c);  // c got nothing: its next message is the pong
}

TEST(HubAcks, ARoomEmitTimesOutWithTheAnswersItHas) {
  HubServer server([](App&, Hub&) {});
  Hub& hub = server.hub();
  HubClient a(server.port()), b(server.port());
  hub.join(a.id(), "r");
  hub.join(b.id(), "r");
  Awaited<RoomAcks> acks;
  hub.room("r").emit(
      "vote", nullptr, [&](RoomAcks got) { acks.set(std::move(got)); }, 100ms);
  answer(a, a.next(), "a");
  b.next();  // b never answers
  const RoomAcks got = acks.get();
  EXPECT_FALSE(got.complete);
  ASSERT_EQ(got.answers.size(), 1u);
  EXPECT_EQ(got.answers[0].data, "a");
}

TEST(HubAcks, AnEmptyRoomAnswersAtOnceComplete) {
  HubServer server([](App&, Hub&) {});
  Awaited<RoomAcks> acks;
  server.hub().room("none").emit("vote", nullptr, [&](RoomAcks got) { acks.set(std::move(got)); });
  const RoomAcks got = acks.get();
  EXPECT_TRUE(got.complete);
  EXPECT_TRUE(got.answers.empty());
}

Task<> ask(Hub& hub, std::string id, Awaited<Ack>& answered, Awaited<RoomAcks>& room,
           Awaited<Ack>& nobody) {
  nobody.set(co_await hub.send_to_with_ack("nobody", "q", nullptr));  // completes without waiting
  answered.set(co_await hub.send_to_with_ack(id, "q", "one"));
  room.set(co_await hub.room("r").emit_with_ack("q", "two"));
}

TEST(HubAcks, TheAwaitableFormsResumeWithTheAnswers) {
  HubServer server([](App&, Hub&) {});
  HubClient client(server.port());
  server.hub().join(client.id(), "r");
  Awaited<Ack> answered, nobody;
  Awaited<RoomAcks> room;
  server.app().spawn(ask(server.hub(), client.id(), answered, room, nobody));
  EXPECT_EQ(nobody.get().error, ack_error::disconnected);
  const json one = client.next();
  EXPECT_EQ(one["data"], "one");
  answer(client, one, 1);
  EXPECT_EQ(answered.get().data, 1);
  const json two = client.next();
  EXPECT_EQ(two["data"], "two");
  answer(client, two, 2);
  const RoomAcks got = room.get();
  EXPECT_TRUE(got.complete);
  ASSERT_EQ(got.answers.size(), 1u);
  EXPECT_EQ(got.answers[0].data, 2);
}

}  // namespace
}  // namespace wisp::test
