#include "server/topics.hpp"

#include <algorithm>

#include "protocol/frame.hpp"
#include "server/compression.hpp"
#include "server/connection.hpp"

namespace wisp::server {
namespace {

template <class T>
void erase_one(std::vector<T>& items, const T& item) {
  auto at = std::find(items.begin(), items.end(), item);
  *at = items.back();  // order does not matter: swap with the last, then drop it
  items.pop_back();
}

}  // namespace

bool TopicTable::subscribe(Connection& subscriber, std::unique_ptr<Subscriptions>& mine,
                           std::string_view name) {
  if (mine && std::any_of(mine->begin(), mine->end(), [&](Topic* t) { return t->name == name; })) {
    return false;
  }
  auto found = topics_.find(name);
  if (found == topics_.end()) {
    auto topic = std::make_unique<Topic>();
    topic->name = name;
    found = topics_.emplace(topic->name, std::move(topic)).first;
  }
  found->second->subscribers.push_back(&subscriber);
  if (!mine) mine = std::make_unique<Subscriptions>();
  mine->push_back(found->second.get());
  observer_(name, +1);
  return true;
}

bool TopicTable::unsubscribe(Connection& subscriber, std::unique_ptr<Subscriptions>& mine,
                             std::string_view name) {
  if (!mine) return false;
  auto at = std::find_if(mine->begin(), mine->end(), [&](Topic* t) { return t->name == name; });
  if (at == mine->end()) return false;
  Topic* topic = *at;
  mine->erase(at);
  if (mine->empty()) mine.reset();
  remove(subscriber, *topic);
  return true;
}

void TopicTable::unsubscribe_all(Connection& subscriber, std::unique_ptr<Subscriptions>& mine) {
  if (!mine) return;
  for (Topic* topic : *mine) remove(subscriber, *topic);
  mine.reset();
}

void TopicTable::remove(Connection& subscriber, Topic& topic) {
  erase_one(topic.subscribers, &subscriber);
  observer_(topic.name, -1);
  if (topic.subscribers.empty()) topics_.erase(topics_.find(topic.name));  // frees `topic`
}

Publication::Publication(OpCode op, std::string_view payload, bool compress,
                         LoopCompression& compression)
    : op_(op), payload_(payload), compress_(compress), compression_(compression) {
  header_size_ = protocol::write_frame_header(reinterpret_cast<std::uint8_t*>(header_),
                                              {.opcode = op, .payload_size = payload.size()});
}

std::string_view Publication::compressed_frame(int window_bits) {
  std::string& frame = compressed_[window_bits - 8];
  if (frame.empty()) {
    const std::string_view deflated = compression_.deflate_alone(window_bits, payload_);
    std::uint8_t header[protocol::max_frame_header_size];
    const std::size_t size = protocol::write_frame_header(
        header, {.opcode = op_, .rsv1 = true, .payload_size = deflated.size()});
    frame.assign(reinterpret_cast<const char*>(header), size).append(deflated);
  }
  return frame;
}

net::EventLoop::Staged Publication::staged() {
  if (!staged_) staged_ = net::EventLoop::current()->stage(header(), payload_);
  return *staged_;
}

void TopicTable::deliver(std::string_view name, Publication& message,
                         const Connection* except) const {
  const auto found = topics_.find(name);
  if (found == topics_.end()) return;
  // Writes never run handlers (they are corked or deferred), so the list cannot change under us;
  // the backpressure policy may run handlers, so it waits until the walk is over.
  std::vector<Connection*> refused;
  for (Connection* subscriber : found->second->subscribers) {
    if (subscriber != except && !subscriber->write_published(message)) {
      refused.push_back(subscriber);
    }
  }
  for (Connection* subscriber : refused) subscriber->refuse(message.payload(), message.op());
}

}  // namespace wisp::server
