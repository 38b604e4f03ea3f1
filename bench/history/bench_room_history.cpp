// Rooms and raw topics with history: what keeping history costs a publisher, and how fast a client
// recovers. One App (two loops) with a hub and a raw route /feed (tests/support/topic_feed.hpp);
// a member client (a subscriber) on loopback reads every message.
//   bench_room_history [messages=200000] [missed=1000] [redis-port]
// Prints: CPU of this process per emit (server and the reading client together) and emits/s, for
// a room without history and one with (size 1000), side by side; the same for app.publish to a
// raw topic without history and one with (size 1000, each message formatted with its position);
// then the time from a join with `since` to the last of `missed` recovered messages (the median
// of 20 runs). With a port, the
// history is in the Redis on 127.0.0.1:port (start one without persistence: `redis-server --port P
// --save ''`): two Apps (nodes) share it, the emits are made on the first and the recovering
// client comes back on the second; each run also prints the Redis commands per emit (INFO
// commandstats before and after; Redis' own CPU is not in the figure).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <thread>
#include <vector>

#include "cpu_time.hpp"
#include "hub_client.hpp"
#include "redis_server.hpp"
#include "topic_feed.hpp"

namespace {

using namespace wisp;
using Clock = std::chrono::steady_clock;
using test::cpu_seconds;

// The calls of every command Redis ran so far (0 without Redis).
std::uint64_t redis_calls(test::RedisClient* redis) {
  if (!redis) return 0;
  const std::string info = redis->command({"INFO", "commandstats"}).value_or("");
  std::uint64_t calls = 0;
  for (std::size_t at = info.find("calls="); at != std::string::npos;
       at = info.find("calls=", at + 1))
    calls += std::strtoull(info.c_str() + at + 6, nullptr, 10);
  return calls;
}

void report(const char* name, int messages, double seconds, double cpu, test::RedisClient* redis,
            std::uint64_t calls_before) {
  std::printf("%-16s %10.0f emits/s %8.2f us CPU per emit", name, messages / seconds,
              cpu / messages * 1e6);
  if (redis)  // less the INFO itself
    std::printf(" %6.2f Redis commands per emit",
                static_cast<double>(redis_calls(redis) - calls_before - 1) / messages);
  std::printf("\n");
}

// Emits `messages` to `room` from this thread and `reader` reads them all; CPU per emit in µs.
void publish_run(Hub& hub, test::HubClient& reader, const char* room, int messages,
                 test::RedisClient* redis) {
  reader.request("join", {{"room", room}});
  const json data = {{"text", "a chat message of some sixty bytes, as a room would carry"}};
  const std::uint64_t calls_before = redis_calls(redis);
  const double cpu_before = cpu_seconds();
  const auto start = Clock::now();
  // In batches well under max_backpressure, so that none is dropped for the reader.
  constexpr int batch = 500;
  for (int sent = 0; sent < messages; sent += batch) {
    for (int n = 0; n < batch; ++n) hub.room(room).emit("new_message", data);
    for (int n = 0; n < batch; ++n) reader.next();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = cpu_seconds() - cpu_before;
  report(room, messages, seconds, cpu, redis, calls_before);
}

// The same for app.publish to a raw topic that `reader` (of /feed) is subscribed to.
void topic_run(App& app, test::FeedClient& reader, const char* topic, int messages,
               test::RedisClient* redis) {
  const std::string text = "a feed message of some sixty bytes, as a topic would carry";
  const std::uint64_t calls_before = redis_calls(redis);
  const double cpu_before = cpu_seconds();
  const auto start = Clock::now();
  constexpr int batch = 500;
  for (int sent = 0; sent < messages; sent += batch) {
    for (int n = 0; n < batch; ++n) app.publish(topic, text);
    for (int n = 0; n < batch; ++n) reader.next_text();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  report(topic, messages, seconds, cpu_seconds() - cpu_before, redis, calls_before);
}

// A client away while `missed` messages are emitted on `server` comes back on `back_on`: ms to
// its last recovered one.
double recovery_ms(test::HubServer& server, test::HubServer& back_on, int missed) {
  auto first = server.connect();
  const json joined = first->request("join", {{"room", "h:recover"}})["data"];
  const std::string epoch = joined["epoch"];
  const std::uint64_t since = joined["offset"];
  for (int n = 0; n < missed; ++n) server.hub().room("h:recover").emit("news", n);
  for (int n = 0; n < missed; ++n) first->next();  // all emitted: the first client had them
  first.reset();
  auto back = back_on.connect();
  const auto start = Clock::now();
  back->send("join", {{"room", "h:recover"}, {"since", {{"offset", since}, {"epoch", epoch}}}}, 1);
  for (int n = 0; n < missed; ++n) back->next();
  const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  if (back->next()["data"]["recovered"] != true) std::fprintf(stderr, "not recovered\n");
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  const int messages = argc > 1 ? std::atoi(argv[1]) : 200000;
  const int missed = argc > 2 ? std::atoi(argv[2]) : 1000;
  HubSettings settings{.builtin_rooms = true};
  settings.history.rooms.push_back({.prefix = "h:", .size = 1000});
  settings.history.max_recover = static_cast<std::size_t>(missed);
  AppOptions options{.threads = 2,
                     .topic_history = test::feed_history(1000, static_cast<std::size_t>(missed))};
  std::optional<test::RedisClient> redis;
  if (argc > 3) {
    options.redis.url = std::string("redis://127.0.0.1:") + argv[3];
    redis.emplace("127.0.0.1", static_cast<std::uint16_t>(std::atoi(argv[3])));
  }
  const auto feed = [](App& app, Hub&) { test::add_feed_route(app); };
  test::HubServer server(feed, settings, options);
  std::optional<test::HubServer> other;
  if (redis) other.emplace(feed, settings, options);
  for (App* app : {&server.app(), other ? &other->app() : &server.app()})
    while (!app->metrics().broker.up) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  test::RedisClient* counting = redis ? &*redis : nullptr;
  auto reader = server.connect();
  publish_run(server.hub(), *reader, "plain", messages / 10, counting);  // warm-up
  publish_run(server.hub(), *reader, "plain", messages, counting);
  publish_run(server.hub(), *reader, "h:history", messages, counting);
  test::FeedClient plain(server.port(), "plain-topic"), kept(server.port(), "feed");
  topic_run(server.app(), plain, "plain-topic", messages, counting);
  topic_run(server.app(), kept, "feed", messages, counting);
  std::vector<double> runs;
  for (int run = 0; run < 20; ++run)
    runs.push_back(recovery_ms(server, other ? *other : server, missed));
  std::sort(runs.begin(), runs.end());
  std::printf("recovery of %d missed messages%s: %.2f ms (median of 20; min %.2f, max %.2f)\n",
              missed, redis ? ", on the other node" : "", runs[10], runs.front(), runs.back());
  const HistoryStats stats = server.hub().history_stats();
  std::printf("history: %zu streams, %zu messages, %zu bytes kept; %llu trimmed by size\n",
              stats.streams, stats.messages, stats.bytes,
              static_cast<unsigned long long>(stats.trimmed_by_size));
}
