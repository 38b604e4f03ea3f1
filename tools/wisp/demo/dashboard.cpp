#include "dashboard.hpp"

#include <chrono>

#include "process_usage.hpp"

namespace wisp::tool {
namespace {

using Clock = std::chrono::steady_clock;

// What the rates are computed against: the previous sample.
struct Sample {
  Clock::time_point at;
  Metrics metrics;
  ProcessUsage usage;

  static Sample take(const App& app) { return {Clock::now(), app.metrics(), process_usage()}; }
};

double per_second(std::uint64_t now, std::uint64_t before, double seconds) {
  return seconds > 0 ? static_cast<double>(now - before) / seconds : 0;
}

json metrics_json(const Sample& now, const Sample& before, const Hub& hub) {
  const double seconds = std::chrono::duration<double>(now.at - before.at).count();
  const Metrics& m = now.metrics;
  const Metrics& b = before.metrics;
  const double wall =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  return {
      {"timestamp", wall},
      {"node", m.broker.node_id},  // empty without a cluster broker
      {"connections", m.connections},
      {"websockets", m.websockets},
      {"hub_clients", hub.client_count()},
      {"messages_in", m.messages_in},
      {"messages_out", m.messages_out},
      {"messages_in_per_s", per_second(m.messages_in, b.messages_in, seconds)},
      {"messages_out_per_s", per_second(m.messages_out, b.messages_out, seconds)},
      {"bytes_in_per_s", per_second(m.bytes_in, b.bytes_in, seconds)},
      {"bytes_out_per_s", per_second(m.bytes_out, b.bytes_out, seconds)},
      // Percent of one core: above 100 when several threads are busy.
      {"cpu_percent",
       seconds > 0 ? 100 * (now.usage.cpu_seconds - before.usage.cpu_seconds) / seconds : 0},
      {"memory_bytes", now.usage.memory_bytes},
      {"threads", m.threads},
  };
}

}  // namespace

void add_dashboard(App& app, Hub& hub) {
  app.every(std::chrono::seconds(1), [&app, &hub, before = Sample::take(app)]() mutable {
    const Sample now = Sample::take(app);
    json figures = metrics_json(now, before, hub);
    before = now;
    // Every node publishes its own figures to the one room, so a page on any node hears each
    // node (by "node"), with the clients of the whole cluster beside this node's.
    hub.client_count([&hub, figures = std::move(figures)](std::size_t cluster) mutable {
      figures["cluster_clients"] = cluster;
      hub.room(dashboard_room).emit("metrics", figures);
    });
  });
}

}  // namespace wisp::tool
