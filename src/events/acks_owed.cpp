#include "events/acks_owed.hpp"

#include "wisp/hub.hpp"

namespace wisp::events {

void OwedAcks::add_client(std::string_view id) {
  std::lock_guard lock(mutex_);
  clients_.try_emplace(std::string(id));
}

std::vector<AckAsker> OwedAcks::remove_client(std::string_view id) {
  std::lock_guard lock(mutex_);
  std::vector<AckAsker> askers;
  const auto found = clients_.find(std::string(id));
  if (found == clients_.end()) return askers;
  const Clock::time_point now = Clock::now();
  for (auto& [ack_id, owed] : found->second) {
    if (owed.deadline > now) askers.push_back(std::move(owed.asker));
  }
  owed_ -= found->second.size();
  clients_.erase(found);
  return askers;
}

void OwedAcks::drop_expired(Client& client, Clock::time_point now) {
  std::erase_if(client, [now](const auto& entry) { return entry.second.deadline <= now; });
}

std::string_view OwedAcks::owe(std::string_view id, std::string_view ack_id, AckAsker asker,
                               Clock::time_point deadline) {
  std::lock_guard lock(mutex_);
  const auto found = clients_.find(std::string(id));
  if (found == clients_.end()) return ack_error::disconnected;
  Client& client = found->second;
  if (client.size() >= limit_) {
    const std::size_t before = client.size();
    drop_expired(client, Clock::now());
    owed_ -= before - client.size();
  }
  if (client.size() >= limit_) return ack_error::ack_limit;
  if (client.try_emplace(std::string(ack_id), Owed{std::move(asker), deadline}).second) ++owed_;
  return {};
}

std::optional<AckAsker> OwedAcks::take(std::string_view id, std::string_view ack_id) {
  std::lock_guard lock(mutex_);
  const auto client = clients_.find(std::string(id));
  const auto found =
      client == clients_.end() ? Client::iterator() : client->second.find(std::string(ack_id));
  if (client == clients_.end() || found == client->second.end()) return std::nullopt;
  AckAsker asker = std::move(found->second.asker);
  client->second.erase(found);
  --owed_;
  return asker;
}

std::uint64_t OwedAcks::owed() const {
  std::lock_guard lock(mutex_);
  return owed_;
}

}  // namespace wisp::events
