// The client registry: an id for every connection of a route that asks for one, its metadata,
// and the app-wide index behind sends by id from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "wisp/client_info.hpp"

namespace wisp::server {

class Connection;
class LoopServer;
struct Route;

// A registered connection's record. Its loop writes the counters (single writer, relaxed
// atomics: no lock and no locked instruction per message); any thread may read them.
struct ClientRecord {
  std::string id;
  const Route* route = nullptr;
  LoopServer* loop = nullptr;
  Connection* connection = nullptr;
  std::string remote_address;
  std::chrono::system_clock::time_point connected_at;
  std::atomic<std::int64_t> last_activity_ns{0};  // system clock
  std::atomic<std::uint64_t> messages_in{0}, messages_out{0}, bytes_in{0}, bytes_out{0};
  std::map<std::string, std::string, std::less<>> metadata;  // guarded by the registry's lock

  void received(std::size_t bytes, std::chrono::system_clock::time_point now);
  void sent(std::size_t bytes);
};

// 128 random bits from OpenSSL's generator, as 22 base64url characters.
std::string random_client_id();

class Registry {
 public:
  // Told of every id added and removed (the broker's directory), outside the lock.
  using Directory = std::function<void(std::string_view id, bool added)>;
  explicit Registry(Directory directory) : directory_(std::move(directory)) {}

  // False if the id is taken (a custom generator gave it twice).
  bool add(ClientRecord& record);
  void remove(ClientRecord& record);

  // The loop and connection of `id`, or {nullptr, nullptr}; the connection may be used only on
  // its own loop thread.
  std::pair<LoopServer*, Connection*> find(std::string_view id) const;
  // Groups the known ids by loop (for sends to a list); unknown ids go to `unknown` if given.
  std::vector<std::pair<LoopServer*, std::vector<std::string>>> by_loop(
      const std::vector<std::string>& ids, std::vector<std::string>* unknown = nullptr) const;

  std::vector<std::string> ids() const;
  std::size_t size() const;
  std::optional<ClientInfo> info(std::string_view id) const;
  std::vector<ClientInfo> all() const;
  bool set_metadata(std::string_view id, std::string key, std::string value);

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  static ClientInfo snapshot(const ClientRecord& record);

  Directory directory_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, ClientRecord*, Hash, std::equal_to<>> clients_;
};

}  // namespace wisp::server
