// Hub room presence in Redis (the keys and scripts: broker/redis_presence_scripts.hpp), owned by
// the Redis broker and run on its loop with its command connection.
//
// This node keeps its own entries too: they are written again whenever the command connection
// comes (back) up, when Redis says it does not know this node (restarted empty, or this node
// was taken for dead), and after a write that failed, so that Redis converges on this node's
// membership. While Redis is down, list() and count() answer nullopt.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "broker/loop_inbox.hpp"
#include "broker/presence_store.hpp"
#include "broker/redis_connection.hpp"
#include "wisp/settings.hpp"

namespace wisp::broker {

class RedisPresence final : public PresenceStore {
 public:
  RedisPresence(const RedisOptions& options, std::string node_id, std::shared_ptr<LoopInbox> inbox);

  void add(std::string_view key, std::string_view client_id, std::string_view info) override;
  void remove(std::string_view key, std::string_view client_id) override;
  void list(std::string_view key, Listed done) override;
  void count(std::string_view key, std::string_view except, Counted done) override;
  void on_lost(Lost lost) override;

  // The broker's, on its loop thread: its command connection is ready (loads the scripts,
  // writes this node's entries again); its heartbeat; its stop (forgets this node's entries).
  void connected(RedisConnection& commands);
  void refresh();
  void stop();

 private:
  using Entries = std::map<std::pair<std::string, std::string>, std::string>;  // (key, id) -> info

  bool writable() const;
  void write(const Entries::value_type& entry);
  void erase(std::string_view key, std::string_view client_id);
  void rewrite();
  void forget(RedisConnection::Reply done);
  void on_written(const redisReply* reply);
  void on_refreshed(const redisReply* reply);
  void load_scripts();

  std::string hash(std::string_view key) const { return hash_prefix_ + std::string(key); }
  static std::string set_entry(std::string_view key, std::string_view client_id);

  const std::string node_id_, hash_prefix_, set_prefix_, set_key_, nodes_key_;
  const std::string lifetime_, ttl_;  // ms, as Redis takes them
  const std::string add_sha_, remove_sha_, forget_sha_, refresh_sha_, count_sha_;
  std::shared_ptr<LoopInbox> inbox_;
  std::vector<Lost> lost_;  // fixed before the broker starts
  std::atomic<bool> stopped_{false};

  // Loop thread only.
  RedisConnection* commands_ = nullptr;
  Entries entries_;
  bool dirty_ = false;  // a write failed: written again at the next refresh
};

}  // namespace wisp::broker
