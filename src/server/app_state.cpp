#include "server/app_state.hpp"

#include <algorithm>
#include <chrono>

#include "net/event_loop.hpp"
#include "server/connection.hpp"
#include "server/loop_server.hpp"

namespace wisp::server {

void AppState::attach(LoopServer& loop, bool primary) {
  std::lock_guard lock(mutex_);
  running_.push_back(&loop);
  if (primary) {
    primary_ = &loop;
    for (auto& task : pending_tasks_) loop.tasks().start(std::move(task));
    pending_tasks_.clear();
  }
  if (stop_requested_) loop.begin_stop(*stop_requested_);
}

void AppState::detach(LoopServer& loop) {
  std::lock_guard lock(mutex_);
  std::erase(running_, &loop);
  if (primary_ == &loop) primary_ = nullptr;
}

void AppState::request_stop(const ShutdownOptions& options) {
  std::lock_guard lock(mutex_);
  if (stop_requested_) return;  // the first shutdown's terms stand
  stop_requested_ = options;
  for (LoopServer* loop : running_)
    loop->loop().post([loop, options] { loop->begin_stop(options); });
}

void AppState::publish(std::string_view topic, std::string_view message, OpCode op, bool compress,
                       const Connection* except, std::string_view except_client) {
  LoopServer* here = nullptr;
  {
    // Posting happens under the lock so that no loop can end (and be freed) meanwhile.
    std::lock_guard lock(mutex_);
    std::shared_ptr<const std::string> payload;  // copied once, only if another loop needs it
    for (LoopServer* loop : running_) {
      if (&loop->loop() == net::EventLoop::current()) {
        here = loop;
        continue;
      }
      if (!payload) payload = std::make_shared<const std::string>(message);
      loop->loop().post([this, loop, payload, name = std::string(topic), op, compress,
                         skip = std::string(except_client)] {
        Publication publication(op, *payload, compress, loop->compression());
        loop->topics().deliver(name, publication, connection_on(loop, skip));
      });
    }
  }
  if (!here) return;
  Publication publication(op, message, compress, here->compression());
  here->topics().deliver(topic, publication, except ? except : connection_on(here, except_client));
}

Connection* AppState::connection_on(const LoopServer* loop, std::string_view id) const {
  if (id.empty()) return nullptr;
  const auto [on, connection] = registry.find(id);
  return on == loop ? connection : nullptr;
}

void AppState::run_on(LoopServer* loop, std::function<void()> task) {
  if (&loop->loop() == net::EventLoop::current()) return task();
  std::lock_guard lock(mutex_);  // so the loop cannot end meanwhile
  if (std::find(running_.begin(), running_.end(), loop) != running_.end()) {
    loop->loop().post(std::move(task));
  }
}

bool AppState::with_client(std::string_view id, std::function<void(Connection&)> action) {
  LoopServer* loop = registry.find(id).first;
  if (!loop) return false;
  run_on(loop, [this, loop, id = std::string(id), action = std::move(action)] {
    // Looked up again on the loop thread: the client may have left since.
    const auto [now_on, connection] = registry.find(id);
    if (now_on == loop) action(*connection);
  });
  return true;
}

std::size_t AppState::broadcast(std::string_view message, OpCode op) {
  const std::size_t count = registry.size();
  auto payload = std::make_shared<const std::string>(message);
  std::vector<LoopServer*> loops;
  {
    std::lock_guard lock(mutex_);
    loops = running_;
  }
  for (LoopServer* loop : loops) {
    run_on(loop, [loop, payload, op] { loop->send_to_registered(*payload, op); });
  }
  return count;
}

std::size_t AppState::broadcast_to(const std::vector<std::string>& ids, std::string_view message,
                                   OpCode op) {
  auto payload = std::make_shared<const std::string>(message);
  std::size_t count = 0;
  for (auto& group : registry.by_loop(ids)) {
    count += group.second.size();
    LoopServer* loop = group.first;  // (clang 14 cannot capture structured bindings)
    run_on(loop, [this, loop, payload, op, group_ids = std::move(group.second)] {
      for (const std::string& id : group_ids) {
        const auto [now_on, connection] = registry.find(id);
        if (now_on == loop) connection->send(*payload, op, true);
      }
    });
  }
  return count;
}

void AppState::schedule(std::shared_ptr<ScheduledTask> task) {
  std::lock_guard lock(mutex_);
  if (!primary_) return pending_tasks_.push_back(std::move(task));
  LoopServer* loop = primary_;
  if (&loop->loop() == net::EventLoop::current()) return loop->tasks().start(std::move(task));
  loop->loop().post(
      [loop, task = std::move(task)]() mutable { loop->tasks().start(std::move(task)); });
}

Metrics AppState::metrics() const {
  Metrics total;
  total.threads = options.threads;  // configured: a loop still starting has counted nothing yet
  std::lock_guard lock(mutex_);
  for (const LoopServer* loop : running_) loop->metrics().add_to(total);
  return total;
}

bool AppState::admit_connection(std::string_view ip) {
  const std::uint32_t limit = options.connections_per_ip_per_minute;
  if (limit == 0) return true;
  const std::int64_t minute = std::chrono::duration_cast<std::chrono::minutes>(
                                  std::chrono::steady_clock::now().time_since_epoch())
                                  .count();
  std::lock_guard lock(mutex_);
  if (connections_by_ip_.size() > 100000) {  // forget the addresses of minutes gone by
    std::erase_if(connections_by_ip_,
                  [&](const auto& entry) { return entry.second.minute != minute; });
  }
  IpWindow& window = connections_by_ip_[std::string(ip)];
  if (window.minute != minute) window = {minute, 0};
  return ++window.connections <= limit;
}

void AppState::count_subscriber(std::string_view topic, int change) {
  std::lock_guard lock(mutex_);
  auto found = subscriber_counts_.try_emplace(std::string(topic), 0).first;
  if ((found->second += change) == 0) {
    subscriber_counts_.erase(found);  // an emptied topic frees its memory here too
  }
}

std::size_t AppState::subscriber_count(std::string_view topic) const {
  std::lock_guard lock(mutex_);
  const auto found = subscriber_counts_.find(std::string(topic));
  return found == subscriber_counts_.end() ? 0 : found->second;
}

}  // namespace wisp::server
