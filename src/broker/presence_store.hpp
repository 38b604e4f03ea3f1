// Room presence kept by a cluster broker, cluster-wide: per room key, the client ids in it with
// the info the hub attached. The Redis broker keeps it in Redis (broker/redis_presence.hpp); the
// local broker keeps none (Broker::presence() is null: the hub's membership is the presence).
//
// Threads: every call is safe from any thread and never blocks; answers and `Lost` run on the
// broker's loop thread.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wisp::broker {

class PresenceStore {
 public:
  struct Entry {
    std::string client_id;
    std::string value;  // the stored JSON: {"node": node id, "info": the info given to add()}
  };
  // nullopt: the store cannot answer now (Redis down): the caller asks the nodes instead.
  using Listed = std::function<void(std::optional<std::vector<Entry>>)>;
  using Counted = std::function<void(std::optional<std::size_t>)>;
  // A client of a node found dead left `key`: its entry is gone.
  using Lost = std::function<void(std::string_view key, std::string_view client_id)>;

  // A client of this node joined / left the room `key` (info: a JSON object).
  virtual void add(std::string_view key, std::string_view client_id, std::string_view info) = 0;
  virtual void remove(std::string_view key, std::string_view client_id) = 0;
  // Every node's entries of `key` (one round trip), and their number but `except`'s.
  virtual void list(std::string_view key, Listed done) = 0;
  virtual void count(std::string_view key, std::string_view except, Counted done) = 0;
  // Called before the broker starts (not after): `lost` hears of the entries this node removes
  // for nodes found dead.
  virtual void on_lost(Lost lost) = 0;

 protected:
  ~PresenceStore() = default;
};

}  // namespace wisp::broker
