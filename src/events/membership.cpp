#include "events/membership.hpp"

namespace wisp::events {

void Membership::erase_from(Index& index, std::string_view key, std::string_view value) {
  const auto found = index.find(key);
  if (found == index.end()) return;
  const auto at = found->second.find(value);
  if (at != found->second.end()) found->second.erase(at);
  if (found->second.empty()) index.erase(found);
}

void Membership::add_client(std::string_view id) {
  std::lock_guard lock(mutex_);
  rooms_of_client_.try_emplace(std::string(id));
}

bool Membership::remove_client(std::string_view id) {
  std::lock_guard lock(mutex_);
  const auto found = rooms_of_client_.find(id);
  if (found == rooms_of_client_.end()) return false;
  for (const std::string& room : found->second) erase_from(clients_of_room_, room, id);
  rooms_of_client_.erase(found);
  return true;
}

bool Membership::has_client(std::string_view id) const {
  std::lock_guard lock(mutex_);
  return rooms_of_client_.contains(id);
}

std::size_t Membership::client_count() const {
  std::lock_guard lock(mutex_);
  return rooms_of_client_.size();
}

std::vector<std::string> Membership::client_ids() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> ids;
  ids.reserve(rooms_of_client_.size());
  for (const auto& entry : rooms_of_client_) ids.push_back(entry.first);
  return ids;
}

std::vector<std::string> Membership::known(const std::vector<std::string>& ids,
                                           std::vector<std::string>* unknown) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> found;
  for (const std::string& id : ids) {
    if (rooms_of_client_.contains(id))
      found.push_back(id);
    else if (unknown)
      unknown->push_back(id);
  }
  return found;
}

bool Membership::join(std::string_view id, std::string_view room) {
  std::lock_guard lock(mutex_);
  const auto client = rooms_of_client_.find(id);
  if (client == rooms_of_client_.end() || !client->second.emplace(room).second) return false;
  auto members = clients_of_room_.find(room);
  if (members == clients_of_room_.end())
    members = clients_of_room_.try_emplace(std::string(room)).first;
  members->second.emplace(id);
  return true;
}

bool Membership::leave(std::string_view id, std::string_view room) {
  std::lock_guard lock(mutex_);
  const auto client = rooms_of_client_.find(id);
  if (client == rooms_of_client_.end()) return false;
  const auto at = client->second.find(room);
  if (at == client->second.end()) return false;
  client->second.erase(at);
  erase_from(clients_of_room_, room, id);
  return true;
}

std::vector<std::string> Membership::members(std::string_view room, std::string_view except) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> ids;
  const auto found = clients_of_room_.find(room);
  if (found == clients_of_room_.end()) return ids;
  for (const std::string& id : found->second) {
    if (id != except) ids.push_back(id);
  }
  return ids;
}

std::size_t Membership::size(std::string_view room, std::string_view except) const {
  std::lock_guard lock(mutex_);
  const auto found = clients_of_room_.find(room);
  if (found == clients_of_room_.end()) return 0;
  return found->second.size() - (!except.empty() && found->second.contains(except) ? 1 : 0);
}

std::vector<std::string> Membership::rooms() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> names;
  for (const auto& entry : clients_of_room_) names.push_back(entry.first);
  return names;
}

std::vector<std::string> Membership::rooms_of(std::string_view id) const {
  std::lock_guard lock(mutex_);
  const auto found = rooms_of_client_.find(id);
  if (found == rooms_of_client_.end()) return {};
  return {found->second.begin(), found->second.end()};
}

}  // namespace wisp::events
