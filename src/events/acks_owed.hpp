// The answers this node's clients owe for messages sent to them with an ack: per client, each
// message's ack id with who asked (a node and its key there) and until when it waits. Bounded per
// client (HubSettings::max_pending_acks); an entry past its deadline is dropped when the client is
// next sent one (its asker already timed out), so a client that never answers frees its slots.
// Thread-safe: sends come from any thread, answers and closes on the client's loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace wisp::events {

// Where an answer goes: the asking node (broker node id; empty for the local broker) and the
// key of its wait there (events/acks_waits.hpp).
struct AckAsker {
  std::string node;
  std::uint64_t key = 0;
};

class OwedAcks {
 public:
  using Clock = std::chrono::steady_clock;
  explicit OwedAcks(std::size_t per_client_limit) : limit_(per_client_limit) {}

  void add_client(std::string_view id);
  // The client left: the askers of what it still owed (within their deadlines).
  std::vector<AckAsker> remove_client(std::string_view id);
  // Records that client `id` owes the answer to `ack_id`; empty when recorded, else the ack_error
  // code that completes the asker's wait instead ("disconnected", "ack_limit").
  std::string_view owe(std::string_view id, std::string_view ack_id, AckAsker asker,
                       Clock::time_point deadline);
  // The asker of `ack_id`, forgotten; nullopt if the client owes no such answer (any more).
  std::optional<AckAsker> take(std::string_view id, std::string_view ack_id);

  std::uint64_t owed() const;

 private:
  struct Owed {
    AckAsker asker;
    Clock::time_point deadline;
  };
  using Client = std::unordered_map<std::string, Owed>;
  static void drop_expired(Client& client, Clock::time_point now);

  const std::size_t limit_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Client> clients_;
  std::uint64_t owed_ = 0;
};

}  // namespace wisp::events
