// Rooms with history, in memory: what keeping history costs a publisher, and how fast a client
// recovers. One App (two loops) with a hub; a member client on loopback reads every message.
//   bench_room_history [messages=200000] [missed=1000]
// Prints: CPU of this process per emit (server and the reading client together) and emits/s, for
// a room without history and one with (size 1000), side by side; then the time from a join with
// `since` to the last of `missed` recovered messages (the median of 20 runs).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "cpu_time.hpp"
#include "hub_client.hpp"

namespace {

using namespace wisp;
using Clock = std::chrono::steady_clock;
using test::cpu_seconds;

// Emits `messages` to `room` from this thread and `reader` reads them all; CPU per emit in µs.
void publish_run(Hub& hub, test::HubClient& reader, const char* room, int messages) {
  reader.request("join", {{"room", room}});
  const json data = {{"text", "a chat message of some sixty bytes, as a room would carry"}};
  const double cpu_before = cpu_seconds();
  const auto start = Clock::now();
  // In batches well under max_backpressure, so that none is dropped for the reader.
  constexpr int batch = 500;
  for (int sent = 0; sent < messages; sent += batch) {
    for (int n = 0; n < batch; ++n) hub.room(room).emit("new_message", data);
    for (int n = 0; n < batch; ++n) reader.next();
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("%-16s %10.0f emits/s %8.2f us CPU per emit\n", room, messages / seconds,
              (cpu_seconds() - cpu_before) / messages * 1e6);
}

// A client away while `missed` messages are emitted comes back: ms to its last recovered one.
double recovery_ms(test::HubServer& server, int missed) {
  auto first = server.connect();
  const std::string epoch = first->request("join", {{"room", "h:recover"}})["data"]["epoch"];
  const std::uint64_t since = server.hub().room("h:recover").history(0).offset;
  first.reset();
  for (int n = 0; n < missed; ++n) server.hub().room("h:recover").emit("news", n);
  auto back = server.connect();
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
  test::HubServer server([](App&, Hub&) {}, settings, {.threads = 2});
  auto reader = server.connect();
  publish_run(server.hub(), *reader, "plain", messages / 10);  // warm-up
  publish_run(server.hub(), *reader, "plain", messages);
  publish_run(server.hub(), *reader, "h:history", messages);
  std::vector<double> runs;
  for (int run = 0; run < 20; ++run) runs.push_back(recovery_ms(server, missed));
  std::sort(runs.begin(), runs.end());
  std::printf("recovery of %d missed messages: %.2f ms (median of 20; min %.2f, max %.2f)\n",
              missed, runs[10], runs.front(), runs.back());
  const HistoryStats stats = server.hub().history_stats();
  std::printf("history: %zu streams, %zu messages, %zu bytes kept; %llu trimmed by size\n",
              stats.streams, stats.messages, stats.bytes,
              static_cast<unsigned long long>(stats.trimmed_by_size));
}
