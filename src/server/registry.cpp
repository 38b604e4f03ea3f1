#include "server/registry.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

#include "server/router.hpp"

namespace wisp::server {
namespace {

template <class T>
void add_relaxed(std::atomic<T>& counter, T amount) {
  counter.store(counter.load(std::memory_order_relaxed) + amount, std::memory_order_relaxed);
}

}  // namespace

void ClientRecord::received(std::size_t bytes, std::chrono::system_clock::time_point now) {
  add_relaxed<std::uint64_t>(messages_in, 1);
  add_relaxed<std::uint64_t>(bytes_in, bytes);
  last_activity_ns.store(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count(),
      std::memory_order_relaxed);
}

void ClientRecord::sent(std::size_t bytes) {
  add_relaxed<std::uint64_t>(messages_out, 1);
  add_relaxed<std::uint64_t>(bytes_out, bytes);
}

std::string random_client_id() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    throw std::runtime_error("wisp: no random bytes for a client id");
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string id;
  unsigned bits = 0, value = 0;
  for (unsigned char byte : bytes) {
    value = (value << 8) | byte;
    for (bits += 8; bits >= 6; bits -= 6) id += alphabet[(value >> (bits - 6)) & 63];
  }
  if (bits > 0) id += alphabet[(value << (6 - bits)) & 63];
  return id;
}

bool Registry::add(ClientRecord& record) {
  {
    std::lock_guard lock(mutex_);
    if (!clients_.emplace(record.id, &record).second) return false;
  }
  directory_(record.id, true);
  return true;
}

void Registry::remove(ClientRecord& record) {
  {
    std::lock_guard lock(mutex_);
    const auto found = clients_.find(record.id);
    if (found == clients_.end() || found->second != &record) return;
    clients_.erase(found);
  }
  directory_(record.id, false);
}

std::pair<LoopServer*, Connection*> Registry::find(std::string_view id) const {
  std::lock_guard lock(mutex_);
  const auto found = clients_.find(id);
  if (found == clients_.end()) return {nullptr, nullptr};
  return {found->second->loop, found->second->connection};
}

std::vector<std::pair<LoopServer*, std::vector<std::string>>> Registry::by_loop(
    const std::vector<std::string>& ids, std::vector<std::string>* unknown) const {
  std::vector<std::pair<LoopServer*, std::vector<std::string>>> groups;
  std::lock_guard lock(mutex_);
  for (const std::string& id : ids) {
    const auto found = clients_.find(id);
    if (found == clients_.end()) {
      if (unknown) unknown->push_back(id);
      continue;
    }
    LoopServer* loop = found->second->loop;
    auto group =
        std::find_if(groups.begin(), groups.end(), [&](auto& g) { return g.first == loop; });
    if (group == groups.end()) group = groups.insert(groups.end(), {loop, {}});
    group->second.push_back(id);
  }
  return groups;
}

std::vector<std::string> Registry::ids() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> ids;
  ids.reserve(clients_.size());
  for (const auto& [id, record] : clients_) ids.push_back(id);
  return ids;
}

std::size_t Registry::size() const {
  std::lock_guard lock(mutex_);
  return clients_.size();
}

ClientInfo Registry::snapshot(const ClientRecord& record) {
  const auto relaxed = std::memory_order_relaxed;
  return {
      .id = record.id,
      .route = record.route->pattern,
      .remote_address = record.remote_address,
      .connected_at = record.connected_at,
      .last_activity = std::chrono::system_clock::time_point(
          std::chrono::duration_cast<std::chrono::system_clock::duration>(
              std::chrono::nanoseconds(record.last_activity_ns.load(relaxed)))),
      .messages_in = record.messages_in.load(relaxed),
      .messages_out = record.messages_out.load(relaxed),
      .bytes_in = record.bytes_in.load(relaxed),
      .bytes_out = record.bytes_out.load(relaxed),
      .metadata = record.metadata,
  };
}

std::optional<ClientInfo> Registry::info(std::string_view id) const {
  std::lock_guard lock(mutex_);
  const auto found = clients_.find(id);
  if (found == clients_.end()) return std::nullopt;
  return snapshot(*found->second);
}

std::vector<ClientInfo> Registry::all() const {
  std::lock_guard lock(mutex_);
  std::vector<ClientInfo> infos;
  infos.reserve(clients_.size());
  for (const auto& [id, record] : clients_) infos.push_back(snapshot(*record));
  return infos;
}

bool Registry::set_metadata(std::string_view id, std::string key, std::string value) {
  std::lock_guard lock(mutex_);
  const auto found = clients_.find(id);
  if (found == clients_.end()) return false;
  found->second->metadata.insert_or_assign(std::move(key), std::move(value));
  return true;
}

}  // namespace wisp::server
