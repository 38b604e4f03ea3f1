#include "broker/local_broker.hpp"

#include <memory>

namespace wisp::broker {

void LocalBroker::to_client(std::string_view client_id, std::string_view kind,
                            std::string_view payload, Delivered done) {
  const bool held = node_.holds(client_id);
  if (held) node_.command(kind, payload);
  if (done) done(held);
}

void LocalBroker::gather(std::string_view kind, std::string_view payload, std::chrono::milliseconds,
                         Gathered done) {
  std::vector<std::string> answers;
  answers.push_back(node_.answer(kind, payload));
  if (done) done(std::move(answers), true);
}

std::unique_ptr<Broker> make_local_broker(Node& node) {
  return std::make_unique<LocalBroker>(node);
}

}  // namespace wisp::broker
