#include "server/topics.hpp"

#include <algorithm>

#include "server/connection.hpp"

namespace wisp::server {
namespace {

template <class T>
void erase_one(std::vector<T>& items, const T& item) {
  auto at = std::find(items.begin(), items.end(), item);
  *at = items.back();  // order does not matter: swap with the last, then drop it
  items.pop_back();
}

OpCode opcode_of(std::string_view frame_header) {
  return static_cast<OpCode>(static_cast<unsigned char>(frame_header[0]) & 0x0F);
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

void TopicTable::deliver(std::string_view name, std::string_view header, std::string_view payload,
                         const Connection* except) const {
  const auto found = topics_.find(name);
  if (found == topics_.end()) return;
  // Writes never run handlers (they are corked or deferred), so the list cannot change under us;
  // the backpressure policy may run handlers, so it waits until the walk is over.
  std::vector<Connection*> refused;
  for (Connection* subscriber : found->second->subscribers) {
    if (subscriber != except && !subscriber->write_published(header, payload)) {
      refused.push_back(subscriber);
    }
  }
  for (Connection* subscriber : refused) subscriber->refuse(payload, opcode_of(header));
}

}  // namespace wisp::server
