// The Redis broker's cross-node cost: node a publishes, node b (another broker in this process,
// on its own loop thread) receives through a redis-server this program starts.
//   bench_redis_broker [messages=200000] [size=64]
// Prints: throughput of a burst (messages/s, and this process' CPU per message), the latency of
// the Redis hop at 1,000 messages/s (p50/p99), and Redis' own count of commands per publish
// (INFO commandstats).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "broker_node.hpp"
#include "cpu_time.hpp"
#include "redis_server.hpp"

namespace {

using namespace wisp;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test::cpu_seconds;

long long commands_called(test::RedisClient& client, const char* command) {
  auto info = client.command({"INFO", "commandstats"}).value_or("");
  std::string key = std::string("cmdstat_") + command + ":calls=";
  auto at = info.find(key);
  return at == std::string::npos ? 0 : std::atoll(info.c_str() + at + key.size());
}

}  // namespace

int main(int argc, char** argv) {
  const int messages = argc > 1 ? std::atoi(argv[1]) : 200000;
  const std::size_t size = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 64;
  test::RedisServer redis;
  test::RedisClient client = redis.client();
  RedisOptions options;
  options.url = redis.url();
  options.max_pending = static_cast<std::size_t>(messages) + 1;
  test::BrokerNode a{"a", options};
  test::BrokerNode b{"b", options};
  if (!test::eventually([&] { return a.status().up && b.status().up; })) return 1;
  b.broker->topic_active("bench");
  if (!test::eventually([&] { return client.subscribers("wisp:t:bench") == 1; })) return 1;

  // A burst, from a thread that is not a's loop (the posted path).
  std::string payload(size, 'x');
  client.command({"CONFIG", "RESETSTAT"});
  double cpu_before = cpu_seconds();
  auto start = Clock::now();
  for (int i = 0; i < messages; ++i) a.broker->publish({"bench", payload, OpCode::Text, true, {}});
  if (!b.node.wait_deliveries(messages, 120s)) return 1;
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  double cpu = cpu_seconds() - cpu_before;
  long long publishes = commands_called(client, "publish");
  std::printf(
      "burst: %d messages of %zu bytes in %.3f s: %.0f messages/s; process CPU %.2f us "
      "per message (both nodes)\n",
      messages, size, seconds, messages / seconds, cpu * 1e6 / messages);
  std::printf("redis: %lld PUBLISH for %d publishes (%.3f per publish), lost %llu\n", publishes,
              messages, static_cast<double>(publishes) / messages,
              static_cast<unsigned long long>(a.status().lost));

  // Latency at 1,000 messages/s: the send time travels in the message.
  const int paced = 3000;
  std::size_t before = b.node.deliveries().size();
  std::vector<Clock::time_point> sent(paced);
  auto next = Clock::now();
  for (int i = 0; i < paced; ++i) {
    std::this_thread::sleep_until(next);
    next += 1ms;
    sent[i] = Clock::now();
    a.broker->publish({"bench", std::to_string(i), OpCode::Text, true, {}});
  }
  if (!b.node.wait_deliveries(before + paced, 30s)) return 1;
  auto deliveries = b.node.deliveries();
  std::vector<double> latency;
  for (std::size_t i = before; i < deliveries.size(); ++i) {
    int number = std::stoi(deliveries[i].message);
    latency.push_back(
        std::chrono::duration<double, std::micro>(deliveries[i].at - sent[number]).count());
  }
  std::sort(latency.begin(), latency.end());
  std::printf("1,000 messages/s: publish to delivery on the other node p50 %.0f us, p99 %.0f us\n",
              latency[latency.size() / 2], latency[latency.size() * 99 / 100]);

  // Every subscriber local (b idle): what the Redis broker adds to a publish nobody else needs.
  b.broker->topic_idle("bench");
  if (!test::eventually([&] { return client.subscribers("wisp:t:bench") == 0; })) return 1;
  auto published = a.status().published;
  cpu_before = cpu_seconds();
  start = Clock::now();
  for (int i = 0; i < messages; ++i) a.broker->publish({"bench", payload, OpCode::Text, true, {}});
  if (!test::eventually([&] { return a.status().published == published + messages; }, 120s))
    return 1;
  seconds = std::chrono::duration<double>(Clock::now() - start).count();
  cpu = cpu_seconds() - cpu_before;
  std::printf(
      "no remote subscriber: %.0f publishes/s; process CPU %.2f us per publish (the test "
      "node's recording included)\n",
      messages / seconds, cpu * 1e6 / messages);
  return 0;
}
